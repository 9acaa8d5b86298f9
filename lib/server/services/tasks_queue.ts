/**
 * Queue-related task endpoints (server-api.md §4.2.4–4.2.5): `tasks.enqueue`, `tasks.dequeue`, `tasks.stop`
 * (the `stopping` handshake when a live worker runs the task, straight to `stopped` otherwise) and `tasks.reset`.
 *
 * @module
 */

import { errors } from "../errors.ts";
import { deletePath, type Doc } from "../json.ts";
import type { TaskDoc, TaskStatus } from "../storage/model.ts";
import type { CallContext, Registry } from "../registry.ts";
import { isoDate, parseDate } from "../time.ts";
import { appendEntry, defaultQueue, getQueue, inQueue, removeEntry, removeFromAllQueues } from "./queue_entries.ts";
import { changeStatus, getTask, isTaskStatus, validateTransition } from "./tasks_status.ts";
import { createQueue } from "./queues.ts";
import { isWorkerLive, workersWatching } from "./workers.ts";

/** A task counts as run by a worker this long after its last update (`apiserver.workers.task_update_timeout`). */
export const TASK_UPDATE_TIMEOUT_SEC = 600;

function resolveQueue(ctx: CallContext): string {
  const p = ctx.params;
  const queue = p.str("queue");
  const queueName = p.str("queue_name");
  if (queue && queueName) throw errors.validation("only one of queue and queue_name may be given", { field: "queue" });
  if (queue) return getQueue(ctx, queue).id;
  if (queueName) {
    const row = ctx.db.store.get("SELECT id FROM queues WHERE name = ?", queueName);
    return row ? String(row.id) : createQueue(ctx, { name: queueName });
  }
  return defaultQueue(ctx.db).id;
}

function enqueue(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const queueId = resolveQueue(ctx);
  const force = p.bool("force", false);
  if (!p.bool("update_execution_queue", true) && (task.status !== "queued" || !task.execution?.queue)) {
    throw errors.invalidTaskStatus("update_execution_queue=false requires a queued task", { status: task.status });
  }
  validateTransition(task.status, "queued", force);
  if (inQueue(ctx.db, queueId, task.id)) {
    throw errors.taskAlreadyQueued(undefined, { queue: queueId, task: task.id });
  }
  const enqueueStatus = task.status === "queued" ? (task.enqueue_status ?? "created") : task.status;
  removeFromAllQueues(ctx.db, task.id, ctx.now, queueId);
  appendEntry(ctx, queueId, task.id);
  const res = changeStatus(ctx, task, {
    status: "queued",
    force,
    reason: p.str("status_reason") ?? "",
    message: p.str("status_message") ?? "",
    set: { enqueue_status: enqueueStatus, "execution.queue": queueId },
  });
  const out: Doc = { queued: 1, ...res };
  if (p.bool("verify_watched_queue", false)) out.queue_watched = workersWatching(ctx, queueId) > 0;
  return out;
}

function dequeue(ctx: CallContext): Doc {
  const p = ctx.params;
  const id = p.reqStr("task");
  const newStatus = p.str("new_status");
  if (newStatus !== undefined && !isTaskStatus(newStatus)) {
    throw errors.validation("invalid value", { field: "new_status", value: newStatus });
  }
  const task = ctx.db.tasks.get(id);
  if (!task) {
    removeFromAllQueues(ctx.db, id, ctx.now);
    return { dequeued: 1, updated: 0 };
  }
  const queue = task.execution?.queue;
  if (task.status === "queued" && typeof queue === "string") removeEntry(ctx.db, queue, task.id, ctx.now);
  if (p.bool("remove_from_all_queues", false)) removeFromAllQueues(ctx.db, task.id, ctx.now);
  if (task.status !== "queued" && task.status !== "in_progress") return { dequeued: 1, updated: 0 };
  const target = (newStatus ?? task.enqueue_status ?? "created") as TaskStatus;
  const res = changeStatus(ctx, task, {
    status: isTaskStatus(target) ? target : "created",
    force: true,
    reason: p.str("status_reason") ?? "",
    message: p.str("status_message") ?? "",
    unset: ["enqueue_status"],
  });
  return { dequeued: 1, ...res };
}

/** True when an agent is running the task: it has a `last_worker` that is alive or reported recently. */
export function runByWorker(ctx: CallContext, task: TaskDoc): boolean {
  if (!task.last_worker) return false;
  if (isWorkerLive(ctx, task.last_worker)) return true;
  const last = parseDate(task.last_update);
  return last !== undefined && ctx.now - last < TASK_UPDATE_TIMEOUT_SEC * 1000;
}

function stop(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const force = p.bool("force", false);
  const reason = p.str("status_reason") ?? "";
  const dev = (task.system_tags ?? []).includes("development");
  if (task.status === "queued" || dev || !runByWorker(ctx, task)) {
    validateTransition(task.status, "stopped", force);
    if (task.status === "queued") removeFromAllQueues(ctx.db, task.id, ctx.now);
    return changeStatus(ctx, task, {
      status: "stopped",
      force,
      reason,
      message: `Stopped by ${ctx.identity.user_name || ctx.identity.user}`,
      set: { completed: isoDate(ctx.now) },
    });
  }
  return changeStatus(ctx, task, { status: task.status, force, reason, message: "stopping" });
}

function reset(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const force = p.bool("force", false);
  validateTransition(task.status, "created", force);
  const removed = removeFromAllQueues(ctx.db, task.id, ctx.now);
  ctx.db.store.run("DELETE FROM events WHERE task = ?", task.id);
  task.last_iteration = 0;
  task.last_metrics = {};
  task.unique_metrics = [];
  task.metric_stats = {};
  task.models = { ...task.models, output: [] };
  task.runtime = {};
  for (const key of Object.keys(task)) if (key.startsWith("_")) delete task[key];
  for (
    const path of [
      "output.result",
      "output.error",
      "last_worker",
      "last_worker_report",
      "started",
      "completed",
      "published",
      "active_duration",
      "enqueue_status",
      "execution.queue",
    ]
  ) deletePath(task, path);
  const artifacts = task.execution?.artifacts;
  if (Array.isArray(artifacts)) task.execution!.artifacts = (artifacts as Doc[]).filter((a) => a.mode === "input");
  if (p.bool("clear_all", false)) {
    task.execution = {};
    delete task.script;
  }
  const res = changeStatus(ctx, task, {
    status: "created",
    force: true,
    reason: p.str("status_reason") ?? "reset",
    message: p.str("status_message") ?? "reset",
  });
  return {
    ...res,
    dequeued: removed > 0 ? { removed } : {},
    deleted_models: 0,
    updated_children: 0,
    updated_models: 0,
    urls: null,
  };
}

/** Register the queue-related task endpoints. */
export function registerTaskQueueing(reg: Registry): void {
  reg.add(
    { name: "tasks.enqueue", minVersion: "1.0", handler: enqueue },
    { name: "tasks.dequeue", minVersion: "1.0", handler: dequeue },
    { name: "tasks.stop", minVersion: "1.0", handler: stop },
    { name: "tasks.reset", minVersion: "1.0", handler: reset },
  );
}
