/**
 * Crash safety: while a task runs, the daemon keeps a small record on disk — `<state_dir>/workers/<worker id>.json`
 * with the task id and the process group of its run (boot id and leader start time included, so a reused pid is
 * never mistaken for ours). The record is removed when the run ends. A daemon that starts with the same worker id
 * and finds a record knows its predecessor died mid-task: it kills what is left of that run's process tree, sends
 * the run's log lines still in the spool, and — if the task is still `in_progress` — marks it `failed` with reason
 * `agent restarted`. No task stays `in_progress` forever because of us, and no process of it is left behind.
 *
 * @module
 */

import { join } from "node:path";
import type { ApiClient } from "../api/client.ts";
import { addLogEvents } from "../api/events.ts";
import { ApiError } from "../api/errors.ts";
import { RETRY } from "../api/retry_policy.ts";
import * as tasks from "../api/tasks.ts";
import { terminateGroup } from "../process/group_kill.ts";
import { type GroupRecord, groupRecordOf, leftoverMembers } from "../process/group_record.ts";
import { TaskLog } from "../job/task_log.ts";

/** What is on disk while a task runs. */
export interface RunState {
  workerId: string;
  taskId: string;
  queueId?: string;
  /** Pid of the daemon that runs it. */
  daemonPid: number;
  /** The run's process tree. */
  group: GroupRecord;
  startedAt: string;
}

/** The record path of a worker id. */
export function runStatePath(stateDir: string, workerId: string): string {
  return join(stateDir, "workers", `${workerId.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);
}

/** Write the record of a run that just started (aside, then renamed into place). */
export async function writeRunState(
  path: string,
  state: { workerId: string; taskId: string; queueId?: string; pgid: number },
): Promise<void> {
  const record: RunState = {
    workerId: state.workerId,
    taskId: state.taskId,
    queueId: state.queueId,
    daemonPid: Deno.pid,
    group: groupRecordOf(state.pgid, `task ${state.taskId}`),
    startedAt: new Date().toISOString(),
  };
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(`${path}.${Deno.pid}.tmp`, JSON.stringify(record) + "\n");
  await Deno.rename(`${path}.${Deno.pid}.tmp`, path);
}

/** Remove the record (the run ended). */
export async function clearRunState(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
}

/** Read a record; `null` when there is none; a corrupt file is reported as `null` and removed. */
export async function readRunState(path: string): Promise<RunState | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return null;
  }
  try {
    const s = JSON.parse(text) as RunState;
    if (typeof s.taskId === "string" && s.group && Number.isInteger(s.group.pgid) && s.group.pgid > 1) return s;
  } catch {
    // fall through
  }
  await clearRunState(path);
  return null;
}

/** Options of `reconcile`. */
export interface ReconcileOptions {
  client: ApiClient;
  stateDir: string;
  workerId: string;
  spoolRoot: string;
  /** Grace for leftover processes (SIGTERM → SIGKILL). @default 2000 */
  graceMs?: number;
  say: (line: string) => void;
  signal?: AbortSignal;
}

/** What `reconcile` found and did. */
export interface ReconcileResult {
  taskId: string | null;
  /** Pids of the previous run that were still alive and were killed. */
  killed: number[];
  /** The status the task had; `failed` was sent when it was `in_progress`. */
  previousStatus?: string;
  markedFailed: boolean;
}

/** Clean up after a predecessor with this worker id that died mid-task (no-op without a record). */
export function reconcile(o: ReconcileOptions): Promise<ReconcileResult> {
  return reconcileRecord(o, runStatePath(o.stateDir, o.workerId));
}

/**
 * Also clean up after dead daemons of other worker ids (a daemon that crashed and was restarted with other GPUs or
 * another id): every record whose daemon is gone and whose worker id no live agent on this machine holds.
 */
export async function reconcileOrphans(
  o: ReconcileOptions & { liveWorkerIds: ReadonlySet<string>; pidAlive: (pid: number) => boolean },
): Promise<ReconcileResult[]> {
  const dir = join(o.stateDir, "workers");
  const out: ReconcileResult[] = [];
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".json")).map((e) => e.name);
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(dir, name);
    const state = await readRunState(path);
    if (!state || state.workerId === o.workerId) continue;
    if (o.liveWorkerIds.has(state.workerId) || o.pidAlive(state.daemonPid)) continue;
    out.push(await reconcileRecord(o, path));
  }
  return out;
}

async function reconcileRecord(o: ReconcileOptions, path: string): Promise<ReconcileResult> {
  const state = await readRunState(path);
  if (!state) return { taskId: null, killed: [], markedFailed: false };
  o.say(`Previous run of worker "${state.workerId}" (pid ${state.daemonPid}) ended with task ${state.taskId} running`);
  const alive = leftoverMembers(state.group).map((p) => p.pid);
  if (alive.length > 0) {
    o.say(`Killing ${alive.length} leftover process(es) of task ${state.taskId}: ${alive.join(", ")}`);
    await terminateGroup(state.group.pgid, { graceMs: o.graceMs ?? 2_000, sid: state.group.pgid });
  }
  const { previousStatus, markedFailed } = await reconcileTask(o, state.taskId, alive.length);
  await clearRunState(path);
  return { taskId: state.taskId, killed: alive, previousStatus, markedFailed };
}

/**
 * The task side of a dead run: send its log lines left in the spool and, if it is still `in_progress`, mark it
 * `failed` (`agent restarted`). `killed` counts what was left of the run (processes, or a container).
 */
export async function reconcileTask(
  o: ReconcileOptions,
  taskId: string,
  killed: number,
): Promise<{ previousStatus?: string; markedFailed: boolean }> {
  let previousStatus: string | undefined;
  let markedFailed = false;
  try {
    const task = await tasks.getTaskFields(o.client, taskId, ["status", "status_message"], { signal: o.signal });
    previousStatus = task?.status;
    if (task?.status === "in_progress") {
      await sendRestartNote(o, taskId, killed);
      await tasks.failedTask(o.client, taskId, {
        status_reason: "agent restarted",
        status_message: `Changed by clearml-agent ${o.workerId}`,
      }, { signal: o.signal });
      markedFailed = true;
      o.say(`Task ${taskId} marked failed: agent restarted`);
    } else {
      await sendRestartNote(o, taskId, killed, false);
    }
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    o.say(`Warning: could not reconcile task ${taskId}: ${err.message}`);
  }
  return { previousStatus, markedFailed };
}

/** Send the run's unsent log lines (resumed from its spool), plus a note when the task is being failed. */
async function sendRestartNote(o: ReconcileOptions, taskId: string, killed: number, note = true): Promise<void> {
  const log = TaskLog.open({
    taskId,
    workerId: o.workerId,
    spoolRoot: o.spoolRoot,
    stdout: () => {},
    stderr: () => {},
    upload: async (events, signal) =>
      void await addLogEvents(o.client, events, { retry: RETRY.logs, signal, timeoutMs: 30_000 }),
  });
  if (note) {
    const leftovers = killed > 0 ? `; ${killed} leftover process(es) killed` : "";
    log.info(`Agent restarted: the run of this task was interrupted${leftovers}`, "ERROR");
  }
  await log.close({ timeoutMs: 30_000, signal: o.signal });
}
