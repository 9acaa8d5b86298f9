/**
 * How a task run ends on the server (agent-reference §6.10, with our distinct reasons): the pure mapping from
 * "what happened" to one status call, its `status_reason` and the last log line, and the call itself.
 *
 * | What happened | Call | status_reason | Log line |
 * |---|---|---|---|
 * | exit code 0 | `tasks.completed` | `worker execution done` | `Process completed successfully` |
 * | user abort detected (UI Abort: `stopped`, or `in_progress` + `stopping`) | `tasks.stopped` | `user abort` | `Process aborted by user` |
 * | the agent was stopped (`--stop`, SIGTERM, SIGINT) | `tasks.stopped` | `agent shutdown` | `Process terminated by agent shutdown` |
 * | exit code 254 (the task itself was interrupted, as the reference) | `tasks.stopped` | `user abort` | `Process terminated by user` |
 * | the container was killed for memory (docker mode, non-zero exit) | `tasks.failed` | `OOM killed` | `Process failed: OOM killed` |
 * | the run's process was killed by signal N | `tasks.failed` | `killed by signal N` | `Process killed by signal N` |
 * | environment setup failed (git, diff, Python, installs) | `tasks.failed` | `setup failure: <why>` | `Process failed: setup failure: <why>` |
 * | the agent itself failed while supervising the run | `tasks.failed` | `agent error: <why>` | `Process failed: agent error: <why>` |
 * | any other exit code n | `tasks.failed` | `worker execution exit code n` | `Process failed, exit code n` |
 * | status changed elsewhere (reset, completed, failed, deleted) | none | | `Task status changed to <s>: stopping the run` |
 *
 * Status calls carry `force: false` (as the reference): a task whose state moved on meanwhile is left as it is.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import * as tasks from "../api/tasks.ts";
import type { LogLevel } from "../wire/log_event.ts";

/** Why a run was stopped from outside, if it was. */
export type StopCause = "user abort" | "agent shutdown" | "status changed";

/** Everything that decides the end of a run. */
export interface RunEnd {
  /** The exit code of the run's process (128 + N when a signal ended it), `null` when it never started. */
  exitCode: number | null;
  /** The signal number that ended the run's own process (the daemon's child), if one did. */
  signalNumber?: number | null;
  /** Set when the run was stopped from outside. */
  stopCause?: StopCause;
  /** Environment setup failure text (from the `execute` child's exit info), if setup failed. */
  setupFailure?: string;
  /** The agent's own failure while supervising the run, if any. */
  agentError?: string;
  /** Docker mode: the engine reports the container was OOM killed (and the run did not succeed). */
  oomKilled?: boolean;
}

/** The status call a run end maps to. */
export interface FinalStatus {
  /** `null`: leave the task's status alone. */
  call: "completed" | "stopped" | "failed" | null;
  reason: string;
  /** The agent's last line in the task log. */
  logLine: string;
  /** Level of that line. */
  level: LogLevel;
}

/** Map a run end to its final status (pure). */
export function finalStatusOf(end: RunEnd): FinalStatus {
  if (end.stopCause === "user abort") {
    return { call: "stopped", reason: "user abort", logLine: "Process aborted by user", level: "ERROR" };
  }
  if (end.stopCause === "agent shutdown") {
    return {
      call: "stopped",
      reason: "agent shutdown",
      logLine: "Process terminated by agent shutdown",
      level: "ERROR",
    };
  }
  if (end.stopCause === "status changed") {
    return { call: null, reason: "", logLine: "Task status changed: run stopped", level: "WARNING" };
  }
  if (end.agentError !== undefined) {
    const reason = `agent error: ${end.agentError}`;
    return { call: "failed", reason, logLine: `Process failed: ${reason}`, level: "ERROR" };
  }
  if (end.oomKilled) {
    return { call: "failed", reason: "OOM killed", logLine: "Process failed: OOM killed", level: "ERROR" };
  }
  if (end.setupFailure !== undefined) {
    const reason = `setup failure: ${end.setupFailure}`;
    return { call: "failed", reason, logLine: `Process failed: ${reason}`, level: "ERROR" };
  }
  if (end.signalNumber) {
    const reason = `killed by signal ${end.signalNumber}`;
    return { call: "failed", reason, logLine: `Process ${reason}`, level: "ERROR" };
  }
  if (end.exitCode === 0) {
    return {
      call: "completed",
      reason: "worker execution done",
      logLine: "Process completed successfully",
      level: "INFO",
    };
  }
  if (end.exitCode === 254 || end.exitCode === -2) {
    return { call: "stopped", reason: "user abort", logLine: "Process terminated by user", level: "INFO" };
  }
  const code = end.exitCode ?? 1;
  return {
    call: "failed",
    reason: `worker execution exit code ${code}`,
    logLine: `Process failed, exit code ${code}`,
    level: "INFO",
  };
}

/**
 * Send the final status (after its log line was written by the caller). Retries under `RETRY.status` (a lost
 * final status leaves a task `in_progress` forever); a refusal because the task already moved on is not an error:
 * resolves to a warning text instead.
 */
export async function sendFinalStatus(
  client: ApiClient,
  taskId: string,
  status: FinalStatus,
  options: { workerId: string; signal?: AbortSignal },
): Promise<string | undefined> {
  if (status.call === null) return undefined;
  const change = {
    status_reason: status.reason.slice(0, 1000),
    status_message: `Changed by clearml-agent ${options.workerId}`,
  };
  const call = status.call === "completed"
    ? tasks.completedTask
    : status.call === "stopped"
    ? tasks.stoppedTask
    : tasks.failedTask;
  try {
    await call(client, taskId, change, { signal: options.signal });
    return undefined;
  } catch (err) {
    if (!(err instanceof ApiError) || options.signal?.aborted) throw err;
    return `Warning: could not update task id '${taskId}' status to ${status.call}: ${err.message}`;
  }
}
