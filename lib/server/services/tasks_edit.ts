/**
 * Task edits (server-api.md §4.2.6–4.2.7): `tasks.edit` with its one-level merge of `script`, `execution`,
 * `output` and `models` and wholesale replacement of everything else, `tasks.update`, `tasks.set_requirements`,
 * artifacts and task models.
 *
 * @module
 */

import { scriptFieldProblem } from "../../task/script_fields.ts";
import { errors } from "../errors.ts";
import { type Doc, isObject } from "../json.ts";
import { TASK_STATUSES, type TaskDoc } from "../storage/model.ts";
import type { CallContext, Registry } from "../registry.ts";
import { isoDate } from "../time.ts";
import { getTask } from "./tasks_status.ts";
import { checkName, checkReferences, readTaskFields, sortArtifacts } from "./tasks_fields.ts";

const MERGED = new Set(["script", "execution", "output", "models"]);
const TRIVIAL = new Set(["name", "comment", "tags", "system_tags", "project", "status_message"]);

function stamp(ctx: CallContext, task: TaskDoc, fields: Doc, touchUpdate: boolean): void {
  const now = isoDate(ctx.now);
  task.last_change = fields.last_change = now;
  task.last_changed_by = fields.last_changed_by = ctx.identity.user;
  if (touchUpdate) task.last_update = fields.last_update = now;
}

/** Require a `created` task unless forced (`400/110`). */
export function requireCreated(task: TaskDoc, force: boolean): void {
  if (!force && task.status !== "created") {
    throw errors.invalidTaskStatus(undefined, { expected: "created", status: task.status });
  }
}

function edit(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  requireCreated(task, p.bool("force", false));
  const incoming = readTaskFields(ctx, p, task);
  const status = p.oneOf("status", TASK_STATUSES);
  if (status !== undefined) incoming.status = status;
  const fields: Doc = {};
  for (const [key, value] of Object.entries(incoming)) {
    if (MERGED.has(key) && isObject(value)) {
      const merged = { ...(isObject(task[key]) ? task[key] as Doc : {}), ...value };
      task[key] = merged;
      fields[key] = merged;
    } else {
      task[key] = value;
      fields[key] = value;
    }
  }
  if (Object.keys(fields).length === 0) return { updated: 0, fields: {} };
  stamp(ctx, task, fields, Object.keys(fields).some((k) => !TRIVIAL.has(k)));
  ctx.db.tasks.update(task);
  return { updated: 1, fields };
}

function update(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const fields: Doc = {};
  const name = p.str("name");
  if (name !== undefined) fields.name = task.name = checkName(name);
  for (const key of ["comment", "project", "status_message"] as const) {
    const v = p.str(key);
    if (v !== undefined) fields[key] = task[key] = v;
  }
  checkReferences(ctx, { project: fields.project });
  for (const key of ["tags", "system_tags"] as const) {
    const v = p.strList(key);
    if (v !== undefined) fields[key] = task[key] = v;
  }
  const error = p.str("output__error");
  if (error !== undefined) {
    task.output = { ...task.output, error };
    fields["output.error"] = error;
  }
  if (Object.keys(fields).length === 0) return { updated: 0, fields: {} };
  stamp(ctx, task, fields, false);
  ctx.db.tasks.update(task);
  return { updated: 1, fields };
}

function setRequirements(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const requirements = p.obj("requirements");
  if (requirements === undefined) throw errors.validation("missing required field", { field: "requirements" });
  const problem = scriptFieldProblem({ requirements });
  if (problem) throw errors.validation("invalid field type", { ...problem });
  if (!isObject(task.script)) throw errors.missingTaskFields("Task has no script field", { task: task.id });
  task.script.requirements = requirements;
  const fields: Doc = { "script.requirements": requirements };
  stamp(ctx, task, fields, true);
  ctx.db.tasks.update(task);
  return { updated: 1, fields };
}

function requireWritable(task: TaskDoc): void {
  if (task.status !== "created" && task.status !== "in_progress") {
    throw errors.invalidTaskStatus(undefined, { expected: "created or in_progress", status: task.status });
  }
}

function artifactId(a: Doc): string {
  return `${a.key ?? ""}\u0000${a.mode ?? "output"}`;
}

function addArtifacts(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const artifacts = p.objList("artifacts");
  if (!artifacts || artifacts.length === 0) throw errors.validation("missing required field", { field: "artifacts" });
  requireWritable(task);
  for (const a of artifacts) {
    if (typeof a.key !== "string" || a.key === "") {
      throw errors.validation("artifact key is required", { field: "key" });
    }
  }
  const exec = task.execution ??= {};
  const byId = new Map(((exec.artifacts as Doc[] | undefined) ?? []).map((a) => [artifactId(a), a]));
  for (const a of artifacts) byId.set(artifactId(a), { ...a, mode: a.mode ?? "output" });
  exec.artifacts = sortArtifacts([...byId.values()]);
  stamp(ctx, task, {}, true);
  ctx.db.tasks.update(task);
  return { updated: 1 };
}

function deleteArtifacts(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const remove = new Set((p.objList("artifacts") ?? []).map(artifactId));
  requireWritable(task);
  const before = (task.execution?.artifacts as Doc[] | undefined) ?? [];
  const after = before.filter((a) => !remove.has(artifactId(a)));
  if (after.length === before.length) return { deleted: 0 };
  task.execution = { ...task.execution, artifacts: after };
  stamp(ctx, task, {}, true);
  ctx.db.tasks.update(task);
  return { deleted: before.length - after.length };
}

function addModel(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const name = p.reqStr("name");
  const model = p.reqStr("model");
  const kind = p.oneOf("type", ["input", "output"] as const);
  if (kind === undefined) throw errors.validation("missing required field", { field: "type" });
  const iteration = p.int("iteration");
  requireWritable(task);
  const models = task.models ??= {};
  const list = (models[kind] ??= []);
  const entry = { name, model, updated: isoDate(ctx.now) };
  const at = list.findIndex((m) => m.name === name);
  if (at >= 0) list[at] = entry;
  else list.push(entry);
  if (iteration !== undefined) task.last_iteration = Math.max(task.last_iteration ?? 0, iteration);
  stamp(ctx, task, {}, true);
  ctx.db.tasks.update(task);
  return { updated: 1 };
}

function deleteModels(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const remove = p.objList("models") ?? [];
  requireWritable(task);
  let n = 0;
  for (const kind of ["input", "output"] as const) {
    const list = task.models?.[kind] ?? [];
    const kept = list.filter((m) => !remove.some((r) => r.name === m.name && r.type === kind));
    n += list.length - kept.length;
    if (task.models) task.models[kind] = kept;
  }
  if (n === 0) return { updated: 0 };
  stamp(ctx, task, {}, true);
  ctx.db.tasks.update(task);
  return { updated: 1 };
}

/** Register the edit endpoints. */
export function registerTaskEdits(reg: Registry): void {
  reg.add(
    { name: "tasks.edit", minVersion: "1.0", handler: edit },
    { name: "tasks.update", minVersion: "1.0", handler: update },
    { name: "tasks.set_requirements", minVersion: "1.0", handler: setRequirements },
    { name: "tasks.add_or_update_artifacts", minVersion: "2.10", handler: addArtifacts },
    { name: "tasks.delete_artifacts", minVersion: "2.10", handler: deleteArtifacts },
    { name: "tasks.add_or_update_model", minVersion: "2.13", handler: addModel },
    { name: "tasks.delete_models", minVersion: "2.13", handler: deleteModels },
  );
}
