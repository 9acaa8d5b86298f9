/**
 * Dynamic GPUs (agent-reference §5.7, without the Enterprise server): one daemon owns the GPUs of `--gpus` and
 * serves queues with a GPU count each (`quad=4`, `dual=2`, `opportunistic=1-4`).
 *
 * - Before popping from a queue it reserves that queue's count of free GPUs in the machine's ledger
 *   (`gpu_pool.ts`; for `min-max`, as many free ones as there are up to max, at least min). Too few free → the
 *   queue is skipped, unless it has tasks waiting: then lower-priority queues wait too (the pass ends), so small
 *   jobs cannot starve a big one — as the reference.
 * - The task gets exactly its GPUs: `--gpus <ids>` for its `execute` (so `NVIDIA_VISIBLE_DEVICES` /
 *   `CUDA_VISIBLE_DEVICES` are those), and runs as worker `<name>:gpu<ids>` (`host:gpu2,3`).
 * - When the task ends its GPUs go back to the ledger; a pop that brought nothing gives them back at once.
 * - Free GPUs are published as the worker runtime property `available_gpus` (the reference's format, `0_,1_`)
 *   where the server has runtime properties — informational only: the ledger is what coordinates.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { ApiError, isRetriable } from "../api/errors.ts";
import { RETRY } from "../api/retry_policy.ts";
import { setRuntimeProperties } from "../api/workers.ts";
import type { GpuSource } from "../stats/gpu_sampler.ts";
import { availableGpusProperty, type GpuPool } from "./gpu_pool.ts";
import type { GateAnswer, GateTicket, Pick, QueueRef } from "./queue_poller.ts";
import type { LaunchPlan } from "./services.ts";

/** A queue's GPU count. */
export interface GpuQueueSize {
  min: number;
  max: number;
}

/** GPUs reserved for one pop; released at most once. */
class GpuTicket implements GateTicket {
  readonly gpus: string[];
  #release: (gpus: string[]) => Promise<void>;
  #released = false;

  constructor(gpus: string[], release: (gpus: string[]) => Promise<void>) {
    this.gpus = gpus;
    this.#release = release;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#release(this.gpus);
  }
}

/** Options of `DynamicGpus`. */
export interface DynamicGpusOptions {
  client: ApiClient;
  pool: GpuPool;
  /** The daemon's worker id (`host:dgpu0-7`). */
  workerId: string;
  /** Queue id → GPU count. */
  sizes: ReadonlyMap<string, GpuQueueSize>;
  /** `execute` options before `--gpus <ids>`. */
  executeArgs: string[];
  say: (line: string) => void;
  /** Chatter for `--foreground`. */
  verbose?: (line: string) => void;
}

/** The GPU side of a dynamic-GPU daemon. */
export class DynamicGpus {
  #o: DynamicGpusOptions;
  #prefix: string;
  #publish = true;
  #published: string | null = null;
  #waiting: string | null = null;

  constructor(options: DynamicGpusOptions) {
    this.#o = options;
    const id = options.workerId;
    this.#prefix = id.includes(":") ? id.slice(0, id.lastIndexOf(":")) : id;
  }

  /** The worker id of a task holding `gpus`: `<name>:gpu2,3` (MIG `0:1` written `0.1`). */
  taskWorkerId(gpus: readonly string[]): string {
    return `${this.#prefix}:gpu${gpus.join(",").replaceAll(":", ".")}`;
  }

  /** The gate for one queue: reserve its GPUs, or skip it, or end the pass while it has tasks waiting. */
  async enter(queue: QueueRef): Promise<GateAnswer> {
    const size = this.#o.sizes.get(queue.id);
    if (!size) return "skip";
    const gpus = await this.#o.pool.reserve(size.min, size.max);
    if (gpus) {
      this.#waiting = null;
      return new GpuTicket(gpus, (g) => this.#o.pool.release(g).then(() => this.publish()));
    }
    if (await this.#hasTasks(queue)) {
      const free = (await this.#o.pool.free()).length;
      const line = `Not enough free GPUs (${free}/${Math.ceil(size.min)}) for queue "${queue.name}" with tasks waiting`;
      if (this.#waiting !== line) this.#o.verbose?.(`${line}: waiting, lower-priority queues too`);
      this.#waiting = line;
      return "stop";
    }
    return "skip";
  }

  async #hasTasks(queue: QueueRef): Promise<boolean> {
    try {
      // Retry policy: none — on failure the queue is just skipped this pass.
      const data = await this.#o.client.call<{ num?: number }>("queues.get_num_entries", { queue: queue.id }, {
        version: "2.15",
        retry: RETRY.none,
        timeoutMs: 10_000,
      });
      return (data.num ?? 0) > 0;
    } catch {
      return false;
    }
  }

  /** How a popped task runs: its GPUs, environment and worker id; the GPUs go back when it ends. */
  async plan(pick: Pick): Promise<LaunchPlan> {
    const ticket = pick.ticket instanceof GpuTicket ? pick.ticket : null;
    if (!ticket) throw new Error(`Task ${pick.taskId} was popped without reserved GPUs`);
    const workerId = this.taskWorkerId(ticket.gpus);
    const list = ticket.gpus.join(",");
    this.#o.say(`Task '${pick.taskId}' from queue "${pick.queue.name}" gets GPUs ${list} (worker "${workerId}")`);
    await this.#o.pool.assign(ticket.gpus, { task: pick.taskId, worker: workerId })
      .catch((err) => this.#o.say(`Warning: could not record GPUs ${list} for task ${pick.taskId}: ${err}`));
    await this.publish();
    return {
      workerId,
      executeArgs: [...this.#o.executeArgs, "--gpus", list],
      env: { NVIDIA_VISIBLE_DEVICES: list, CUDA_VISIBLE_DEVICES: list, CUDA_DEVICE_ORDER: "PCI_BUS_ID" },
      onStarted: (pgid) =>
        this.#o.pool.assign(ticket.gpus, { task: pick.taskId, worker: workerId, pgid }).catch(() => {}),
      onEnd: async () => {
        await ticket.release();
        this.#o.say(`GPUs ${list} of task '${pick.taskId}' are free again`);
      },
    };
  }

  /** Publish the free GPUs as runtime property `available_gpus` when they changed (where supported). */
  async publish(): Promise<void> {
    if (!this.#publish) return;
    try {
      const value = availableGpusProperty(await this.#o.pool.free());
      if (value === this.#published) return;
      // Retry policy: none — the next change publishes again.
      await setRuntimeProperties(this.#o.client, this.#o.workerId, [{ key: "available_gpus", value }], {
        retry: RETRY.none,
        timeoutMs: 10_000,
      });
      this.#published = value;
    } catch (err) {
      if (err instanceof ApiError && !isRetriable(err)) {
        this.#publish = false;
        this.#o.say("Note: the server has no worker runtime properties: free GPUs are not published (not needed)");
      }
    }
  }

  /** Whether `nvidia-smi` shows the GPUs of `--gpus` (a typo there is warned about); silent without nvidia-smi. */
  async checkDevices(gpu: GpuSource | null): Promise<void> {
    const readings = await gpu?.sample().catch(() => null);
    if (!readings) return;
    const seen = new Set(readings.map((r) => r.migIndex === null ? String(r.index) : `${r.index}:${r.migIndex}`));
    const missing = this.#o.pool.gpus.filter((g) => /^\d+(:\d+)?$/.test(g) && !seen.has(g));
    if (missing.length > 0) {
      this.#o.say(`Warning: nvidia-smi does not list GPU(s) ${missing.join(",")} of --gpus (it lists ${seen.size})`);
    } else {
      this.#o.say(`nvidia-smi lists all ${this.#o.pool.gpus.length} GPUs of --gpus`);
    }
  }
}
