/**
 * The worker's status reports (agent-reference §5.3): `workers.status_report` with the machine's averaged stats
 * every `agent.status_report_s` (30 s, as the reference), the first one soon after start, and an
 * immediate report without stats whenever the running task changes (so the server and the UI know at once which
 * task this worker runs — the server's abort handshake depends on it).
 *
 * Body, as the reference sends it: `{worker, timestamp: <whole seconds × 1000>, machine_stats: {...} | null,
 * tags: [...] | null, queues: [ids], task?, queue?}`, plus `system_tags` once the worker's state was set
 * (`setSystemTags`: `paused:<reason>` outside working hours, `draining`; `[]` clears them). Stats come from `ResourceMonitor` (CPU per core averaged,
 * memory, disk free %, disk and network MB/s, GPUs from `nvidia-smi -q -x`). A failed report is retried at the next
 * tick; one warning per outage, no spam.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { log } from "../logger.ts";
import { RETRY } from "../api/retry_policy.ts";
import { reportWorkerStatus } from "../api/workers.ts";
import type { MachineStats, ResourceMonitor } from "../stats/resource_monitor.ts";
import { sleep } from "../sleep.ts";

/** Options of `WorkerStatusReporter`. */
export interface WorkerStatusOptions {
  client: ApiClient;
  workerId: string;
  /** Queue ids the worker listens to. */
  queues: string[];
  /** `--child-report-tags` (else `CLEARML_WORKER_TAGS`). */
  tags?: string[];
  /** Machine and GPU sampling; `null` sends reports without stats. */
  monitor: ResourceMonitor | null;
  /** Interval of the periodic reports. */
  intervalMs: number;
  /** Delay of the first periodic report. @default min(3000, intervalMs) */
  firstReportMs?: number;
  say: (line: string) => void;
  /** @default Date.now */
  now?: () => number;
}

/** Sends the worker's periodic and on-change status reports. */
export class WorkerStatusReporter {
  #o: WorkerStatusOptions;
  #task: { task: string; queue?: string } | null = null;
  #systemTags: string[] | undefined;
  #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #failing = false;
  #sent = 0;

  constructor(options: WorkerStatusOptions) {
    this.#o = options;
  }

  /** Reports sent successfully so far. */
  get sent(): number {
    return this.#sent;
  }

  /** The report body (without sending it). */
  body(machineStats: MachineStats | null): Record<string, unknown> {
    const now = this.#o.now ?? Date.now;
    const body: Record<string, unknown> = {
      worker: this.#o.workerId,
      timestamp: Math.floor(now() / 1000) * 1000,
      machine_stats: machineStats,
      tags: this.#o.tags && this.#o.tags.length > 0 ? this.#o.tags : null,
      queues: this.#o.queues,
    };
    if (this.#systemTags !== undefined) body.system_tags = this.#systemTags;
    if (this.#task) {
      body.task = this.#task.task;
      if (this.#task.queue) body.queue = this.#task.queue;
    }
    return body;
  }

  async #send(machineStats: MachineStats | null, signal?: AbortSignal): Promise<boolean> {
    try {
      // Retry policy: none — the next tick is the retry.
      await reportWorkerStatus(this.#o.client, this.body(machineStats), {
        retry: RETRY.none,
        signal,
        timeoutMs: 15_000,
      });
      if (this.#failing) this.#o.say("Worker status reports reach the server again");
      this.#failing = false;
      this.#sent++;
      return true;
    } catch (err) {
      if (signal?.aborted) return false;
      if (!this.#failing) this.#o.say(`Warning: cannot send worker status report: ${(err as Error).message}`);
      this.#failing = true;
      return false;
    }
  }

  /** Start sampling and the periodic reports (idempotent). */
  start(): void {
    if (this.#loop) return;
    this.#o.monitor?.start();
    const signal = this.#stop.signal;
    this.#loop = (async () => {
      let wait = this.#o.firstReportMs ?? Math.min(3_000, this.#o.intervalMs);
      while (!signal.aborted) {
        await sleep(wait, signal);
        if (signal.aborted) break;
        const stats = this.#o.monitor?.snapshot() ?? null;
        if (log.enabled("debug")) {
          const m = Deno.memoryUsage();
          const mb = (n: number) => (n / 1048576).toFixed(1);
          log.debug(
            `agent memory: rss ${mb(m.rss)} MiB, heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MiB, ` +
              `external ${mb(m.external)} MiB`,
          );
        }
        if (await this.#send(stats, signal)) this.#o.monitor?.reset();
        wait = this.#o.intervalMs;
      }
    })();
  }

  /** The running task changed (`null`: idle again): report at once, without stats. */
  async setTask(task: { task: string; queue?: string } | null): Promise<void> {
    this.#task = task;
    await this.#send(null, this.#stop.signal);
  }

  /** The worker's state tags (`paused:outside working hours`, `draining`; `[]` clears): report at once. */
  async setSystemTags(tags: string[]): Promise<void> {
    this.#systemTags = tags;
    await this.#send(null, this.#stop.signal);
  }

  /** Stop reporting and sampling. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await this.#o.monitor?.stop();
  }
}
