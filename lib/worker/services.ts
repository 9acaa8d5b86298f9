/**
 * Tasks that run in the background, each as its own worker (agent-reference §5.6 services mode, §5.7 dynamic
 * GPUs): the daemon launches a task and goes back to its queues at once. Each task
 *
 * - runs through the same runner as a daemon task (`lib/job/runner.ts`: its own process tree, live log, ping,
 *   abort watch, final status) — so a user abort stops just that task, and whatever executor the runner uses
 *   (venv or docker) applies;
 * - is its own worker: registered as `<daemon id>:service:<task>` (services mode) or `<name>:gpu<ids>` (dynamic
 *   GPUs), reporting its task, unregistered when the run ends;
 * - has a crash-recovery record of its own (`reconcile.ts`), so a successor cleans up after a daemon that died;
 * - frees its slot when it ends (`onEnd`, e.g. giving its GPUs back).
 *
 * The task's output goes to its log on the server, not to the daemon's console (as the reference's hand-over).
 * On a graceful stop every running task is stopped (reason `agent shutdown`); on drain they are waited for.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { RETRY } from "../api/retry_policy.ts";
import { registerWorker, unregisterWorker } from "../api/workers.ts";
import { runTask } from "../job/runner.ts";
import type { Pick } from "./queue_poller.ts";
import { clearRunState, runStatePath, writeRunState } from "./reconcile.ts";
import type { RunnerBase, WorkerSignals } from "./worker.ts";
import { WorkerStatusReporter } from "./worker_status.ts";

/** How one background task runs. */
export interface LaunchPlan {
  /** The worker id the task runs as. */
  workerId: string;
  /** Variables added to the runner's (`undefined` removes one). */
  env?: Record<string, string | undefined>;
  /** Replaces the runner's `executeArgs` (e.g. `--gpus 2,3`). */
  executeArgs?: string[];
  /** Once the task's process tree runs. */
  onStarted?: (pgid: number) => void | Promise<void>;
  /** When the run ended, whatever the outcome (free its resources). */
  onEnd?: () => void | Promise<void>;
}

/** Options of `ServiceTasks`. */
export interface ServiceTasksOptions {
  client: ApiClient;
  runner: RunnerBase;
  stateDir: string;
  /** Most tasks at once; `undefined`: no limit. */
  max?: number;
  /** `workers.register` timeout (seconds) of each task's worker. */
  registerTimeoutSec: number;
  /** Interval of each task worker's status reports. */
  statusIntervalMs: number;
  /** Tags of the task workers' reports (`--child-report-tags`). */
  tags?: string[];
  signals: WorkerSignals;
  say: (line: string) => void;
}

/** The background tasks of one daemon. */
export class ServiceTasks {
  #o: ServiceTasksOptions;
  #running = new Map<string, Promise<void>>();
  #changed: (() => void)[] = [];
  #started = 0;

  constructor(options: ServiceTasksOptions) {
    this.#o = options;
  }

  /** Tasks running now. */
  get size(): number {
    return this.#running.size;
  }

  /** Tasks launched so far. */
  get started(): number {
    return this.#started;
  }

  /** True when another task may start. */
  get hasRoom(): boolean {
    return this.#o.max === undefined || this.#running.size < this.#o.max;
  }

  /** Resolves when the set of running tasks changes (or `signal` aborts). */
  #nextChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        signal.removeEventListener("abort", done);
        this.#changed = this.#changed.filter((f) => f !== done);
        resolve();
      };
      this.#changed.push(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Wait until another task may start; false when `signal` aborted first. */
  async waitForRoom(signal: AbortSignal, onFull?: () => void): Promise<boolean> {
    if (!this.hasRoom) onFull?.();
    while (!this.hasRoom && !signal.aborted) await this.#nextChange(signal);
    return !signal.aborted;
  }

  /** Start a claimed task in the background. */
  launch(pick: Pick, plan: LaunchPlan): void {
    this.#started++;
    const run = this.#run(pick, plan).finally(() => {
      this.#running.delete(pick.taskId);
      for (const f of [...this.#changed]) f();
    });
    this.#running.set(pick.taskId, run);
  }

  /** Wait for every running task to end (they end by themselves, or are stopped by the stop signals). */
  async waitAll(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
  }

  async #run(pick: Pick, plan: LaunchPlan): Promise<void> {
    const o = this.#o;
    const workerId = plan.workerId;
    const statePath = runStatePath(o.stateDir, workerId);
    const reporter = new WorkerStatusReporter({
      client: o.client,
      workerId,
      queues: [pick.queue.id],
      tags: o.tags,
      monitor: null,
      intervalMs: o.statusIntervalMs,
      say: o.say,
    });
    o.say(`Launching task '${pick.taskId}' in the background as worker "${workerId}"`);
    try {
      // Retry policy: call — the task is claimed already; its worker should show up, but the run goes on anyway.
      await registerWorker(o.client, workerId, [pick.queue.id], {
        retry: RETRY.call,
        signal: o.signals.hardStop,
        timeout: o.registerTimeoutSec,
      }).catch((err) => o.say(`Warning: could not register worker "${workerId}": ${(err as Error).message}`));
      reporter.start();
      await reporter.setTask({ task: pick.taskId, queue: pick.queue.id });
      await runTask({
        ...o.runner,
        executeArgs: plan.executeArgs ?? o.runner.executeArgs,
        env: { ...o.runner.env, ...plan.env, CLEARML_WORKER_ID: workerId, TRAINS_WORKER_ID: workerId },
        stdout: () => {},
        client: o.client,
        taskId: pick.taskId,
        queueId: pick.queue.id,
        queueName: pick.queue.name,
        workerId,
        shutdown: o.signals.stop,
        hardStop: o.signals.hardStop,
        onStarted: async (pgid) => {
          await writeRunState(statePath, { workerId, taskId: pick.taskId, queueId: pick.queue.id, pgid });
          await plan.onStarted?.(pgid);
        },
      });
    } catch (err) {
      o.say(`Error in background task '${pick.taskId}': ${err instanceof Error ? err.stack : err}`);
    } finally {
      await clearRunState(statePath);
      await reporter.stop();
      const signal = AbortSignal.timeout(o.signals.hardStop.aborted ? 5_000 : 30_000);
      // Retry policy: call, bounded (30 s; 5 s after a second signal) — a leftover worker entry expires by itself.
      await unregisterWorker(o.client, workerId, [], { retry: RETRY.call, signal }).catch((err) =>
        o.say(`Warning: could not unregister worker "${workerId}": ${(err as Error).message}`)
      );
      await Promise.resolve(plan.onEnd?.()).catch((err) => o.say(`Warning: ${err}`));
    }
  }
}
