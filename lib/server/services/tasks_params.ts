/**
 * Hyperparameters and configuration items (server-api.md §4.2.7): `tasks.get/edit/delete_hyper_params` and
 * `tasks.get_configurations` / `get_configuration_names` / `edit_configuration` / `delete_configuration`.
 * Edits need a `created` task (or `in_progress` with `force`), except hyperparams all in section `properties`.
 *
 * @module
 */

import { errors } from "../errors.ts";
import type { Doc } from "../json.ts";
import type { ParamItem, TaskDoc } from "../storage/model.ts";
import type { CallContext, Registry } from "../registry.ts";
import { isoDate } from "../time.ts";
import { getTask } from "./tasks_status.ts";

function requireEditable(task: TaskDoc, force: boolean): void {
  if (task.status === "created" || (force && task.status === "in_progress")) return;
  throw errors.invalidTaskStatus(undefined, { expected: "created (or in_progress with force)", status: task.status });
}

function save(ctx: CallContext, task: TaskDoc): void {
  const now = isoDate(ctx.now);
  task.last_change = task.last_update = now;
  task.last_changed_by = ctx.identity.user;
  ctx.db.tasks.update(task);
}

function byKey<T>(items: T[], key: (t: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function readItems(ctx: CallContext, field: string, needName: boolean): ParamItem[] {
  const items = ctx.params.objList(field);
  if (!items || items.length === 0) throw errors.validation("missing required field", { field });
  return items.map((raw) => {
    const section = typeof raw.section === "string" ? raw.section.trim() : "";
    const name = typeof raw.name === "string" ? raw.name.trim() : "";
    if (field === "hyperparams" && section === "") {
      throw errors.validation("Empty section name is not allowed", { field });
    }
    if (needName && name === "") throw errors.validation("Empty key is not allowed", { field });
    const item = { ...raw, name } as ParamItem;
    if (field === "hyperparams") item.section = section;
    if (item.value !== undefined && item.value !== null && typeof item.value !== "string") {
      item.value = String(item.value);
    }
    return item;
  });
}

function getHyperParams(ctx: CallContext): Doc {
  const params = ctx.params.reqStrList("tasks").map((id) => {
    const task = getTask(ctx, id);
    const items = Object.values(task.hyperparams ?? {}).flatMap((s) => Object.values(s));
    return { task: id, hyperparams: byKey(items, (i) => `${i.section}\u0000${i.name}`) };
  });
  return { params };
}

function isProperties(section: string | undefined): boolean {
  return (section ?? "").toLowerCase() === "properties";
}

function editHyperParams(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const items = readItems(ctx, "hyperparams", true);
  const mode = p.oneOf("replace_hyperparams", ["none", "section", "all"] as const) ?? "none";
  const onlyProperties = items.every((i) => isProperties(i.section));
  if (!onlyProperties) requireEditable(task, p.bool("force", false));
  for (const i of items) if (isProperties(i.section)) i.section = "properties";
  const hp = mode === "all" ? {} : { ...task.hyperparams };
  if (mode === "section") { for (const i of items) hp[i.section!] = {}; }
  for (const i of items) (hp[i.section!] ??= {})[i.name] = i;
  task.hyperparams = hp;
  save(ctx, task);
  return { updated: 1 };
}

function deleteHyperParams(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const items = readItems(ctx, "hyperparams", false);
  const wholeSections = new Set(items.filter((i) => !i.name).map((i) => i.section!));
  if (items.some((i) => i.name && wholeSections.has(i.section!))) {
    throw errors.fieldsConflict("Cannot delete a section and its keys in one call", { sections: [...wholeSections] });
  }
  if (!items.every((i) => isProperties(i.section))) requireEditable(task, p.bool("force", false));
  const hp = { ...task.hyperparams };
  let deleted = 0;
  for (const i of items) {
    const section = isProperties(i.section) ? "properties" : i.section!;
    if (!hp[section]) continue;
    if (!i.name) {
      deleted += Object.keys(hp[section]).length;
      delete hp[section];
    } else if (hp[section][i.name]) {
      hp[section] = { ...hp[section] };
      delete hp[section][i.name];
      if (Object.keys(hp[section]).length === 0) delete hp[section];
      deleted++;
    }
  }
  if (deleted === 0) return { deleted: 0 };
  task.hyperparams = hp;
  save(ctx, task);
  return { deleted };
}

function getConfigurations(ctx: CallContext): Doc {
  const names = ctx.params.strList("names");
  const configurations = ctx.params.reqStrList("tasks").map((id) => {
    const task = getTask(ctx, id);
    const items = Object.values(task.configuration ?? {}).filter((i) => !names || names.includes(i.name));
    return { task: id, configuration: byKey(items, (i) => i.name) };
  });
  return { configurations };
}

function getConfigurationNames(ctx: CallContext): Doc {
  const skipEmpty = ctx.params.bool("skip_empty", true);
  const configurations = ctx.params.reqStrList("tasks").map((id) => {
    const task = getTask(ctx, id);
    const items = Object.values(task.configuration ?? {}).filter((i) => !skipEmpty || (i.value ?? "") !== "");
    return { task: id, names: items.map((i) => i.name).sort() };
  });
  return { configurations };
}

function editConfiguration(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const items = readItems(ctx, "configuration", true);
  requireEditable(task, p.bool("force", false));
  const conf = p.bool("replace_configuration", false) ? {} : { ...task.configuration };
  for (const i of items) conf[i.name] = i;
  task.configuration = conf;
  save(ctx, task);
  return { updated: 1 };
}

function deleteConfiguration(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const names = p.reqStrList("configuration");
  requireEditable(task, p.bool("force", false));
  const conf = { ...task.configuration };
  const deleted = names.filter((n) => n in conf).length;
  for (const n of names) delete conf[n];
  if (deleted === 0) return { deleted: 0 };
  task.configuration = conf;
  save(ctx, task);
  return { deleted };
}

/** Register the hyperparameter and configuration endpoints. */
export function registerTaskParams(reg: Registry): void {
  reg.add(
    { name: "tasks.get_hyper_params", minVersion: "1.0", handler: getHyperParams },
    { name: "tasks.edit_hyper_params", minVersion: "1.0", handler: editHyperParams },
    { name: "tasks.delete_hyper_params", minVersion: "1.0", handler: deleteHyperParams },
    { name: "tasks.get_configurations", minVersion: "1.0", handler: getConfigurations },
    { name: "tasks.get_configuration_names", minVersion: "1.0", handler: getConfigurationNames },
    { name: "tasks.edit_configuration", minVersion: "1.0", handler: editConfiguration },
    { name: "tasks.delete_configuration", minVersion: "1.0", handler: deleteConfiguration },
  );
}
