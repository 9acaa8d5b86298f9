/**
 * `models.*` (server-api.md §4.6), the subset the SDK uses when it registers models (framework auto-logging,
 * `OutputModel`, `InputModel`): create, get_by_id, get_by_task_id, get_all, edit/update, update_for_task,
 * set_ready, metadata and delete. Model files live wherever the SDK uploaded them; only the `uri` is stored.
 *
 * @module
 */

import { shaped } from "../default_shape.ts";
import { errors } from "../errors.ts";
import { clone, type Doc, isObject, newId } from "../json.ts";
import type { ModelDoc, TaskDoc } from "../storage/model.ts";
import { project, type QuerySpec, runQuery } from "../queries/query.ts";
import type { CallContext, Registry } from "../registry.ts";
import { isoDate } from "../time.ts";
import { getTask, publishTask } from "./tasks_status.ts";
import { checkReferences } from "./tasks_fields.ts";

const SPEC: QuerySpec = {
  pattern: ["name", "comment", "uri"],
  lists: ["id", "user", "task", "project", "parent", "tags", "system_tags", "framework", "ready"],
  listPrefixes: ["metadata.", "labels."],
  ranges: ["last_iteration"],
  rangePrefixes: [],
  dates: ["created", "last_update"],
  text: ["name", "comment", "id", "uri"],
  hiddenFields: ["company_origin"],
  numericOrderPrefixes: ["metadata."],
  isHidden: (doc) => ((doc.system_tags as string[] | undefined) ?? []).includes("hidden"),
};

function getModel(ctx: CallContext, id: string): ModelDoc {
  const m = ctx.db.models.get(id);
  if (!m) throw errors.invalidModelId(undefined, { id });
  return m;
}

function view(m: ModelDoc, only?: readonly string[]): Doc {
  return project(shaped("model", m), only, SPEC.hiddenFields);
}

/** The writable model fields present in the request, validated. */
function readFields(ctx: CallContext): Doc {
  const p = ctx.params;
  const fields: Doc = {};
  for (const key of ["name", "uri", "comment", "framework", "task", "project", "parent"]) {
    const v = p.str(key);
    if (v !== undefined) fields[key] = v;
  }
  for (const key of ["tags", "system_tags"]) {
    const v = p.strList(key);
    if (v !== undefined) fields[key] = v;
  }
  const design = p.obj("design");
  if (design !== undefined) fields.design = clone(design);
  const labels = p.obj("labels");
  if (labels !== undefined) {
    for (const [k, v] of Object.entries(labels)) {
      if (!Number.isInteger(v)) {
        throw errors.validation("invalid field type", { field: `labels.${k}`, expected: "integer" });
      }
    }
    fields.labels = clone(labels);
  }
  if (p.has("ready")) fields.ready = p.bool("ready");
  const iteration = p.int("iteration");
  if (iteration !== undefined) fields.last_iteration = iteration;
  if (typeof fields.task === "string" && fields.task !== "") getTask(ctx, fields.task);
  checkReferences(ctx, { project: fields.project });
  return fields;
}

function readMetadata(raw: unknown): Record<string, Doc> {
  const items = Array.isArray(raw) ? raw : isObject(raw) ? Object.values(raw) : undefined;
  if (!items) throw errors.validation("invalid field type", { field: "metadata", expected: "list of objects" });
  const out: Record<string, Doc> = {};
  for (const item of items) {
    if (!isObject(item) || typeof item.key !== "string" || item.key === "") {
      throw errors.validation("metadata items need a key", { field: "metadata" });
    }
    out[item.key] = { key: item.key, type: item.type ?? null, value: item.value ?? null };
  }
  return out;
}

function insertModel(ctx: CallContext, fields: Doc): ModelDoc {
  const now = isoDate(ctx.now);
  const doc: ModelDoc = {
    id: newId(),
    name: "",
    uri: "",
    company: ctx.identity.company,
    user: ctx.identity.user,
    created: now,
    last_update: now,
    ready: false,
    labels: {},
    tags: [],
    system_tags: [],
    ...fields,
  };
  ctx.db.models.insert(doc);
  return doc;
}

function create(ctx: CallContext): Doc {
  const p = ctx.params;
  for (const field of ["uri", "name"]) {
    if (p.str(field) === undefined) throw errors.validation("missing required field", { field });
  }
  const fields = readFields(ctx);
  if (p.has("metadata")) fields.metadata = readMetadata(p.raw("metadata"));
  return { id: insertModel(ctx, fields).id, created: true };
}

function edit(ctx: CallContext): Doc {
  const m = getModel(ctx, ctx.params.reqStr("model"));
  const fields = readFields(ctx);
  if (Object.keys(fields).length === 0) return { updated: 0, fields: {} };
  Object.assign(m, fields);
  m.last_update = fields.last_update = isoDate(ctx.now);
  ctx.db.models.update(m);
  return { updated: 1, fields };
}

/** Make `modelId` the task's output model named "Output Model" (replacing one of that name). */
function linkOutput(ctx: CallContext, task: TaskDoc, modelId: string, iteration?: number): void {
  const models = task.models ??= {};
  const list = models.output ??= [];
  const entry = { name: "Output Model", model: modelId, updated: isoDate(ctx.now) };
  const at = list.findIndex((e) => e.name === entry.name);
  if (at >= 0) list[at] = entry;
  else list.push(entry);
  if (iteration !== undefined) task.last_iteration = Math.max(task.last_iteration ?? 0, iteration);
  task.last_update = task.last_change = isoDate(ctx.now);
  ctx.db.tasks.update(task);
}

function updateForTask(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const override = p.str("override_model_id");
  const iteration = p.int("iteration");
  if (override) {
    getModel(ctx, override);
    linkOutput(ctx, task, override, iteration);
    return { id: override, created: false, updated: 1, fields: {} };
  }
  const fields = readFields(ctx);
  const current = task.models?.output?.find((e) => e.name === "Output Model")?.model;
  const existing = typeof current === "string" ? ctx.db.models.get(current) : undefined;
  if (existing && !existing.ready) {
    Object.assign(existing, fields, { last_update: isoDate(ctx.now) });
    ctx.db.models.update(existing);
    linkOutput(ctx, task, existing.id, iteration);
    return { id: existing.id, created: false, updated: 1, fields };
  }
  const doc = insertModel(ctx, { name: task.name, task: task.id, project: task.project, ...fields });
  linkOutput(ctx, task, doc.id, iteration);
  return { id: doc.id, created: true, updated: 0, fields };
}

function setReady(ctx: CallContext): Doc {
  const p = ctx.params;
  const m = getModel(ctx, p.reqStr("model"));
  const out: Doc = { updated: m.ready ? 0 : 1 };
  m.ready = true;
  m.last_update = isoDate(ctx.now);
  ctx.db.models.update(m);
  if (p.bool("publish_task", true) && m.task) {
    const task = ctx.db.tasks.get(m.task);
    if (task && task.status !== "published") {
      out.published_task = { id: task.id, data: publishTask(ctx, task, p.bool("force_publish_task", false)) };
    }
  }
  return out;
}

/** Register the model endpoints. */
export function registerModels(reg: Registry): void {
  const getAll = (ctx: CallContext): Doc => {
    const ids = ctx.params.strList("id");
    const docs = ids && ids.every((i) => !i.startsWith("-")) ? ctx.db.models.getMany(ids) : ctx.db.models.all();
    const res = runQuery(docs, ctx.params, SPEC);
    const out: Doc = { models: res.items.map((m) => view(m as ModelDoc, ctx.params.strList("only_fields"))) };
    if (res.scrollId !== undefined) out.scroll_id = res.scrollId;
    return out;
  };
  reg.add(
    { name: "models.create", minVersion: "1.0", handler: create },
    {
      name: "models.get_by_id",
      minVersion: "1.0",
      handler: (ctx) => ({ model: view(getModel(ctx, ctx.params.reqStr("model"))) }),
    },
    {
      name: "models.get_by_task_id",
      minVersion: "1.0",
      handler: (ctx) => {
        const task = getTask(ctx, ctx.params.reqStr("task"));
        const id = task.models?.output?.at(-1)?.model;
        if (typeof id !== "string") throw errors.invalidModelId("task has no output model", { task: task.id });
        return { model: view(getModel(ctx, id)) };
      },
    },
    { name: "models.get_all", minVersion: "1.0", handler: getAll },
    { name: "models.get_all_ex", minVersion: "1.0", handler: getAll },
    { name: "models.edit", minVersion: "1.0", handler: edit },
    { name: "models.update", minVersion: "1.0", handler: edit },
    { name: "models.update_for_task", minVersion: "1.0", handler: updateForTask },
    { name: "models.set_ready", minVersion: "1.0", handler: setReady },
    {
      name: "models.add_or_update_metadata",
      minVersion: "2.13",
      handler: (ctx) => {
        const m = getModel(ctx, ctx.params.reqStr("model"));
        const items = readMetadata(ctx.params.raw("metadata") ?? []);
        m.metadata = ctx.params.bool("replace_metadata", false) ? items : { ...m.metadata, ...items };
        m.last_update = isoDate(ctx.now);
        ctx.db.models.update(m);
        return { updated: 1 };
      },
    },
    {
      name: "models.delete_metadata",
      minVersion: "2.13",
      handler: (ctx) => {
        const m = getModel(ctx, ctx.params.reqStr("model"));
        const keys = ctx.params.reqStrList("keys");
        const before = Object.keys(m.metadata ?? {}).length;
        for (const k of keys) delete m.metadata?.[k];
        if (Object.keys(m.metadata ?? {}).length === before) return { updated: 0 };
        ctx.db.models.update(m);
        return { updated: 1 };
      },
    },
    {
      name: "models.delete",
      minVersion: "1.0",
      handler: (ctx) => {
        const m = getModel(ctx, ctx.params.reqStr("model"));
        ctx.db.models.delete(m.id);
        ctx.db.store.run("DELETE FROM events WHERE task = ?", m.id);
        return { deleted: true, url: m.uri };
      },
    },
  );
}
