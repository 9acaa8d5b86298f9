/**
 * Event writes (server-api.md §4.4): `events.add_batch` (json-lines), `events.add`, `events.delete_for_task`,
 * `events.clear_task_log`. Log events are appended in order; every other event is upserted by its deterministic id
 * md5(task-iter-metric-variant-key). Bad events are counted per reason, not fatal, unless none was stored
 * (`400/131`).
 *
 * @module
 */

import { errors } from "../errors.ts";
import { type Doc, isObject } from "../json.ts";
import type { TaskDoc } from "../storage/model.ts";
import type { CallContext, Registry } from "../registry.ts";
import { isoDate } from "../time.ts";
import { applyEventToTask, EVENT_TYPES, md5 } from "./events_metrics.ts";
import { registerEventReads } from "./events_read.ts";
import { getTask, touchTask } from "./tasks_status.ts";

const INT64_MAX = 9223372036854775807;

const INSERT_LOG = "INSERT INTO events (eid, task, type, ts, iter, metric, variant, doc) " +
  "VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)";
const UPSERT = "INSERT INTO events (eid, task, type, ts, iter, metric, variant, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?) " +
  "ON CONFLICT (eid) WHERE eid IS NOT NULL DO UPDATE SET type = excluded.type, ts = excluded.ts, " +
  "iter = excluded.iter, metric = excluded.metric, variant = excluded.variant, doc = excluded.doc";

/**
 * Normalise and store one event (log: appended; others: upserted by id); `undefined` when its timestamp or
 * iteration is invalid.
 */
function storeEvent(
  ctx: CallContext,
  raw: Doc,
  o: { type: string; taskId: string; written: string; now: number },
): Doc | undefined {
  const ts = raw.timestamp ?? raw.ts ?? o.now;
  if (typeof ts !== "number" || !Number.isFinite(ts)) return undefined;
  const iter = raw.iter;
  if (iter !== undefined && iter !== null && (!Number.isInteger(iter) || Math.abs(iter as number) > INT64_MAX)) {
    return undefined;
  }
  const metric = typeof raw.metric === "string" ? raw.metric : "";
  const variant = typeof raw.variant === "string" ? raw.variant : "";
  const ev: Doc = { ...raw, type: o.type, task: o.taskId, timestamp: Math.trunc(ts), metric, variant };
  ev["@timestamp"] = o.written;
  delete ev.ts;
  if (ev.worker === undefined && ctx.workerHeader) ev.worker = ctx.workerHeader;
  if (o.type === "training_stats_vector" && ev.values !== undefined) {
    ev.value = ev.values;
    delete ev.values;
  }
  const iterValue = typeof iter === "number" ? iter : null;
  const doc = JSON.stringify(ev);
  if (o.type === "log") {
    ctx.db.store.run(INSERT_LOG, o.taskId, o.type, ev.timestamp as number, iterValue, metric, variant, doc);
  } else {
    const parts = [o.taskId, iterValue, metric, variant, raw.key].filter((v) => v !== undefined && v !== null);
    const eid = md5(parts.map(String).join("-"));
    ctx.db.store.run(UPSERT, eid, o.taskId, o.type, ev.timestamp as number, iterValue, metric, variant, doc);
  }
  return ev;
}

/** Store a list of events; returns `{added, errors, errors_info}` or throws `400/131` when nothing was stored. */
export function addEvents(ctx: CallContext, items: Doc[]): Doc {
  if (items.length === 0) throw errors.emptyBatch();
  const info: Record<string, number> = {};
  const fail = (reason: string) => void (info[reason] = (info[reason] ?? 0) + 1);
  const tasks = new Map<string, TaskDoc | null>();
  const touched = new Set<TaskDoc>();
  const written = isoDate(ctx.now);
  let added = 0;
  for (const raw of items) {
    const type = typeof raw.type === "string" ? raw.type.replaceAll(" ", "_") : "";
    if (!EVENT_TYPES.has(type)) {
      fail(type ? "invalid event type" : "missing event type");
      continue;
    }
    const forModel = raw.model_event === true;
    const taskId = forModel ? raw.model ?? raw.task : raw.task;
    if (typeof taskId !== "string" || taskId === "") {
      fail(forModel ? "missing model" : "missing task");
      continue;
    }
    if (forModel) {
      if (type === "log") fail("log events are not supported for models");
      else if (!ctx.db.models.exists(taskId)) fail("invalid model id");
      else if (!storeEvent(ctx, raw, { type, taskId, written, now: ctx.now })) fail("invalid timestamp or iteration");
      else added++;
      continue;
    }
    let task = tasks.get(taskId);
    if (task === undefined) {
      task = ctx.db.tasks.get(taskId) ?? null;
      tasks.set(taskId, task);
    }
    if (!task) {
      fail("invalid task id");
      continue;
    }
    if ((task.status === "published" || task.status === "publishing") && raw.allow_locked !== true) {
      fail("task is locked");
      continue;
    }
    const ev = storeEvent(ctx, raw, { type, taskId, written, now: ctx.now });
    if (!ev) {
      fail(typeof (raw.timestamp ?? raw.ts ?? 0) !== "number" ? "invalid timestamp" : "invalid iteration");
      continue;
    }
    applyEventToTask(task, {
      type,
      metric: ev.metric as string,
      variant: ev.variant as string,
      iter: typeof ev.iter === "number" ? ev.iter : undefined,
      timestamp: ev.timestamp as number,
      value: ev.value,
      x_axis_label: ev.x_axis_label,
    });
    touched.add(task);
    added++;
  }
  for (const task of touched) {
    touchTask(task, ctx);
    ctx.db.tasks.update(task);
  }
  const failed = items.length - added;
  if (added === 0) throw errors.eventsNotAdded(undefined, info);
  return { added, errors: failed, errors_info: info };
}

function requireWritable(ctx: CallContext, task: TaskDoc): void {
  if ((task.status === "published" || task.status === "publishing") && !ctx.params.bool("allow_locked", false)) {
    throw errors.invalidTaskStatus("Cannot modify the events of a published task", { status: task.status });
  }
}

/** Register the event endpoints. */
export function registerEvents(reg: Registry): void {
  reg.add(
    {
      name: "events.add_batch",
      minVersion: "1.0",
      batch: true,
      handler: (ctx) => addEvents(ctx, ctx.batch ?? []),
    },
    {
      name: "events.add",
      minVersion: "1.0",
      handler: (ctx) => {
        if (!isObject(ctx.params.body) || Object.keys(ctx.params.body).length === 0) throw errors.emptyBatch();
        return addEvents(ctx, [ctx.params.body]);
      },
    },
    {
      name: "events.delete_for_task",
      minVersion: "1.0",
      handler: (ctx) => {
        const task = getTask(ctx, ctx.params.reqStr("task"));
        requireWritable(ctx, task);
        return { deleted: ctx.db.store.run("DELETE FROM events WHERE task = ?", task.id) };
      },
    },
    {
      name: "events.clear_task_log",
      minVersion: "2.19",
      handler: (ctx) => {
        const task = getTask(ctx, ctx.params.reqStr("task"));
        requireWritable(ctx, task);
        const threshold = ctx.params.int("threshold_sec", { min: 0 });
        const deleted = threshold === undefined
          ? ctx.db.store.run("DELETE FROM events WHERE task = ? AND type = 'log'", task.id)
          : ctx.db.store.run(
            "DELETE FROM events WHERE task = ? AND type = 'log' AND ts < ?",
            task.id,
            ctx.now - threshold * 1000,
          );
        return { deleted };
      },
    },
  );
  registerEventReads(reg);
}
