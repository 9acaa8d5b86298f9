/**
 * Watching a running task for a reason to stop it (agent-reference §5.5), by polling its status with the cheapest
 * call there is — `tasks.get_all {id: [T], only_fields: [status, status_message]}` — every `intervalMs` (500 ms;
 * the reference checks every 5 s), so that a UI "Abort" stops the task within a second.
 *
 * - `in_progress` with a status message containing `stopping` (the server's abort handshake for a task a live
 *   worker runs), or `stopped` → user abort;
 * - `completed`, `failed`, `closed`, `published`, `publishing`, `queued` → the status changed elsewhere: stop the
 *   run and leave the status alone;
 * - `created` (reset) seen 4 times in a row → stop the run and leave the status alone (one reading may race with
 *   a restart);
 * - the task no longer exists → stop the run;
 * - a failed poll (server gone, 5xx) → keep running: the task must not die because the server blinked.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import { RETRY } from "../api/retry_policy.ts";
import type { Task } from "../api/types.ts";
import type { StopCause } from "./final_status.ts";
import { sleep } from "../sleep.ts";

/** A reason to stop the run, with a one-line explanation. */
export interface StopDecision {
  cause: StopCause;
  /** For the log: what was seen. */
  detail: string;
}

/** The reset count after which a `created` task is considered reset. */
export const RESET_CHECKS = 4;

/**
 * Classify one status reading (pure). `task` undefined means "not found". Returns the decision (or null to keep
 * running) and the new consecutive-`created` count.
 */
export function classifyTaskState(
  task: Pick<Task, "status" | "status_message"> | undefined,
  createdCount: number,
): { decision: StopDecision | null; createdCount: number } {
  if (task === undefined) return { decision: { cause: "status changed", detail: "task not found" }, createdCount: 0 };
  const status = task.status ?? "";
  const message = task.status_message ?? "";
  if (status === "in_progress") {
    if (message.toLowerCase().includes("stopping")) {
      return {
        decision: { cause: "user abort", detail: 'abort requested (status message "stopping")' },
        createdCount: 0,
      };
    }
    return { decision: null, createdCount: 0 };
  }
  if (status === "stopped") {
    return { decision: { cause: "user abort", detail: "task was stopped" }, createdCount: 0 };
  }
  if (status === "created") {
    const n = createdCount + 1;
    if (n >= RESET_CHECKS) return { decision: { cause: "status changed", detail: "task was reset" }, createdCount: n };
    return { decision: null, createdCount: n };
  }
  if (["completed", "failed", "closed", "published", "publishing", "queued"].includes(status)) {
    return { decision: { cause: "status changed", detail: `task status changed to "${status}"` }, createdCount: 0 };
  }
  return { decision: null, createdCount: 0 };
}

/** Options of `watchForStop`. */
export interface AbortWatcherOptions {
  client: ApiClient;
  taskId: string;
  /** @default 500 */
  intervalMs?: number;
  /** Ends the watch (resolves `null`). */
  signal: AbortSignal;
  /** A reset warning, `Warning: Task <id> was reset! ... (k/4)`, for the task log. */
  onResetWarning?: (line: string) => void;
  /** Called once per outage when polls start failing, and once when they work again. */
  onConnectivity?: (ok: boolean, error?: unknown) => void;
}

/** Poll until a stop reason appears (resolves it) or `signal` aborts (resolves `null`). Never rejects. */
export async function watchForStop(o: AbortWatcherOptions): Promise<StopDecision | null> {
  const interval = o.intervalMs ?? 500;
  let created = 0;
  let failing = false;
  while (!o.signal.aborted) {
    await sleep(interval, o.signal);
    if (o.signal.aborted) break;
    let task: Task | undefined;
    try {
      // Retry policy: none — the next poll is the retry; a per-call timeout keeps a dead server from stalling it.
      const data = await o.client.call<{ tasks?: Task[] }>(
        "tasks.get_all",
        { id: [o.taskId], only_fields: ["status", "status_message"], search_hidden: true },
        { version: "2.14", retry: RETRY.none, signal: o.signal, timeoutMs: 10_000 },
      );
      task = data.tasks?.find((t) => t.id === o.taskId) ?? data.tasks?.[0];
      if (failing) o.onConnectivity?.(true);
      failing = false;
    } catch (err) {
      if (o.signal.aborted) break;
      if (err instanceof ApiError && err.code === 400 && err.subcode === 101) {
        task = undefined;
      } else {
        if (!failing) o.onConnectivity?.(false, err);
        failing = true;
        continue;
      }
    }
    const { decision, createdCount } = classifyTaskState(task, created);
    if (task?.status === "created" && decision === null) {
      o.onResetWarning?.(
        `Warning: Task ${o.taskId} was reset! if state is consistent we shall terminate (${createdCount}/${RESET_CHECKS}).`,
      );
    }
    created = createdCount;
    if (decision) return decision;
  }
  return null;
}
