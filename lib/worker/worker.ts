/**
 * The worker loop (agent-reference §5.1–5.2): register → take the next task off the queues → claim it
 * (`tasks.started`, "pulled by agent") → report it → run it (`lib/job/runner.ts`) → report idle → repeat; on
 * the way out, unregister.
 *
 * Background mode (services mode, dynamic GPUs; `background`): a claimed task is launched as its own worker
 * (`services.ts`) and the loop goes back to the queues at once — waiting first for room when a services cap is
 * reached. The queue poller's gate (working hours, free GPUs) decides which queues are served.
 *
 * Stopping: `stop` (SIGTERM/SIGINT, `--stop`) ends the loop and stops running tasks gracefully (reason
 * `agent shutdown`); `hardStop` (a second signal) makes that immediate; `drain` (SIGUSR1, `--stop --drain`, or a
 * `drain:<worker id>` queue tag) lets running tasks finish and takes no new one. While a task runs, its id and
 * process group are recorded on disk (`reconcile.ts`) so that a successor can clean up if this daemon dies.
 *
 * A failure inside one round never ends the daemon: it is printed, and the loop goes on after a second.
 *
 * @module
 */

import { collectAfterTask } from "../process/idle_gc.ts";
import type { ApiClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import { RETRY } from "../api/retry_policy.ts";
import * as tasks from "../api/tasks.ts";
import { registerWorker, unregisterWorker } from "../api/workers.ts";
import { runTask, type TaskRunnerOptions } from "../job/runner.ts";
import type { Pick, QueuePoller, QueueRef } from "./queue_poller.ts";
import { clearRunState, runStatePath, writeRunState } from "./reconcile.ts";
import type { LaunchPlan, ServiceTasks } from "./services.ts";
import type { WorkerStatusReporter } from "./worker_status.ts";
import { sleep } from "../sleep.ts";

/** The signals that end a worker. */
export interface WorkerSignals {
  /** Graceful stop: running task stopped with grace, reason `agent shutdown`. */
  stop: AbortSignal;
  /** Immediate stop. */
  hardStop: AbortSignal;
  /** Finish the running task, take no new one. */
  drain: AbortSignal;
}

/** What the runner gets for every task, besides the task itself. */
export type RunnerBase = Omit<
  TaskRunnerOptions,
  "client" | "taskId" | "queueId" | "workerId" | "shutdown" | "hardStop" | "onStarted"
>;

/** Options of `runWorker`. */
export interface WorkerLoopOptions {
  client: ApiClient;
  workerId: string;
  queues: QueueRef[];
  poller: QueuePoller;
  reporter: WorkerStatusReporter;
  runner: RunnerBase;
  /** `agent.state_dir`. */
  stateDir: string;
  /** `workers.register` timeout (seconds): the server forgets a worker silent for that long. */
  registerTimeoutSec: number;
  signals: WorkerSignals;
  say: (line: string) => void;
  /** Called once the worker is registered (the detached parent waits for this). */
  onRegistered?: () => void | Promise<void>;
  /** Background mode: where tasks run, and how each one runs (worker id, GPUs). */
  background?: { tasks: ServiceTasks; plan: (pick: Pick) => LaunchPlan | Promise<LaunchPlan> };
  /** More reasons to drain (a `drain:<worker id>` queue tag). */
  drain?: AbortSignal;
  /** Once when a services cap is reached (waiting for a running task to end). */
  onFull?: () => void;
}

/** What a worker did. */
export interface WorkerResult {
  tasksRun: number;
}

function anySignal(...signals: AbortSignal[]): AbortSignal {
  return AbortSignal.any(signals);
}

/** Claim a popped task; false (with a warning) when it cannot run. */
async function claim(o: WorkerLoopOptions, pick: Pick): Promise<boolean> {
  try {
    // Retry policy: status — a popped task must be claimed, or handed back, even across a server restart.
    await tasks.startedTask(o.client, pick.taskId, { force: true, status_message: "pulled by agent" }, {
      retry: RETRY.status,
      signal: o.signals.hardStop,
    });
    return true;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    o.say(`Warning: Could not set status=in_progress task id '${pick.taskId}', skipping: ${message}`);
    if (!(err instanceof ApiError) || err.isNetworkError || err.code >= 500) await o.poller.putBack(pick);
    return false;
  }
}

async function runOne(o: WorkerLoopOptions, pick: Pick): Promise<void> {
  const statePath = runStatePath(o.stateDir, o.workerId);
  await o.reporter.setTask({ task: pick.taskId, queue: pick.queue.id });
  try {
    await runTask({
      ...o.runner,
      client: o.client,
      taskId: pick.taskId,
      queueId: pick.queue.id,
      queueName: pick.queue.name,
      workerId: o.workerId,
      shutdown: o.signals.stop,
      hardStop: o.signals.hardStop,
      onStarted: (pgid) =>
        writeRunState(statePath, { workerId: o.workerId, taskId: pick.taskId, queueId: pick.queue.id, pgid }),
    });
  } finally {
    await clearRunState(statePath);
    await o.reporter.setTask(null);
    // The run's garbage (its output went through this process) is collected and given back once idle again.
    collectAfterTask();
  }
}

/** Launch a claimed task in the background; a task that cannot be launched is failed, not left in progress. */
async function launch(
  o: WorkerLoopOptions,
  background: NonNullable<WorkerLoopOptions["background"]>,
  pick: Pick,
): Promise<void> {
  let plan: LaunchPlan;
  try {
    plan = await background.plan(pick);
  } catch (err) {
    await pick.ticket?.release();
    const message = err instanceof Error ? err.message : String(err);
    o.say(`Error: cannot launch task '${pick.taskId}': ${message}`);
    // Retry policy: status — the task was claimed; it must not stay in progress with nobody running it.
    await tasks.failedTask(o.client, pick.taskId, {
      force: true,
      status_reason: "agent error",
      status_message: `Cannot launch task: ${message}`,
    }, { retry: RETRY.status, signal: o.signals.hardStop }).catch(() => {});
    return;
  }
  background.tasks.launch(pick, plan);
}

/** Register, serve the queues until stopped, unregister. */
export async function runWorker(o: WorkerLoopOptions): Promise<WorkerResult> {
  const queueIds = o.queues.map((q) => q.id);
  // Retry policy: call (5 min) — the server answered the login moments ago. A stop while registering (the server
  // went away meanwhile) ends the daemon: nothing was taken yet.
  const registering = AbortSignal.any([o.signals.stop, o.signals.hardStop]);
  try {
    await registerWorker(o.client, o.workerId, queueIds, {
      retry: RETRY.call,
      signal: registering,
      timeout: o.registerTimeoutSec,
    });
  } catch (err) {
    if (!registering.aborted) throw err;
    o.say(`Stopped before worker "${o.workerId}" could register`);
    return { tasksRun: 0 };
  }
  await o.onRegistered?.();
  o.reporter.start();
  const noMore = anySignal(o.signals.stop, o.signals.drain, ...(o.drain ? [o.drain] : []));
  const background = o.background;
  let tasksRun = 0;
  try {
    while (!noMore.aborted) {
      try {
        if (background && !(await background.tasks.waitForRoom(noMore, o.onFull))) break;
        const pick = await o.poller.next(noMore, o.signals.hardStop);
        if (!pick) break;
        if (!(await claim(o, pick))) {
          await pick.ticket?.release();
          continue;
        }
        tasksRun++;
        if (background) await launch(o, background, pick);
        else await runOne(o, pick);
      } catch (err) {
        if (o.signals.hardStop.aborted) break;
        o.say(`FATAL ERROR in the worker loop (continuing in 1 s): ${err instanceof Error ? err.stack : err}`);
        await sleep(1_000, noMore);
      }
    }
    if (background && background.tasks.size > 0) {
      o.say(`Waiting for ${background.tasks.size} running task(s) to end`);
      await background.tasks.waitAll();
    }
  } finally {
    await o.reporter.stop();
    // Retry policy: call, bounded by 60 s, and by 5 s once a second signal came (also one that comes while
    // retrying) — exiting matters more than a clean list.
    const deadline = new AbortController();
    const hurry = () => setTimeout(() => deadline.abort(), 5_000);
    let hurryTimer = o.signals.hardStop.aborted ? hurry() : undefined;
    const onHardStop = () => hurryTimer ??= hurry();
    o.signals.hardStop.addEventListener("abort", onHardStop, { once: true });
    const signal = AbortSignal.any([deadline.signal, AbortSignal.timeout(60_000)]);
    try {
      await unregisterWorker(o.client, o.workerId, queueIds, { retry: RETRY.call, signal }).catch((err) =>
        o.say(`Warning: could not unregister worker "${o.workerId}": ${(err as Error).message}`)
      );
    } finally {
      o.signals.hardStop.removeEventListener("abort", onHardStop);
      clearTimeout(hurryTimer);
    }
  }
  return { tasksRun };
}
