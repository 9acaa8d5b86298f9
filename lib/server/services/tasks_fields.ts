/**
 * Validation and normalisation of the task fields a client writes (`tasks.create`, `edit`, `clone`, `validate`),
 * including the legacy write conversions of server-api.md §4.2.3: `execution.parameters` / `model_desc` become
 * `legacy` hyperparams / configuration items, `execution.docker_cmd` becomes `container`, `execution.model`
 * becomes the input model.
 *
 * @module
 */

import { scriptFieldProblem } from "../../task/script_fields.ts";
import { errors } from "../errors.ts";
import { clone, type Doc, isObject } from "../json.ts";
import { type ParamItem, TASK_TYPES, type TaskDoc } from "../storage/model.ts";
import type { Params } from "../queries/params.ts";
import type { CallContext } from "../registry.ts";
import { isoDate } from "../time.ts";

/** Hyperparams as stored: section → name → item. */
export type Hyperparams = Record<string, Record<string, ParamItem>>;

/** Python's `str()` for the scalar values clients put in legacy parameters. */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return JSON.stringify(value);
}

/** Validate a `hyperparams` map: trimmed non-empty section and key names, object items. */
export function normalizeHyperparams(raw: unknown, field = "hyperparams"): Hyperparams {
  if (!isObject(raw)) throw errors.validation("invalid field type", { field, expected: "object" });
  const out: Hyperparams = {};
  for (const [secKey, secVal] of Object.entries(raw)) {
    const section = secKey.trim();
    if (section === "") throw errors.validation("Empty section name is not allowed", { field });
    if (!isObject(secVal)) throw errors.validation("invalid field type", { field: `${field}.${section}` });
    out[section] ??= {};
    for (const [nameKey, item] of Object.entries(secVal)) {
      const name = nameKey.trim();
      if (name === "") throw errors.validation("Empty key is not allowed", { field: `${field}.${section}` });
      if (!isObject(item)) throw errors.validation("invalid field type", { field: `${field}.${section}.${name}` });
      out[section][name] = { ...clone(item), section, name } as ParamItem;
    }
  }
  return out;
}

/** Validate a `configuration` map: trimmed non-empty names, object items. */
export function normalizeConfiguration(raw: unknown, field = "configuration"): Record<string, ParamItem> {
  if (!isObject(raw)) throw errors.validation("invalid field type", { field, expected: "object" });
  const out: Record<string, ParamItem> = {};
  for (const [key, item] of Object.entries(raw)) {
    const name = key.trim();
    if (name === "") throw errors.validation("Empty key is not allowed", { field });
    if (!isObject(item)) throw errors.validation("invalid field type", { field: `${field}.${name}` });
    out[name] = { ...clone(item), name } as ParamItem;
  }
  return out;
}

function normalizeModels(raw: Doc, now: string): Doc {
  const out: Doc = {};
  for (const [kind, list] of Object.entries(raw)) {
    if (list === null || list === undefined) continue;
    if (!Array.isArray(list) || !list.every(isObject)) {
      throw errors.validation("invalid field type", { field: `models.${kind}`, expected: "list of objects" });
    }
    out[kind] = list.map((m) => ({ ...clone(m), updated: m.updated ?? now }));
  }
  return out;
}

function normalizeContainer(raw: Doc): Doc {
  for (const [k, v] of Object.entries(raw)) {
    if (v !== null && typeof v !== "string") {
      throw errors.validation("invalid field type", { field: `container.${k}`, expected: "string" });
    }
  }
  return clone(raw);
}

/** Check a task name: stripped, at least 3 characters (`400/800`). */
export function checkName(name: string): string {
  const stripped = name.trim();
  if (stripped.length < 3) throw errors.dataValidation("name is shorter than 3 characters", { field: "name", name });
  return stripped;
}

/** Check `parent` / `project` references (`400/16`). */
export function checkReferences(ctx: CallContext, fields: { parent?: unknown; project?: unknown }): void {
  const { parent, project } = fields;
  if (typeof parent === "string" && parent !== "" && !parent.startsWith("__DELETED__")) {
    if (!ctx.db.tasks.exists(parent)) throw errors.fieldsValue("expecting Task id", { parent });
  }
  if (typeof project === "string" && project !== "" && !ctx.db.projects.exists(project)) {
    throw errors.fieldsValue("expecting Project id", { project });
  }
}

/** Remove legacy hyperparams / configuration items and add the given flat ones. */
function applyLegacy(fields: Doc, existing: TaskDoc | undefined): void {
  const exec = fields.execution as Doc | undefined;
  if (!isObject(exec)) return;
  if (isObject(exec.parameters)) {
    const hp = (fields.hyperparams ?? clone(existing?.hyperparams) ?? {}) as Hyperparams;
    for (const section of Object.keys(hp)) {
      for (const [name, item] of Object.entries(hp[section])) if (item.type === "legacy") delete hp[section][name];
      if (Object.keys(hp[section]).length === 0) delete hp[section];
    }
    for (const [key, value] of Object.entries(exec.parameters)) {
      const tf = key.startsWith("TF_DEFINE/");
      const section = tf ? "TF_DEFINE" : "Args";
      const name = tf ? key.slice("TF_DEFINE/".length) : key;
      (hp[section] ??= {})[name] = { section, name, value: pyStr(value), type: "legacy" };
    }
    fields.hyperparams = hp;
  }
  if (isObject(exec.model_desc)) {
    const conf = (fields.configuration ?? clone(existing?.configuration) ?? {}) as Record<string, ParamItem>;
    for (const [name, item] of Object.entries(conf)) if (item.type === "legacy") delete conf[name];
    for (const [name, value] of Object.entries(exec.model_desc)) {
      conf[name] = { name, value: pyStr(value), type: "legacy" };
    }
    fields.configuration = conf;
  }
  delete exec.parameters;
  delete exec.model_desc;
}

/**
 * Read the writable task fields present in a request (create/edit/validate) into a partial document, validated
 * and converted. `existing` is the stored task for edits (legacy conversions replace its legacy items).
 */
export function readTaskFields(ctx: CallContext, p: Params, existing?: TaskDoc): Doc {
  const now = isoDate(ctx.now);
  const fields: Doc = {};
  const name = p.str("name");
  if (name !== undefined) fields.name = checkName(name);
  const type = p.oneOf("type", TASK_TYPES);
  if (type !== undefined) fields.type = type;
  for (const key of ["tags", "system_tags"]) {
    const v = p.strList(key);
    if (v !== undefined) fields[key] = v;
  }
  for (const key of ["comment", "parent", "project", "report"]) {
    const v = p.str(key);
    if (v !== undefined) fields[key] = v;
  }
  const dest = p.str("output_dest");
  if (dest !== undefined) fields.output = { destination: dest };
  for (const key of ["execution", "script", "runtime"]) {
    const v = p.obj(key);
    if (v !== undefined) fields[key] = clone(v);
  }
  const problem = scriptFieldProblem(fields.script);
  if (problem) throw errors.validation("invalid field type", { ...problem });
  const container = p.obj("container");
  if (container !== undefined) fields.container = normalizeContainer(container);
  const models = p.obj("models");
  if (models !== undefined) fields.models = normalizeModels(models, now);
  if (p.has("hyperparams")) fields.hyperparams = normalizeHyperparams(p.raw("hyperparams"));
  if (p.has("configuration")) fields.configuration = normalizeConfiguration(p.raw("configuration"));
  checkReferences(ctx, fields);
  applyExecutionConversions(fields, existing, now);
  return fields;
}

/**
 * Convert the legacy parts of `fields.execution` in place: `parameters` / `model_desc` → legacy items,
 * `docker_cmd` → `container`, `model` → `models.input`; artifacts sorted.
 */
export function applyExecutionConversions(fields: Doc, existing: TaskDoc | undefined, now: string): void {
  const exec = fields.execution as Doc | undefined;
  if (!isObject(exec)) return;
  applyLegacy(fields, existing);
  if (typeof exec.docker_cmd === "string") {
    const cmd = exec.docker_cmd.trim();
    const space = cmd.indexOf(" ");
    const image = space < 0 ? cmd : cmd.slice(0, space);
    const args = space < 0 ? "" : cmd.slice(space + 1).trim();
    fields.container = { ...(fields.container as Doc | undefined), image, arguments: args };
  }
  delete exec.docker_cmd;
  if ("model" in exec) {
    const model = exec.model;
    const input = typeof model === "string" && model !== "" ? [{ name: "Input Model", model, updated: now }] : [];
    fields.models = { ...(fields.models as Doc | undefined), input };
    delete exec.model;
  }
  if (Array.isArray(exec.artifacts)) exec.artifacts = sortArtifacts(exec.artifacts as Doc[]);
}

/** Artifacts sorted by key (upstream stores them keyed and returns them sorted). */
export function sortArtifacts(list: Doc[]): Doc[] {
  return [...list].sort((a, b) => String(a.key ?? "").localeCompare(String(b.key ?? "")));
}
