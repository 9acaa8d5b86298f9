/**
 * Task CRUD (server-api.md §4.2.6): `tasks.create`, `validate`, `get_by_id`, `get_all`, `clone`, `delete`,
 * `archive` / `unarchive`.
 *
 * @module
 */

import { errors } from "../errors.ts";
import { clone, type Doc, isObject, newId } from "../json.ts";
import type { TaskDoc } from "../storage/model.ts";
import { Params } from "../queries/params.ts";
import { runQuery } from "../queries/query.ts";
import type { CallContext, Registry } from "../registry.ts";
import { isoDate } from "../time.ts";
import { ensureProject } from "./projects.ts";
import { removeFromAllQueues } from "./queue_entries.ts";
import { changeStatus, getTask } from "./tasks_status.ts";
import { applyExecutionConversions, normalizeConfiguration, normalizeHyperparams } from "./tasks_fields.ts";
import { checkReferences, readTaskFields } from "./tasks_fields.ts";
import { mapLegacyPath, TASK_SPEC, taskOut } from "./tasks_view.ts";

/** Default `script` of a new task. */
const DEFAULT_SCRIPT = { binary: "python", repository: "", entry_point: "", requirements: {} };

function newTaskDoc(ctx: CallContext, fields: Doc): TaskDoc {
  const now = isoDate(ctx.now);
  const doc: TaskDoc = {
    id: newId(),
    name: "",
    type: "training",
    status: "created",
    company: ctx.identity.company,
    user: ctx.identity.user,
    created: now,
    status_changed: now,
    status_reason: "",
    status_message: "",
    last_update: now,
    last_change: now,
    last_changed_by: ctx.identity.user,
    last_iteration: 0,
    tags: [],
    system_tags: [],
    script: clone(DEFAULT_SCRIPT),
    execution: {},
    output: {},
    models: { input: [], output: [] },
    hyperparams: {},
    configuration: {},
    runtime: {},
  };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if ((k === "script" || k === "models") && isObject(v)) doc[k] = { ...(doc[k] as Doc), ...v };
    else doc[k] = v;
  }
  return doc;
}

function createFields(ctx: CallContext): Doc {
  const p = ctx.params;
  if (!p.has("name")) throw errors.validation("missing required field", { field: "name" });
  if (!p.has("type")) throw errors.validation("missing required field", { field: "type" });
  return readTaskFields(ctx, p);
}

function create(ctx: CallContext): Doc {
  const doc = newTaskDoc(ctx, createFields(ctx));
  ctx.db.tasks.insert(doc);
  return { id: doc.id };
}

function expandSubprojects(ctx: CallContext, ids: string[]): string[] {
  const out = new Set(ids);
  for (const proj of ctx.db.projects.all()) {
    if (proj.path?.some((a) => ids.includes(a))) out.add(proj.id);
  }
  return [...out];
}

/** Plain "any of" string lists (no exclusions, operators or nulls) can be pushed down to the indexed columns. */
function plainList(value: unknown): string[] | undefined {
  const list = Array.isArray(value) ? value : [value];
  const plain = list.length > 0 &&
    list.every((v) => typeof v === "string" && !v.startsWith("-") && !v.startsWith("__$"));
  return plain ? list as string[] : undefined;
}

/** Tasks narrowed by the indexed `status` / `project` columns when the filter allows it (the query re-checks). */
function prefiltered(ctx: CallContext, body: Doc): TaskDoc[] {
  const where: string[] = [];
  const params: string[] = [];
  for (const column of ["status", "project"]) {
    const values = body[column] === undefined || body[column] === null ? undefined : plainList(body[column]);
    if (!values) continue;
    where.push(`${column} IN (${values.map(() => "?").join(", ")})`);
    params.push(...values);
  }
  return ctx.db.tasks.all(where.join(" AND "), ...params);
}

/** `tasks.get_all` (also `get_all_ex`, without joins). */
function getAll(ctx: CallContext): Doc {
  const p = ctx.params;
  const body: Doc = {};
  for (const [k, v] of Object.entries(p.body)) body[mapLegacyPath(k)] = v;
  const order = p.strList("order_by");
  if (order) body.order_by = order.map(mapLegacyPath);
  if (p.bool("include_subprojects", false) && p.has("project")) {
    body.project = expandSubprojects(ctx, p.strList("project")!);
  }
  const ids = p.strList("id");
  const docs = ids && ids.every((i) => !i.startsWith("-")) ? ctx.db.tasks.getMany(ids) : prefiltered(ctx, body);
  const res = runQuery(docs, new Params(body), TASK_SPEC);
  const only = p.strList("only_fields");
  const out: Doc = { tasks: res.items.map((t) => taskOut(t as TaskDoc, ctx.version, only)) };
  if (res.scrollId !== undefined) out.scroll_id = res.scrollId;
  return out;
}

function cloneTask(ctx: CallContext): Doc {
  const p = ctx.params;
  const src = getTask(ctx, p.reqStr("task"));
  const now = isoDate(ctx.now);
  const fields: Doc = {
    name: p.str("new_task_name") ?? src.name,
    type: src.type,
    comment: p.str("new_task_comment") ?? src.comment,
    tags: p.strList("new_task_tags") ?? src.tags ?? [],
    system_tags: p.strList("new_task_system_tags") ??
      (src.system_tags ?? []).filter((t) => t !== "development" && t !== "archived"),
    script: clone(src.script),
    output: src.output?.destination ? { destination: src.output.destination } : {},
    models: { input: clone(src.models?.input ?? []), output: [] },
    container: clone(src.container),
    hyperparams: p.has("new_task_hyperparams")
      ? normalizeHyperparams(p.raw("new_task_hyperparams"), "new_task_hyperparams")
      : clone(src.hyperparams),
    configuration: p.has("new_task_configuration")
      ? normalizeConfiguration(p.raw("new_task_configuration"), "new_task_configuration")
      : clone(src.configuration),
  };
  const parent = p.str("new_task_parent");
  fields.parent = parent ?? (src.parent && !src.parent.startsWith("__DELETED__") ? src.parent : src.id);
  let newProject: Doc | undefined;
  const projectName = p.str("new_project_name");
  const projectId = p.str("new_task_project");
  if (projectId !== undefined) fields.project = projectId;
  else if (projectName !== undefined && projectName.trim() !== "") {
    const proj = ensureProject(ctx, projectName);
    fields.project = proj.id;
    if (proj.created) newProject = { id: proj.id, name: proj.name };
  } else if (src.project) fields.project = src.project;
  if (p.bool("validate_references", false) || parent !== undefined || projectId !== undefined) {
    checkReferences(ctx, fields);
  }
  const inputModels = p.objList("new_task_input_models");
  if (inputModels !== undefined) {
    fields.models = { input: inputModels.map((m) => ({ ...m, updated: now })), output: [] };
  }
  const container = p.obj("new_task_container");
  if (container !== undefined) fields.container = clone(container);
  const exec = clone(src.execution ?? {});
  delete exec.queue;
  if (Array.isArray(exec.artifacts)) exec.artifacts = (exec.artifacts as Doc[]).filter((a) => a.mode === "input");
  const overrides = p.obj("execution_overrides");
  if (overrides !== undefined) {
    Object.assign(exec, clone(overrides));
    if (isObject(exec.model_labels)) {
      for (const [k, v] of Object.entries(exec.model_labels)) (exec.model_labels as Doc)[k] = Math.trunc(Number(v));
    }
  }
  fields.execution = exec;
  applyExecutionConversions(fields, fields as TaskDoc, now);
  const doc = newTaskDoc(ctx, fields);
  ctx.db.tasks.insert(doc);
  return newProject ? { id: doc.id, new_project: newProject } : { id: doc.id };
}

/** Delete a task and everything that hangs off it (entries, events); children are re-parented. */
export function deleteTask(ctx: CallContext, task: TaskDoc): Doc {
  removeFromAllQueues(ctx.db, task.id, ctx.now);
  const updatedChildren = ctx.db.store.run(
    "UPDATE tasks SET doc = json_set(doc, '$.parent', ?) WHERE json_extract(doc, '$.parent') = ?",
    `__DELETED__${task.id}`,
    task.id,
  );
  ctx.db.store.run("DELETE FROM events WHERE task = ?", task.id);
  ctx.db.tasks.delete(task.id);
  return { deleted: true, updated_children: updatedChildren, updated_models: 0, deleted_models: 0, urls: null };
}

function del(ctx: CallContext): Doc {
  const task = getTask(ctx, ctx.params.reqStr("task"));
  const archived = (task.system_tags ?? []).includes("archived");
  if (!ctx.params.bool("force", false) && task.status !== "created" && !archived) {
    throw errors.taskCannotBeDeleted("without force, only draft or archived tasks can be deleted", {
      task: task.id,
      status: task.status,
    });
  }
  return deleteTask(ctx, task);
}

function archive(ctx: CallContext, on: boolean): Doc {
  let n = 0;
  for (const id of ctx.params.reqStrList("tasks")) {
    const task = getTask(ctx, id);
    const tags = new Set(task.system_tags ?? []);
    if (on === tags.has("archived")) continue;
    if (on) tags.add("archived");
    else tags.delete("archived");
    task.system_tags = [...tags];
    if (on && (task.status === "queued" || task.status === "in_progress")) {
      removeFromAllQueues(ctx.db, task.id, ctx.now);
      const target = task.status === "queued" ? (task.enqueue_status as TaskDoc["status"] ?? "created") : "stopped";
      changeStatus(ctx, task, {
        status: target,
        force: true,
        reason: ctx.params.str("status_reason") ?? "",
        message: ctx.params.str("status_message") ?? "",
        unset: ["enqueue_status"],
      });
    } else ctx.db.tasks.update(task);
    n++;
  }
  return on ? { archived: n } : { unarchived: n };
}

/** Register the task CRUD endpoints. */
export function registerTasks(reg: Registry): void {
  reg.add(
    { name: "tasks.create", minVersion: "1.0", handler: create },
    {
      name: "tasks.validate",
      minVersion: "1.0",
      handler: (ctx) => {
        createFields(ctx);
        return {};
      },
    },
    {
      name: "tasks.get_by_id",
      minVersion: "1.0",
      handler: (ctx) => {
        const id = ctx.params.reqStr("task");
        const task = ctx.db.tasks.get(id);
        if (!task) throw errors.invalidTaskId(undefined, { ids: [id] });
        return { task: taskOut(task, ctx.version) };
      },
    },
    { name: "tasks.get_all", minVersion: "1.0", handler: getAll },
    { name: "tasks.get_all_ex", minVersion: "1.0", handler: getAll },
    { name: "tasks.clone", minVersion: "1.0", handler: cloneTask },
    { name: "tasks.delete", minVersion: "1.0", handler: del },
    { name: "tasks.archive", minVersion: "2.12", handler: (ctx) => archive(ctx, true) },
    { name: "tasks.unarchive", minVersion: "2.13", handler: (ctx) => archive(ctx, false) },
  );
}
