/**
 * The task status state machine (server-api.md §4.2.2) and the plain status endpoints: `tasks.started`,
 * `stopped`, `failed`, `completed`, `close`, `publish` and `ping`. Every status change goes through
 * `changeStatus`, which validates the transition (unless forced) and stamps the bookkeeping fields.
 *
 * @module
 */

import { errors } from "../errors.ts";
import { deletePath, type Doc, setPath } from "../json.ts";
import { TASK_STATUSES, type TaskDoc, type TaskStatus } from "../storage/model.ts";
import type { CallContext, Registry } from "../registry.ts";
import { isoDate, parseDate } from "../time.ts";

/** Allowed targets per status without `force`; the same status is always allowed. */
export const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  created: ["queued", "in_progress"],
  queued: ["created", "in_progress", "stopped"],
  in_progress: ["stopped", "failed", "created", "completed"],
  stopped: ["closed", "created", "failed", "queued", "in_progress", "published", "publishing", "completed"],
  closed: ["created", "failed", "published", "publishing", "stopped"],
  failed: ["created", "stopped", "published", "queued"],
  publishing: ["published"],
  published: [],
  completed: ["published", "in_progress", "created"],
  unknown: [],
};

/** Throw `400/110` unless `from → to` is allowed (or forced). */
export function validateTransition(from: TaskStatus, to: TaskStatus, force: boolean): void {
  if (force || from === to) return;
  if (!(TRANSITIONS[from] ?? []).includes(to)) {
    throw errors.invalidTaskStatus("Invalid status change", { current_status: from, new_status: to });
  }
}

/** True when `value` is a task status. */
export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === "string" && (TASK_STATUSES as readonly string[]).includes(value);
}

/** The task, or `400/101`. */
export function getTask(ctx: CallContext, id: string): TaskDoc {
  const task = ctx.db.tasks.get(id);
  if (!task) throw errors.invalidTaskId(undefined, { id, company: ctx.identity.company });
  return task;
}

/** A status change request. */
export interface StatusChange {
  status: TaskStatus;
  force?: boolean;
  reason?: string;
  message?: string;
  /** Extra fields to set (dotted paths), reported in `fields`. */
  set?: Record<string, unknown>;
  /** Fields to remove (dotted paths). */
  unset?: string[];
}

/** Stamp a status change on `task` (validated unless forced) and save it; returns `{updated, fields}`. */
export function changeStatus(ctx: CallContext, task: TaskDoc, change: StatusChange): { updated: number; fields: Doc } {
  validateTransition(task.status, change.status, change.force ?? false);
  const now = isoDate(ctx.now);
  const fields: Doc = {
    status: change.status,
    status_reason: change.reason ?? "",
    status_message: change.message ?? "",
    status_changed: now,
    last_update: now,
    last_change: now,
    last_changed_by: ctx.identity.user,
    ...change.set,
  };
  for (const [path, value] of Object.entries(fields)) setPath(task, path, value);
  for (const path of change.unset ?? []) deletePath(task, path);
  if (change.status === "queued" && task.system_tags?.includes("development")) {
    task.system_tags = task.system_tags.filter((t) => t !== "development");
    fields.system_tags = [...task.system_tags].sort();
  }
  ctx.db.tasks.update(task);
  return { updated: 1, fields };
}

/** The common request fields of status endpoints. */
export function statusRequest(ctx: CallContext) {
  const p = ctx.params;
  return {
    task: getTask(ctx, p.reqStr("task")),
    force: p.bool("force", false),
    reason: p.str("status_reason") ?? "",
    message: p.str("status_message") ?? "",
  };
}

function simple(status: TaskStatus, extra?: (ctx: CallContext, task: TaskDoc) => Record<string, unknown>) {
  return (ctx: CallContext) => {
    const r = statusRequest(ctx);
    return changeStatus(ctx, r.task, {
      status,
      force: r.force,
      reason: r.reason,
      message: r.message,
      set: extra?.(ctx, r.task),
    });
  };
}

/** Publish a task (`tasks.publish`, `tasks.completed(publish=true)`). */
export function publishTask(ctx: CallContext, task: TaskDoc, force: boolean, reason = "", message = "") {
  return changeStatus(ctx, task, {
    status: "published",
    force,
    reason,
    message,
    set: { published: isoDate(ctx.now) },
  });
}

/** Refresh `last_update` (and `active_duration` while running), as pings and events do. */
export function touchTask(task: TaskDoc, ctx: CallContext): void {
  const now = isoDate(ctx.now);
  task.last_update = now;
  task.last_change = now;
  task.last_changed_by = ctx.identity.user;
  if (task.status === "in_progress" && task.started) {
    const started = parseDate(task.started);
    if (started !== undefined) task.active_duration = Math.max(0, Math.floor((ctx.now - started) / 1000));
  }
}

/** Register the status endpoints. */
export function registerTaskStatus(reg: Registry): void {
  reg.add(
    {
      name: "tasks.started",
      minVersion: "1.0",
      handler: (ctx) => {
        const r = statusRequest(ctx);
        const set = r.task.started ? undefined : { started: isoDate(ctx.now) };
        const res = changeStatus(ctx, r.task, { status: "in_progress", ...r, set });
        return { ...res, started: res.updated };
      },
    },
    {
      name: "tasks.stopped",
      minVersion: "1.0",
      handler: simple("stopped", (ctx) => ({ completed: isoDate(ctx.now) })),
    },
    { name: "tasks.failed", minVersion: "1.0", handler: simple("failed") },
    { name: "tasks.close", minVersion: "1.0", handler: simple("closed") },
    {
      name: "tasks.completed",
      minVersion: "2.2",
      handler: (ctx) => {
        const r = statusRequest(ctx);
        const res = changeStatus(ctx, r.task, { status: "completed", ...r, set: { completed: isoDate(ctx.now) } });
        if (!ctx.params.bool("publish", false)) return { ...res, published: 0 };
        const pub = publishTask(ctx, r.task, r.force, r.reason, r.message);
        return { updated: 1, fields: { ...res.fields, ...pub.fields }, published: 1 };
      },
    },
    {
      name: "tasks.publish",
      minVersion: "1.0",
      handler: (ctx) => {
        const r = statusRequest(ctx);
        return publishTask(ctx, r.task, r.force, r.reason, r.message);
      },
    },
    {
      name: "tasks.ping",
      minVersion: "1.0",
      handler: (ctx) => {
        const task = ctx.db.tasks.get(ctx.params.reqStr("task"));
        if (!task) return {}; // upstream silently ignores unknown ids
        touchTask(task, ctx);
        ctx.db.tasks.update(task);
        return {};
      },
    },
  );
}
