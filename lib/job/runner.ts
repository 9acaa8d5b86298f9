/**
 * The daemon side of one task (agent-reference §5.2, done better): run `execute --disable-monitoring --id T` of
 * this very program as a child in its own process group and session, stream its merged output live to the task
 * log (on-disk spool, never dropped), ping the task, watch for a user abort every 500 ms, stop the whole process
 * tree on abort or shutdown (SIGINT, SIGTERM, `agent.abort_grace_s`, SIGKILL — grandchildren included), and set the final
 * status with a distinct reason (`final_status.ts`).
 *
 * The `execute` child reports how its run ended through a small JSON file (`CLEARML_AGENT_EXIT_INFO`): the task's
 * own exit code, the signal that killed it, or the setup failure — so "setup failure", "killed by signal N" and a
 * plain non-zero exit are told apart.
 *
 * @module
 */

import { join } from "node:path";
import type { ApiClient } from "../api/client.ts";
import { addLogEvents } from "../api/events.ts";
import { RETRY } from "../api/retry_policy.ts";
import * as tasks from "../api/tasks.ts";
import { tailFile } from "../logs/file_tail.ts";
import { pumpLines } from "../logs/lines.ts";
import { spawnChild } from "../process/child.ts";
import { SetupError } from "../../executors/executor.ts";
import { startHostRun } from "../../executors/host_run.ts";
import type { TaskRun } from "../../executors/task_run.ts";
import { watchForStop } from "./abort_watcher.ts";
import { type FinalStatus, finalStatusOf, type RunEnd, sendFinalStatus, type StopCause } from "./final_status.ts";
import { EXIT_INFO_ENV, readExitInfo } from "../process/exit_status.ts";
import { TaskLog } from "./task_log.ts";
import { type DockerMode, startTaskContainer } from "../../executors/docker/task_container.ts";
import { sleep } from "../sleep.ts";
import { makeRunFolder, sweepDeadRuns } from "../process/run_folders.ts";

/** Options of `runTask`. */
export interface TaskRunnerOptions {
  client: ApiClient;
  taskId: string;
  workerId: string;
  /** The queue the task came from (for the first log line). */
  queueId?: string;
  /** Its name (the first log line names the queue by it). */
  queueName?: string;
  /** The program that runs this agent (`selfCommand()`). */
  self: string[];
  /** Options placed before `execute` (`--config-file F`, `--debug`). */
  globalArgs?: string[];
  /** Options placed after `execute --disable-monitoring --id T` (`-O`, `--gpus`, `--cpu-only`). */
  executeArgs?: string[];
  /** Variables added to the child's environment (worker id, GPUs, tags); `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Folder for the exit-info file. */
  workDir: string;
  /** Spool root of the task logs (`<state_dir>/spool`). */
  spoolRoot: string;
  /** SIGINT → SIGTERM → SIGKILL grace on abort and shutdown (`agent.abort_grace_s`). */
  graceMs: number;
  /** @default 500 */
  abortPollMs?: number;
  /** `tasks.ping` interval (`agent.task_ping_interval_sec`); 0 disables. */
  pingIntervalMs: number;
  /** `CLEARML_AGENT_ABORT_CALLBACK_CMD`: run (shell) on a user abort before the tree is stopped. */
  abortCallbackCmd?: string;
  /** Longest wait for the abort callback. */
  abortCallbackTimeoutMs?: number;
  /** Longest wait for the log to drain after the run (lines left over stay in the spool). @default 120000 */
  logDrainMs?: number;
  /** Where the task's output and the runner's messages are printed. @default this process's stdout */
  stdout?: (bytes: Uint8Array) => void;
  /** Aborting stops the run gracefully: reason `agent shutdown`. */
  shutdown?: AbortSignal;
  /** Aborting makes a stop immediate: no grace period, short waits. */
  hardStop?: AbortSignal;
  /** Called once the child runs, with its process group id (for the crash-recovery record). */
  onStarted?: (pgid: number) => void | Promise<void>;
  /** The runner's own messages (not task output). @default console */
  say?: (line: string) => void;
  /** Docker mode: the `execute` child runs in a container of the task's image (`executors/docker/`). */
  docker?: DockerMode;
  /** Folders of per-run files swept after the run: what an `execute` killed by a signal left is removed. */
  runFolders?: readonly string[];
}

/** How a run ended. */
export interface RunOutcome {
  /** The child's exit code (128 + N for a signal), `null` when it did not start. */
  exitCode: number | null;
  stopCause?: StopCause;
  final: FinalStatus;
  /** False when log lines were left in the spool (server unreachable). */
  logsDelivered: boolean;
}

/** A promise that resolves when `signal` aborts (never, without one); `dispose` drops the listener. */
function whenAborted(signal: AbortSignal | undefined): { promise: Promise<void>; dispose: () => void } {
  let dispose = () => {};
  const promise = new Promise<void>((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve();
    const on = () => resolve();
    signal.addEventListener("abort", on, { once: true });
    dispose = () => signal.removeEventListener("abort", on);
  });
  return { promise, dispose };
}

async function pingLoop(o: TaskRunnerOptions, done: AbortSignal): Promise<void> {
  if (o.pingIntervalMs <= 0) return;
  while (!done.aborted) {
    await sleep(o.pingIntervalMs, done);
    if (done.aborted) break;
    // Retry policy: none — a failed ping is logged at debug level and the next one comes an interval later.
    await tasks.pingTask(o.client, o.taskId, { retry: RETRY.none, signal: done, timeoutMs: 10_000 }).catch(() => {});
  }
}

/** Run the abort callback command; it gets the task id and a deadline, then its tree is killed. */
async function runAbortCallback(o: TaskRunnerOptions, log: TaskLog): Promise<void> {
  if (!o.abortCallbackCmd) return;
  const timeoutMs = o.abortCallbackTimeoutMs ?? 180_000;
  log.info(`### Running abort callback, waiting for max ${Math.round(timeoutMs / 1000)} sec ###`);
  const start = performance.now();
  const cb = spawnChild({
    cmd: "/bin/sh",
    args: ["-c", o.abortCallbackCmd],
    env: { CLEARML_TASK_ID: o.taskId, CLEARML_WORKER_ID: o.workerId },
    output: "merged",
  });
  const pump = pumpLines(cb.output!, { onLines: (lines) => log.lines(lines) });
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  const onHard = () => stop.abort();
  o.hardStop?.addEventListener("abort", onHard, { once: true });
  const stopped = whenAborted(stop.signal);
  try {
    await Promise.race([cb.status, stopped.promise]);
    await cb.terminate({ graceMs: 0 });
    await pump;
  } finally {
    stopped.dispose();
    clearTimeout(timer);
    o.hardStop?.removeEventListener("abort", onHard);
  }
  const secs = ((performance.now() - start) / 1000).toFixed(2);
  log.info(
    stop.signal.aborted
      ? `### Abort callback timed out after ${secs} seconds ###`
      : `### Abort callback completed in ${secs} seconds ###`,
  );
}

/** What every launcher gets from the runner besides its options. */
interface LaunchPaths {
  /** The `execute` child's arguments after the program. */
  args: string[];
  outputPath: string;
  exitInfoPath: string;
  say: (line: string) => void;
}

/** The launchers by kind (`executors/task_run.ts`): where one task's `execute` child runs. */
const LAUNCHERS: Record<"host" | "docker", (o: TaskRunnerOptions, p: LaunchPaths) => Promise<TaskRun>> = {
  host: (o, p) =>
    startHostRun({
      cmd: o.self[0],
      args: p.args,
      env: childEnvironment({ ...o.env, [EXIT_INFO_ENV]: p.exitInfoPath }),
      outputPath: p.outputPath,
      exitInfoPath: p.exitInfoPath,
    }),
  docker: (o, p) =>
    startTaskContainer({
      docker: o.docker!,
      client: o.client,
      taskId: o.taskId,
      workerId: o.workerId,
      globalArgs: o.globalArgs ?? [],
      executeArgs: o.executeArgs ?? [],
      env: o.env ?? {},
      say: p.say,
      signal: o.hardStop,
    }),
};

/** Run one task to its end and set its final status. Never throws for the task's own failures. */
export async function runTask(o: TaskRunnerOptions): Promise<RunOutcome> {
  const say = o.say ?? ((line: string) => console.log(line));
  const log = TaskLog.open({
    taskId: o.taskId,
    workerId: o.workerId,
    spoolRoot: o.spoolRoot,
    stdout: o.stdout,
    stderr: o.stdout,
    upload: async (events, signal) =>
      void await addLogEvents(o.client, events, { retry: RETRY.logs, signal, timeoutMs: 30_000 }),
  });
  // The run's own files live in a run folder that carries this process's pid, so that a daemon killed mid-task
  // leaves nothing behind for long: the next daemon (or the next run) sweeps it (`run_folders.ts`).
  const runDir = await makeRunFolder(runFilesBase(o.workDir), `task-${o.taskId}`);
  const exitInfoPath = join(runDir, "exit.json");
  // The child's output goes to a file, read from there: the task never waits for the agent (`file_tail.ts`).
  const outputPath = join(runDir, "output.log");
  const done = new AbortController();
  let child: TaskRun | null = null;
  let disposing: Promise<void> | undefined;
  const disposeOnce = () => disposing ??= child ? child.dispose() : Promise.resolve();
  let end: RunEnd = { exitCode: null };
  try {
    const from = o.queueName ? `queue "${o.queueName}"` : o.queueId ? `queue ${o.queueId}` : "(no queue)";
    log.info(`task ${o.taskId} pulled from ${from} by worker ${o.workerId}`);
    say(`Running task '${o.taskId}'`);
    const args = [
      ...o.self.slice(1),
      ...(o.globalArgs ?? []),
      "execute",
      "--disable-monitoring",
      "--id",
      o.taskId,
      ...(o.executeArgs ?? []),
    ];
    try {
      child = await LAUNCHERS[o.docker ? "docker" : "host"](o, {
        args,
        outputPath,
        exitInfoPath,
        say: (line) => log.info(line),
      });
    } catch (err) {
      const why = err instanceof SetupError ? err.message : `cannot start the executor: ${(err as Error).message}`;
      end = { exitCode: null, setupFailure: why };
      return await finish(o, log, end, say);
    }
    if (child.pgid !== undefined) await o.onStarted?.(child.pgid);
    const pumpStop = new AbortController();
    const output = child.output ?? tailFile(outputPath, { done: whenAborted(done.signal).promise });
    const pump = pumpLines(output, { onLines: (lines) => log.lines(lines), signal: pumpStop.signal });
    const ping = pingLoop(o, done.signal);
    const stop = watchForStop({
      client: o.client,
      taskId: o.taskId,
      intervalMs: o.abortPollMs,
      signal: done.signal,
      onResetWarning: (line) => log.info(line, "WARNING"),
      onConnectivity: (ok, err) =>
        say(ok ? "Connection to the server is back" : `Cannot reach the server (task keeps running): ${err}`),
    });
    const shutdown = whenAborted(o.shutdown);
    const first = await Promise.race([
      child.status.then(() => ({ kind: "exit" as const })),
      stop.then((decision) => ({ kind: "stop" as const, decision })),
      shutdown.promise.then(() => ({ kind: "shutdown" as const })),
    ]);
    shutdown.dispose();
    let stopCause: StopCause | undefined;
    if (first.kind === "stop" && first.decision) {
      stopCause = first.decision.cause;
      log.info(`User aborted: stopping task (${first.decision.detail})`, "ERROR");
      if (stopCause === "user abort") await runAbortCallback(o, log);
    } else if (first.kind === "shutdown") {
      stopCause = "agent shutdown";
      log.info("Agent shutdown: stopping task", "ERROR");
    }
    if (stopCause) await child.terminate({ graceMs: o.graceMs, signal: o.hardStop });
    const status = await child.status;
    // Whatever the run left behind in its group or session goes with it, and so do the files of an `execute`
    // that could not clean up (killed): before the final status says the run is over.
    await child.terminate({ graceMs: 0 });
    await sweepRunFolders(o);
    done.abort();
    // A process that escaped the tree may still hold the output pipe: stop reading a moment later.
    const pumpTimer = setTimeout(() => pumpStop.abort(), 2_000);
    await Promise.all([pump, ping, stop]);
    clearTimeout(pumpTimer);
    const info = await readExitInfo(child.exitInfoPath);
    const exitCode = info?.exitCode ?? (status.code ?? 128 + (status.signalNumber ?? 0));
    const verdict = await child.outcome(info);
    // The container goes before the status flips: a finished task leaves nothing behind.
    await disposeOnce();
    end = {
      exitCode,
      stopCause,
      signalNumber: status.signalNumber ?? info?.signalNumber,
      setupFailure: info?.setupFailure ?? verdict.setupFailure,
      oomKilled: verdict.oomKilled,
    };
    say(`DONE: Running task '${o.taskId}', exit status ${exitCode}`);
    return await finish(o, log, end, say);
  } catch (err) {
    // A bug or an environment problem of the agent itself: the task must still end with a status, and its
    // processes must not outlive the run.
    const message = err instanceof Error ? err.message : String(err);
    say(`Error while running task ${o.taskId}: ${err instanceof Error ? err.stack : err}`);
    done.abort();
    if (child) await child.terminate({ graceMs: 0 }).catch(() => {});
    return await finish(o, log, { ...end, agentError: message }, say);
  } finally {
    done.abort();
    if (child && child.exited === null) await child.terminate({ graceMs: 0 }).catch(() => {});
    if (child) await disposeOnce();
    await log.close({ timeoutMs: 1 }).catch(() => {});
    await Deno.remove(runDir, { recursive: true }).catch(() => {});
    await sweepRunFolders(o);
  }
}

/** Where a runner with work folder `workDir` keeps its runs' output and exit files (one run folder each). */
export function runFilesBase(workDir: string): string {
  return join(workDir, "runs");
}

/**
 * The folders whose dead runs a daemon (or a one-task `execute`) sweeps: the task configuration folders under
 * `venvsDir`, the runs' output files under `workDir`, and the container run folders.
 */
export function runFolderBases(o: { venvsDir: string; workDir: string; dockerRunBase?: string }): string[] {
  return [join(o.venvsDir, "runs"), runFilesBase(o.workDir), ...(o.dockerRunBase ? [o.dockerRunBase] : [])];
}

/** Remove the run folders whose owner died (`o.runFolders`). */
async function sweepRunFolders(o: TaskRunnerOptions): Promise<void> {
  for (const base of o.runFolders ?? []) await sweepDeadRuns(base);
}

async function finish(o: TaskRunnerOptions, log: TaskLog, end: RunEnd, say: (l: string) => void): Promise<RunOutcome> {
  const final = finalStatusOf(end);
  log.info(final.logLine, final.level);
  const hard = o.hardStop?.aborted ?? false;
  // Deliver the run's output before the status flips, so the UI shows the last lines of a finished task. Bounded:
  // with the server away, the rest stays in the spool and is sent by the next run of this task or on restart.
  const logsDelivered = await log.close({ timeoutMs: hard ? 2_000 : o.logDrainMs ?? 120_000, signal: o.hardStop });
  if (!logsDelivered) say(`Warning: ${log.pending} log lines of task ${o.taskId} left in ${log.spoolDir}`);
  try {
    const signal = o.hardStop?.aborted ? AbortSignal.timeout(5_000) : o.hardStop;
    const warning = await sendFinalStatus(o.client, o.taskId, final, { workerId: o.workerId, signal });
    if (warning) say(warning);
  } catch (err) {
    say(`Warning: could not set the final status of task ${o.taskId}: ${(err as Error).message}`);
  }
  return { exitCode: end.exitCode, stopCause: end.stopCause, final, logsDelivered };
}

/** This process's environment with `changes` applied (`undefined` removes a variable). */
function childEnvironment(changes: Record<string, string | undefined>): Record<string, string> {
  const env = Deno.env.toObject();
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}
