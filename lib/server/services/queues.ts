/**
 * `queues.*` (server-api.md §4.1, §5): CRUD, the default queue, entries (add/remove/clear/move/peek/count) and
 * the atomic `get_next_task`, with our optional long poll (`wait_ms`, ignored by a real ClearML server).
 *
 * @module
 */

import { errors } from "../errors.ts";
import { type Doc, isObject, newId } from "../json.ts";
import type { QueueDoc, TaskStatus } from "../storage/model.ts";
import { project, type QuerySpec, runQuery } from "../queries/query.ts";
import { below, type CallContext, type Registry } from "../registry.ts";
import { isoDate } from "../time.ts";
import { appendEntry, countEntries, defaultQueue, entriesOf, getQueue, popHead, queueKey } from "./queue_entries.ts";
import { queueView, removeEntry, rewriteEntries } from "./queue_entries.ts";
import { changeStatus, getTask } from "./tasks_status.ts";

/** Queues carrying one of these tags are hidden unless `search_hidden`, `id` or `name` is given. */
export const HIDDEN_QUEUE_TAGS = ["k8s-glue"];
/** Longest long poll we honour (below the agent's 30 s read timeout). */
export const MAX_WAIT_MS = 25_000;

const SPEC: QuerySpec = {
  pattern: ["name", "display_name"],
  lists: ["id", "tags", "system_tags", "user"],
  listPrefixes: ["metadata."],
  ranges: [],
  rangePrefixes: [],
  dates: ["created", "last_update"],
  text: ["name", "display_name", "id"],
  hiddenFields: [],
  numericOrderPrefixes: [],
  isHidden: (doc, params) =>
    !params.has("name") &&
    [...(doc.tags as string[] ?? []), ...(doc.system_tags as string[] ?? [])].some((t) =>
      HIDDEN_QUEUE_TAGS.includes(t)
    ),
};

function readMetadata(raw: unknown): Record<string, Doc> {
  const out: Record<string, Doc> = {};
  const items = Array.isArray(raw) ? raw : isObject(raw) ? Object.values(raw) : undefined;
  if (!items) throw errors.validation("invalid field type", { field: "metadata", expected: "list of objects" });
  for (const item of items) {
    if (!isObject(item) || typeof item.key !== "string" || item.key === "") {
      throw errors.validation("metadata items need a key", { field: "metadata" });
    }
    out[item.key] = { key: item.key, type: item.type ?? null, value: item.value ?? null };
  }
  return out;
}

function checkQueueName(ctx: CallContext, name: string, selfId?: string): string {
  const stripped = name.trim();
  if (stripped.length < 3) throw errors.dataValidation("name is shorter than 3 characters", { field: "name", name });
  const row = ctx.db.store.get("SELECT id FROM queues WHERE name = ?", stripped);
  if (row && row.id !== selfId) throw errors.expectedUniqueData(undefined, { name: stripped });
  return stripped;
}

/** Create a queue; returns its id (`400/800` short name, `400/801` duplicate). */
export function createQueue(
  ctx: CallContext,
  q: { name: string; tags?: string[]; system_tags?: string[]; metadata?: unknown; display_name?: string },
): string {
  const now = isoDate(ctx.now);
  const doc: QueueDoc = {
    id: newId(),
    name: checkQueueName(ctx, q.name),
    company: ctx.identity.company,
    user: ctx.identity.user,
    created: now,
    last_update: now,
    tags: q.tags ?? [],
    system_tags: q.system_tags ?? [],
    metadata: q.metadata === undefined ? {} : readMetadata(q.metadata),
  };
  if (q.display_name !== undefined) doc.display_name = q.display_name;
  ctx.db.queues.insert(doc);
  return doc.id;
}

function view(ctx: CallContext, q: QueueDoc, only?: string[]): Doc {
  const max = ctx.params.int("max_task_entries", { min: 0 });
  return project(queueView(ctx.db, q, { maxEntries: max, oldMetadata: below(ctx.version, 2, 17) }), only, []);
}

/** Revert a queued task that leaves a queue other than by a pop (queue deleted or cleared). */
function revertTask(ctx: CallContext, taskId: string, queueId: string, reason: string): boolean {
  const task = ctx.db.tasks.get(taskId);
  if (!task || task.status !== "queued") return false;
  changeStatus(ctx, task, {
    status: (task.enqueue_status ?? "created") as TaskStatus,
    force: true,
    reason,
    unset: task.execution?.queue === queueId ? ["execution.queue", "enqueue_status"] : ["enqueue_status"],
  });
  return true;
}

function getAll(ctx: CallContext): Doc {
  const p = ctx.params;
  const ids = p.strList("id");
  const docs = ids && ids.every((i) => !i.startsWith("-")) ? ctx.db.queues.getMany(ids) : ctx.db.queues.all();
  const res = runQuery(docs, p, SPEC);
  const only = p.strList("only_fields");
  const out: Doc = { queues: res.items.map((q) => view(ctx, q as QueueDoc, only)) };
  if (res.scrollId !== undefined) out.scroll_id = res.scrollId;
  return out;
}

function update(ctx: CallContext): Doc {
  const p = ctx.params;
  const q = getQueue(ctx, p.reqStr("queue"));
  const fields: Doc = {};
  const name = p.str("name");
  if (name !== undefined) fields.name = q.name = checkQueueName(ctx, name, q.id);
  for (const key of ["tags", "system_tags"] as const) {
    const v = p.strList(key);
    if (v !== undefined) fields[key] = q[key] = v;
  }
  const display = p.str("display_name");
  if (display !== undefined) fields.display_name = q.display_name = display;
  if (p.has("metadata")) fields.metadata = q.metadata = readMetadata(p.raw("metadata"));
  if (Object.keys(fields).length === 0) return { updated: 0, fields: {} };
  q.last_update = isoDate(ctx.now);
  ctx.db.queues.update(q);
  return { updated: 1, fields };
}

function clearEntries(ctx: CallContext, q: QueueDoc, reason: string): string[] {
  const reverted = entriesOf(ctx.db, q.id).filter((e) => revertTask(ctx, e.task, q.id, reason)).map((e) => e.task);
  ctx.db.store.run("DELETE FROM queue_entries WHERE queue = ?", q.id);
  return reverted;
}

function move(ctx: CallContext, where: "forward" | "backward" | "front" | "back"): Doc {
  const p = ctx.params;
  const q = getQueue(ctx, p.reqStr("queue"));
  const taskId = p.reqStr("task");
  const count = p.int("count", { min: 1 }) ?? 1;
  const entries = entriesOf(ctx.db, q.id);
  const idx = entries.findIndex((e) => e.task === taskId);
  if (idx < 0) throw errors.notQueued(undefined, { queue: q.id, task: taskId });
  const last = entries.length - 1;
  const pos = where === "front"
    ? 0
    : where === "back"
    ? last
    : where === "forward"
    ? Math.max(0, idx - count)
    : Math.min(last, idx + count);
  const [entry] = entries.splice(idx, 1);
  entries.splice(pos, 0, entry);
  rewriteEntries(ctx.db, q.id, entries, ctx.now);
  return { position: pos };
}

/** Pop the head in one transaction; with `wait_ms`, wait for a task to arrive (our extension). */
async function getNextTask(ctx: CallContext): Promise<Doc> {
  const p = ctx.params;
  const queueId = p.reqStr("queue");
  const only = p.str("task");
  const info = p.bool("get_task_info", false);
  const asked = p.int("wait_ms", { min: 0 }) ?? 0;
  const waitMs = ctx.app.longPoll ? Math.min(asked, MAX_WAIT_MS) : 0;
  const deadline = performance.now() + waitMs;
  const pop = (): Doc => {
    getQueue(ctx, queueId);
    const entry = popHead(ctx.db, queueId, ctx.now, only);
    if (!entry) return {};
    const task = ctx.db.tasks.get(entry.task);
    if (task?.status === "stopped") { // a stop raced with the pop: the agent will start it, keep it consistent
      task.status = "queued";
      ctx.db.tasks.update(task);
    }
    const out: Doc = { entry };
    if (info && task) out.task_info = { company: task.company, user: task.user };
    return out;
  };
  while (true) {
    const res = ctx.tx(pop);
    const left = deadline - performance.now();
    if (res.entry || left <= 0 || ctx.signal.aborted) return res;
    await ctx.app.waitFor(queueKey(queueId), left, ctx.signal);
    // A client that went away (or a server shutting down) must not take a task nobody will run.
    if (ctx.signal.aborted) return {};
  }
}

/** Register the queue endpoints. */
export function registerQueues(reg: Registry): void {
  reg.add(
    {
      name: "queues.create",
      minVersion: "2.4",
      handler: (ctx) => {
        const p = ctx.params;
        const name = p.str("name");
        if (name === undefined) throw errors.validation("missing required field", { field: "name" });
        return {
          id: createQueue(ctx, {
            name,
            tags: p.strList("tags"),
            system_tags: p.strList("system_tags"),
            metadata: p.raw("metadata"),
            display_name: p.str("display_name"),
          }),
        };
      },
    },
    { name: "queues.get_all", minVersion: "2.4", handler: getAll },
    { name: "queues.get_all_ex", minVersion: "2.4", handler: getAll },
    {
      name: "queues.get_by_id",
      minVersion: "2.4",
      handler: (ctx) => ({ queue: view(ctx, getQueue(ctx, ctx.params.reqStr("queue"))) }),
    },
    {
      name: "queues.get_default",
      minVersion: "2.4",
      handler: (ctx) => {
        const q = defaultQueue(ctx.db);
        return { id: q.id, name: q.name };
      },
    },
    { name: "queues.update", minVersion: "2.4", handler: update },
    {
      name: "queues.delete",
      minVersion: "2.4",
      handler: (ctx) => {
        const q = getQueue(ctx, ctx.params.reqStr("queue"));
        if (countEntries(ctx.db, q.id) > 0 && !ctx.params.bool("force", false)) {
          throw errors.queueNotEmpty(undefined, { queue: q.id });
        }
        clearEntries(ctx, q, `Queue ${q.id} was deleted`);
        ctx.db.queues.delete(q.id);
        return { deleted: 1 };
      },
    },
    {
      name: "queues.clear_queue",
      minVersion: "1.0",
      handler: (ctx) => {
        const q = getQueue(ctx, ctx.params.reqStr("queue"));
        const removed = clearEntries(ctx, q, `Queue ${q.id} was cleared`);
        ctx.db.queues.update({ ...q, last_update: isoDate(ctx.now) });
        return { removed_tasks: removed };
      },
    },
    {
      name: "queues.add_task",
      minVersion: "2.4",
      handler: (ctx) => {
        const p = ctx.params;
        const q = getQueue(ctx, p.reqStr("queue"));
        const task = getTask(ctx, p.reqStr("task"));
        appendEntry(ctx, q.id, task.id);
        if (p.bool("update_execution_queue", true)) {
          task.execution = { ...task.execution, queue: q.id };
          ctx.db.tasks.update(task);
        }
        return { added: 1 };
      },
    },
    {
      name: "queues.remove_task",
      minVersion: "2.4",
      handler: (ctx) => {
        const p = ctx.params;
        const q = getQueue(ctx, p.reqStr("queue"));
        const taskId = p.reqStr("task");
        const removed = removeEntry(ctx.db, q.id, taskId, ctx.now);
        if (removed === 0) throw errors.notQueued(undefined, { queue: q.id, task: taskId });
        if (p.bool("update_task_status", false)) revertTask(ctx, taskId, q.id, "removed from queue");
        return { removed };
      },
    },
    { name: "queues.get_next_task", minVersion: "1.0", tx: false, handler: getNextTask },
    { name: "queues.move_task_forward", minVersion: "2.4", handler: (ctx) => move(ctx, "forward") },
    { name: "queues.move_task_backward", minVersion: "2.4", handler: (ctx) => move(ctx, "backward") },
    { name: "queues.move_task_to_front", minVersion: "2.4", handler: (ctx) => move(ctx, "front") },
    { name: "queues.move_task_to_back", minVersion: "2.4", handler: (ctx) => move(ctx, "back") },
    {
      name: "queues.peek_task",
      minVersion: "2.15",
      handler: (ctx) => ({ task: entriesOf(ctx.db, getQueue(ctx, ctx.params.reqStr("queue")).id, 1)[0]?.task ?? null }),
    },
    {
      name: "queues.get_num_entries",
      minVersion: "2.15",
      handler: (ctx) => ({ num: countEntries(ctx.db, getQueue(ctx, ctx.params.reqStr("queue")).id) }),
    },
    {
      name: "queues.get_queue_metrics",
      minVersion: "2.4",
      handler: (ctx) => ({
        queues: (ctx.params.strList("queue_ids") ?? ["all"]).map((queue) => ({
          queue,
          dates: [],
          avg_waiting_times: [],
          queue_lengths: [],
        })),
      }),
    },
    {
      name: "queues.add_or_update_metadata",
      minVersion: "2.13",
      handler: (ctx) => {
        const q = getQueue(ctx, ctx.params.reqStr("queue"));
        const items = readMetadata(ctx.params.raw("metadata") ?? []);
        q.metadata = ctx.params.bool("replace_metadata", false) ? items : { ...q.metadata, ...items };
        q.last_update = isoDate(ctx.now);
        ctx.db.queues.update(q);
        return { updated: 1 };
      },
    },
    {
      name: "queues.delete_metadata",
      minVersion: "2.13",
      handler: (ctx) => {
        const q = getQueue(ctx, ctx.params.reqStr("queue"));
        const keys = ctx.params.reqStrList("keys");
        const before = Object.keys(q.metadata ?? {}).length;
        for (const k of keys) delete q.metadata?.[k];
        if (Object.keys(q.metadata ?? {}).length === before) return { updated: 0 };
        q.last_update = isoDate(ctx.now);
        ctx.db.queues.update(q);
        return { updated: 1 };
      },
    },
  );
}
