/**
 * `workers.*` (server-api.md §4.3): workers are TTL entries that vanish `timeout` seconds after their last
 * register or status report. Status reports with a `task` stamp `last_worker` on it; a worker that vanishes while
 * its task is in progress leaves a status message on the task (here on unregister, in `watchdog.ts` on expiry).
 *
 * @module
 */

import { errors, ServerError } from "../errors.ts";
import type { Doc } from "../json.ts";
import type { Db } from "../storage/model.ts";
import { listPredicate } from "../queries/query_filter.ts";
import { escapeRegex } from "../queries/query_regex.ts";
import type { CallContext, Registry } from "../registry.ts";
import { isoDate } from "../time.ts";
import { countEntries, entriesOf } from "./queue_entries.ts";
import { registerWorkerProperties } from "./workers_props.ts";
import { registerWorkerStats } from "./workers_stats.ts";

/** Default registration timeout in seconds (`apiserver.workers.default_timeout`). */
export const DEFAULT_WORKER_TIMEOUT_SEC = 600;

function workerKey(ctx: CallContext, id: string): string {
  return `worker_${ctx.identity.company}_${ctx.identity.user}_${id}`;
}

function loadLive(ctx: CallContext, key: string): Doc | undefined {
  const row = ctx.db.store.get("SELECT doc FROM workers WHERE key = ? AND expires_at > ?", key, ctx.now);
  return row ? JSON.parse(String(row.doc)) : undefined;
}

function save(ctx: CallContext, doc: Doc): void {
  const timeout = Number(doc.register_timeout ?? DEFAULT_WORKER_TIMEOUT_SEC);
  ctx.db.store.run(
    "INSERT INTO workers (key, id, expires_at, doc) VALUES (?, ?, ?, ?) " +
      "ON CONFLICT (key) DO UPDATE SET id = excluded.id, expires_at = excluded.expires_at, doc = excluded.doc",
    String(doc.key),
    String(doc.id),
    ctx.now + timeout * 1000,
    JSON.stringify(doc),
  );
}

function newEntry(ctx: CallContext, id: string, timeout: number): Doc {
  const now = isoDate(ctx.now);
  return {
    key: workerKey(ctx, id),
    id,
    user: { id: ctx.identity.user, name: ctx.identity.user_name },
    company: { id: ctx.identity.company, name: ctx.identity.company_name },
    ip: ctx.ip,
    register_time: now,
    register_timeout: timeout,
    last_activity_time: now,
    queues: [],
    tags: [],
    system_tags: [],
  };
}

/** True when a non-expired worker with this id exists. */
export function isWorkerLive(ctx: CallContext, id: string): boolean {
  return ctx.db.store.get("SELECT 1 AS x FROM workers WHERE id = ? AND expires_at > ?", id, ctx.now) !== undefined;
}

/** Number of live workers listening on a queue. */
export function workersWatching(ctx: CallContext, queueId: string): number {
  return ctx.db.store.all("SELECT doc FROM workers WHERE expires_at > ?", ctx.now)
    .filter((r) => (JSON.parse(String(r.doc)).queues ?? []).includes(queueId)).length;
}

/**
 * Leave a message on the in-progress tasks last reported by `workerId`, so that a vanished worker never leaves a
 * task looking healthy. Returns the ids of the tasks marked.
 */
export function markOrphanedTasks(db: Db, workerId: string, now: number, message: string): string[] {
  const marked: string[] = [];
  for (const task of db.tasks.all("status = 'in_progress'")) {
    if (task.last_worker !== workerId) continue;
    task.status_message = message;
    task.last_change = isoDate(now);
    db.tasks.update(task);
    marked.push(task.id);
  }
  return marked;
}

function register(ctx: CallContext): Doc {
  const p = ctx.params;
  const id = p.reqStr("worker");
  const timeout = p.int("timeout") || DEFAULT_WORKER_TIMEOUT_SEC;
  if (timeout <= 0) throw errors.workerRegistrationFailed("timeout must be positive", { timeout });
  const queues = p.strList("queues") ?? [];
  const missing = queues.filter((q) => !ctx.db.queues.exists(q));
  if (missing.length > 0) throw errors.invalidQueueId(undefined, { ids: missing });
  const entry = newEntry(ctx, id, timeout);
  entry.queues = queues;
  entry.tags = p.strList("tags") ?? [];
  entry.system_tags = p.strList("system_tags") ?? [];
  save(ctx, entry);
  return {};
}

function unregister(ctx: CallContext): Doc {
  const id = ctx.params.reqStr("worker");
  const key = workerKey(ctx, id);
  const entry = loadLive(ctx, key);
  ctx.db.store.run("DELETE FROM workers WHERE key = ?", key);
  if (entry?.task) markOrphanedTasks(ctx.db, id, ctx.now, `worker ${id} unregistered`);
  return {};
}

function statusReport(ctx: CallContext): Doc {
  const p = ctx.params;
  const id = p.reqStr("worker");
  if (p.int("timestamp") === undefined) throw errors.validation("missing required field", { field: "timestamp" });
  const entry = loadLive(ctx, workerKey(ctx, id)) ?? newEntry(ctx, id, DEFAULT_WORKER_TIMEOUT_SEC);
  const now = isoDate(ctx.now);
  entry.ip = ctx.ip;
  entry.last_activity_time = entry.last_report_time = now;
  for (const key of ["tags", "system_tags"]) {
    const v = p.strList(key);
    if (v !== undefined) entry[key] = v;
  }
  const queue = p.str("queue");
  if (queue === undefined) delete entry.queue;
  else entry.queue = queue;
  const queues = p.strList("queues");
  if (queues && queues.length > 0) entry.queues = queues;
  const stats = p.obj("machine_stats");
  if (stats !== undefined) entry._machine_stats = stats;
  const taskId = p.str("task");
  if (taskId === undefined) {
    delete entry.task;
    delete entry.project;
    save(ctx, entry);
    return {};
  }
  const task = ctx.db.tasks.get(taskId);
  if (!task) {
    delete entry.task;
    delete entry.project;
    save(ctx, entry);
    throw new ServerError(400, 101, `Invalid task id: id=${taskId}`, { commit: true });
  }
  task.last_worker = id;
  task.last_worker_report = task.last_update = task.last_change = now;
  ctx.db.tasks.update(task);
  entry.task = task.id;
  if (task.project) entry.project = task.project;
  else delete entry.project;
  save(ctx, entry);
  return {};
}

function globToRegex(pattern: string): RegExp {
  return new RegExp(
    "^" + pattern.split("").map((c) => c === "*" ? ".*" : c === "?" ? "." : escapeRegex(c)).join("") + "$",
  );
}

function liveEntries(ctx: CallContext): Doc[] {
  const p = ctx.params;
  const lastSeen = p.int("last_seen", { min: 0 }) ?? (ctx.endpoint === "workers.get_count" ? 0 : 3600);
  const preds: ((d: Doc) => boolean)[] = [];
  if (p.has("tags")) preds.push(listPredicate("tags", p.raw("tags")));
  if (p.has("system_tags")) preds.push(listPredicate("system_tags", p.raw("system_tags")));
  const pattern = p.str("worker_pattern");
  if (pattern) {
    const re = globToRegex(pattern);
    preds.push((d) => re.test(String(d.id)));
  }
  return ctx.db.store.all("SELECT doc FROM workers WHERE expires_at > ? ORDER BY rowid", ctx.now)
    .map((r) => JSON.parse(String(r.doc)) as Doc)
    .filter((d) => lastSeen <= 0 || Date.parse(String(d.last_activity_time)) >= ctx.now - lastSeen * 1000)
    .filter((d) => preds.every((f) => f(d)));
}

function queueInfo(ctx: CallContext, id: string): Doc {
  const q = ctx.db.queues.get(id);
  const head = entriesOf(ctx.db, id, 1)[0];
  const headTask = head ? ctx.db.tasks.get(head.task) : undefined;
  const out: Doc = { id, name: q?.name ?? id, num_tasks: countEntries(ctx.db, id) };
  if (q?.display_name) out.display_name = q.display_name;
  if (head) out.next_task = { id: head.task, name: headTask?.name ?? "" };
  return out;
}

function entryView(ctx: CallContext, d: Doc): Doc {
  const out: Doc = {};
  for (const [k, v] of Object.entries(d)) if (!k.startsWith("_")) out[k] = v;
  const queues = ((d.queues as string[] | undefined) ?? []).map((q) => queueInfo(ctx, q));
  out.queues = queues;
  const current = queues.find((q) => q.id === d.queue);
  if (current) out.queue = current;
  else delete out.queue;
  if (typeof d.task === "string") {
    const task = ctx.db.tasks.get(d.task);
    out.task = {
      id: d.task,
      name: task?.name ?? "",
      running_time: (task?.active_duration ?? 0) * 1000,
      last_iteration: task?.last_iteration ?? 0,
    };
  }
  if (typeof d.project === "string") out.project = { id: d.project, name: ctx.db.projects.get(d.project)?.name ?? "" };
  return out;
}

/** Register the worker endpoints. */
export function registerWorkers(reg: Registry): void {
  reg.add(
    { name: "workers.register", minVersion: "2.4", handler: register },
    { name: "workers.unregister", minVersion: "2.4", handler: unregister },
    { name: "workers.status_report", minVersion: "2.4", handler: statusReport },
    {
      name: "workers.get_all",
      minVersion: "2.4",
      handler: (ctx) => ({ workers: liveEntries(ctx).map((d) => entryView(ctx, d)) }),
    },
    { name: "workers.get_count", minVersion: "1.0", handler: (ctx) => ({ count: liveEntries(ctx).length }) },
    {
      name: "workers.get_activity_report",
      minVersion: "2.4",
      handler: () => ({ total: { dates: [], counts: [] }, active: { dates: [], counts: [] } }),
    },
  );
  registerWorkerProperties(reg);
  registerWorkerStats(reg, liveEntries);
}
