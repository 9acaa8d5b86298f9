/**
 * Which queues a worker serves and how it takes the next task from them (agent-reference §4.4, §5.1, §5.10).
 *
 * Resolution: `--queue` values are ids (`^[-a-f0-9]{30,}$`) or names (exact, case-insensitive), in priority
 * order; none → the server's default queue; an unknown name is an error unless `--create-queue`.
 *
 * Polling: every `next()` first asks each queue once without waiting, in order — strict priority (always from the
 * first queue) or, with `--order-fairness`, round-robin (from the queue after the one that gave the last task).
 * When all are empty the worker waits for work (request budget per server kind: docs/scheduling.md):
 * - if the server advertises our long poll (`queues.get_next_task.wait_ms` in the token's `server_extensions`),
 *   it long-polls the queues in turn, each call waiting `longPollMs` (one queue: 5 s; N queues: 5 s / N, at least
 *   1 s), so a new task is picked up as soon as the server has it, at no more requests than the reference's
 *   short polls every 5 s;
 * - otherwise (a real ClearML server) it polls every queue once per round, a round every `idleIntervalMs`
 *   (`--polling-interval`, default 5 s as the reference), with ±10% jitter so that many agents do not poll in
 *   lockstep — except for a short burst right after this worker took a task: for `burstMs` (10 s) after a pick,
 *   rounds come every `burstIntervalMs` (1 s), since pipelines often enqueue their next step as a task ends.
 * A graceful stop never abandons a long poll in flight (the server would pop a task for nobody): it waits for the
 * answer and puts a task that arrives meanwhile back at the front of its queue.
 *
 * Gate (working hours, free GPUs): before each pop the optional `gate` says whether the queue may be served now —
 * with a ticket (e.g. GPUs reserved for the task) that travels with the pick and is released when the pop comes
 * back empty or the task is put back — or skips it, or ends the pass there (a higher-priority queue is waiting for
 * resources). When the gate lets no queue through, the poller sleeps `gatedIntervalMs` and asks again.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import { RETRY } from "../api/retry_policy.ts";
import * as queues from "../api/queues.ts";
import { sleep } from "../sleep.ts";

/** A resolved queue. */
export interface QueueRef {
  id: string;
  name: string;
  tags?: string[];
}

/** The long-poll extension's name, as our server advertises it. */
export const LONG_POLL_EXTENSION = "queues.get_next_task.wait_ms";

const ID_RE = /^[-a-f0-9]{30,}$/;

/** The wait of one long poll over `queues` queues: a round over all of them takes `roundMs`, each at least 1 s. */
export function longPollWaitMs(roundMs: number, queues: number): number {
  return Math.max(1_000, Math.round(roundMs / Math.max(1, queues)));
}

/** Resolve `--queue` values to queues, in order (creating missing ones with `create`). */
export async function resolveQueues(
  client: ApiClient,
  specs: readonly string[],
  options: { create?: boolean; signal?: AbortSignal; say?: (line: string) => void } = {},
): Promise<QueueRef[]> {
  const call = { signal: options.signal };
  if (specs.length === 0) {
    try {
      const id = await queues.getDefaultQueue(client, call);
      const [q] = await queues.getQueues(client, [id], undefined, call);
      return [{ id, name: q?.name ?? id, tags: q?.tags }];
    } catch (err) {
      if (!(err instanceof ApiError) || err.code === 0) throw err;
      return resolveQueues(client, ["default"], options);
    }
  }
  const out: QueueRef[] = [];
  for (const spec of specs) {
    if (ID_RE.test(spec)) {
      const [q] = await queues.getQueues(client, [spec], undefined, call).catch(() => []);
      out.push({ id: spec, name: q?.name ?? spec, tags: q?.tags });
      continue;
    }
    let found = await queues.findQueuesByName(client, spec, call);
    if (found.length === 0 && options.create) {
      options.say?.(`Creating queue "${spec}"`);
      await queues.createQueue(client, spec, undefined, call);
      found = await queues.findQueuesByName(client, spec, call);
    }
    if (found.length === 0) {
      throw new Error(`Could not find queue with name/id "${spec}": create it or run with --create-queue`);
    }
    if (found.length > 1) {
      throw new Error(`Found multiple queues with name "${spec}": ${found.map((q) => q.id).join(", ")}`);
    }
    out.push({ id: found[0].id, name: found[0].name ?? spec, tags: found[0].tags });
  }
  return out;
}

/** What a gate hands out for a pop: released when the pop brings nothing or the task goes back. */
export interface GateTicket {
  release(): void | Promise<void>;
}

/** The gate's answer for one queue: pop with a ticket, skip the queue, or end the pass here. */
export type GateAnswer = GateTicket | "skip" | "stop";

/** Decides, before each pop, whether a queue may be served now (see the module documentation). */
export interface QueueGate {
  /** Once at the start of every pass over the queues. */
  beginPass?(signal: AbortSignal): Promise<void>;
  enter(queue: QueueRef): Promise<GateAnswer>;
}

/** A task taken off a queue. */
export interface Pick {
  taskId: string;
  queue: QueueRef;
  /** The gate's ticket for this pop (release it when the task does not run). */
  ticket?: GateTicket;
}

/** Options of `QueuePoller`. */
export interface QueuePollerOptions {
  client: ApiClient;
  queues: QueueRef[];
  /** `--order-fairness`. */
  fairness: boolean;
  /** Use the long poll (default: when the server advertises it). */
  longPoll?: boolean;
  /** Wait of one long poll. @default 5000 / queues, at least 1000 */
  longPollMs?: number;
  /** Interval of short-poll rounds when idle (`--polling-interval`). @default 5000, at least 1000 */
  idleIntervalMs?: number;
  /** How long after a pick short-poll rounds come every `burstIntervalMs`. @default 10000 */
  burstMs?: number;
  /** Interval of short-poll rounds during a burst. @default 1000 */
  burstIntervalMs?: number;
  /** The clock of the burst (ms). @default performance.now */
  now?: () => number;
  /** Progress and warnings. */
  say: (line: string) => void;
  /** Chatter ("No tasks in queue X") for `--foreground`/debug. */
  verbose?: (line: string) => void;
  /** @default Math.random */
  random?: () => number;
  gate?: QueueGate;
  /** Sleep between passes while the gate lets no queue through. @default 1000 */
  gatedIntervalMs?: number;
}

type PopResult = { taskId: string } | { empty: true } | { error: unknown };

/** Takes tasks off the worker's queues. */
export class QueuePoller {
  #o: QueuePollerOptions;
  #longPoll: boolean;
  #longPollMs: number;
  #idleMs: number;
  #lastPickAt = Number.NEGATIVE_INFINITY;
  #start = 0;
  #failing = false;
  #failures = 0;
  #queueWarned = new Set<string>();
  #random: () => number;
  #now: () => number;

  constructor(options: QueuePollerOptions) {
    if (options.queues.length === 0) throw new TypeError("QueuePoller needs at least one queue");
    this.#o = options;
    this.#longPoll = options.longPoll ?? options.client.hasExtension(LONG_POLL_EXTENSION);
    this.#longPollMs = options.longPollMs ?? longPollWaitMs(5_000, options.queues.length);
    this.#idleMs = Math.max(1_000, options.idleIntervalMs ?? 5_000);
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? (() => performance.now());
  }

  /** True when the server's long poll is used. */
  get longPoll(): boolean {
    return this.#longPoll;
  }

  #order(): QueueRef[] {
    const q = this.#o.queues;
    return [...q.slice(this.#start), ...q.slice(0, this.#start)];
  }

  #picked(queue: QueueRef): void {
    this.#lastPickAt = this.#now();
    if (this.#o.fairness) this.#start = (this.#o.queues.indexOf(queue) + 1) % this.#o.queues.length;
  }

  async #pop(queue: QueueRef, waitMs: number, hardStop: AbortSignal | undefined): Promise<PopResult> {
    const body: Record<string, unknown> = { queue: queue.id };
    if (waitMs > 0) body.wait_ms = waitMs;
    try {
      // Retry policy: none here — the poller's own loop backs off (1 s doubling to 30 s) while the server is away.
      const data = await this.#o.client.call<{ entry?: { task?: string } }>("queues.get_next_task", body, {
        version: "2.14",
        retry: RETRY.none,
        signal: hardStop,
        timeoutMs: waitMs + 15_000,
      });
      if (this.#failing) this.#o.say("Connection to the server is back");
      this.#failing = false;
      this.#failures = 0;
      this.#queueWarned.delete(queue.id);
      const task = data.entry?.task;
      if (typeof task === "string" && task !== "") return { taskId: task };
      this.#o.verbose?.(`No tasks in queue "${queue.name}"`);
      return { empty: true };
    } catch (error) {
      if (hardStop?.aborted) return { empty: true };
      if (error instanceof ApiError && !error.isNetworkError && error.code < 500 && error.code !== 429) {
        if (!this.#queueWarned.has(queue.id)) {
          this.#queueWarned.add(queue.id);
          this.#o.say(`Warning: Could not access task queue [${queue.name}], error: ${error.message}`);
        }
      } else if (!this.#failing) {
        this.#failing = true;
        this.#o.say(`Cannot reach the server to poll queues, retrying with backoff: ${(error as Error).message}`);
      }
      return { error };
    }
  }

  /** One pass over the queues; a pick, or whether every queue failed, or whether the gate let none through. */
  async #pass(
    waitMs: number,
    stop: AbortSignal,
    hardStop?: AbortSignal,
  ): Promise<Pick | { allFailed: boolean; gated: boolean }> {
    const gate = this.#o.gate;
    await gate?.beginPass?.(stop);
    let failed = 0;
    let tried = 0;
    for (const queue of this.#order()) {
      const answer = gate ? await gate.enter(queue) : undefined;
      if (answer === "stop") break;
      if (answer === "skip") continue;
      tried++;
      const r = await this.#pop(queue, waitMs, hardStop);
      if ("taskId" in r) return { taskId: r.taskId, queue, ticket: answer };
      await answer?.release();
      if ("error" in r) failed++;
      if (stop.aborted) break;
    }
    return { allFailed: tried > 0 && failed === tried, gated: tried === 0 };
  }

  /**
   * The next task, or `null` once `stop` aborts (graceful: a long poll in flight is answered first) or `hardStop`
   * aborts (requests are cut).
   */
  async next(stop: AbortSignal, hardStop?: AbortSignal): Promise<Pick | null> {
    let waitMs = 0;
    while (!stop.aborted) {
      const r = await this.#pass(waitMs, stop, hardStop);
      if ("taskId" in r) {
        if (stop.aborted) {
          await this.putBack(r);
          return null;
        }
        this.#picked(r.queue);
        return r;
      }
      if (stop.aborted) break;
      if (r.gated) {
        await sleep(this.#o.gatedIntervalMs ?? 1_000, stop);
        waitMs = 0;
        continue;
      }
      if (r.allFailed) {
        this.#failures++;
        const backoff = Math.min(30_000, 1_000 * 2 ** Math.min(this.#failures - 1, 5));
        await sleep(Math.round(backoff * (0.8 + 0.4 * this.#random())), stop);
        waitMs = 0;
        continue;
      }
      if (this.#longPoll) {
        waitMs = this.#longPollMs;
      } else {
        const ms = this.idleWaitMs();
        this.#o.verbose?.(`No tasks in Queues, sleeping for ${(ms / 1000).toFixed(1)} seconds`);
        await sleep(Math.round(ms * (0.9 + 0.2 * this.#random())), stop);
      }
    }
    return null;
  }

  /** The pause before the next short-poll round: the burst interval shortly after a pick, else the idle one. */
  idleWaitMs(): number {
    const sincePick = this.#now() - this.#lastPickAt;
    const burstMs = this.#o.burstMs ?? 10_000;
    return sincePick < burstMs ? Math.min(this.#idleMs, this.#o.burstIntervalMs ?? 1_000) : this.#idleMs;
  }

  /** Return a popped task to the front of its queue (graceful stop raced with a pop). */
  async putBack(pick: Pick): Promise<void> {
    await pick.ticket?.release();
    try {
      await this.#o.client.call("queues.add_task", { queue: pick.queue.id, task: pick.taskId }, { version: "2.4" });
      await this.#o.client.call("queues.move_task_to_front", { queue: pick.queue.id, task: pick.taskId }, {
        version: "2.4",
      });
      this.#o.say(`Task ${pick.taskId} returned to queue "${pick.queue.name}" (agent stopping)`);
    } catch (err) {
      this.#o.say(`Warning: could not return task ${pick.taskId} to queue "${pick.queue.name}": ${err}`);
    }
  }
}
