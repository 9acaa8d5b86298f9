/**
 * `LogStreamer`: ships a task's lines to the server as ClearML log events, continuously and without losing any.
 *
 * Lines are appended to a `LogQueue` (normally the on-disk `LogSpool`) the moment they are written, then sent
 * in order by one background loop through an injected `upload(events, signal)` callback — the streamer never
 * imports the API client. A batch goes out when 64 Ki characters are waiting or the oldest waiting line is
 * `maxLatencyMs` (250 ms) old. A failed upload is retried with exponential backoff and jitter, the same batch
 * again, until it succeeds: nothing is dropped and order is kept (one batch in flight at a time). Only a
 * successful upload acknowledges its lines in the queue; what is unacknowledged at exit stays in the spool for
 * the next process (`LogSpool.open` resumes it).
 *
 * @example
 * ```ts
 * const spool = LogSpool.open(`${dir}/log-spool`);
 * const streamer = new LogStreamer({ task, worker, queue: spool, upload: (events, signal) => api.addLogEvents(events, signal) });
 * streamer.writeLines(["hello"]);
 * await streamer.close({ timeoutMs: 10_000 });
 * spool.close();
 * ```
 *
 * @module
 */

import { redact } from "../secrets/redact.ts";
import { buildLogEvents } from "./log_events.ts";
import type { LogEvent, LogLevel } from "../wire/log_event.ts";
import type { LogQueue } from "./log_queue.ts";
import { type Clock, systemClock } from "../clock.ts";

/** Sends one batch; throwing (or rejecting) means "not delivered, try again later". */
export type UploadFn = (events: LogEvent[], signal: AbortSignal) => Promise<void>;

/** Retry policy for failed uploads: delay = min(maxMs, initialMs × multiplier^(n-1)) × (1 − jitter × random). */
export interface UploadRetry {
  /** @default 250 */
  initialMs: number;
  /** @default 30000 */
  maxMs: number;
  /** @default 2 */
  multiplier: number;
  /** Fraction of the delay that is randomised away (0..1). @default 0.5 */
  jitter: number;
}

/** Options of `LogStreamer`. */
export interface LogStreamerOptions {
  task: string;
  worker: string;
  upload: UploadFn;
  /** Where lines wait until acknowledged. The streamer does not close it. */
  queue: LogQueue;
  /** Longest a written line waits before its batch is sent. @default 250 */
  maxLatencyMs?: number;
  /** Send at once when this many characters wait. @default 65536 */
  sendAtChars?: number;
  /** Most characters of line text in one upload (keeps a request under the 1 MiB packet). @default 524288 */
  maxBatchChars?: number;
  /** Longest event `msg`. @default 65536 */
  maxEventChars?: number;
  /** Text put before every event's msg (multi-node `RANK n:` prefix). */
  prefix?: string;
  retry?: Partial<UploadRetry>;
  clock?: Clock;
  /** @default Math.random */
  random?: () => number;
  /** Mask registered secrets before a line reaches the queue. @default true */
  redact?: boolean;
  /** Called for every failed attempt (upload or queue error), with the attempt number and the delay chosen. */
  onError?: (error: unknown, info: { attempt: number; delayMs: number }) => void;
}

interface Batch {
  events: LogEvent[];
  lastSeq: number;
  lines: number;
}

/** Streams lines from a queue to the server; one per task. */
export class LogStreamer {
  #o: Required<Omit<LogStreamerOptions, "retry" | "onError" | "prefix">> & Pick<LogStreamerOptions, "onError">;
  #retry: UploadRetry;
  #prefix: string;
  #stop = new AbortController();
  #loop: Promise<void>;
  #wake: (() => void) | null = null;
  #waiting: "idle" | "latency" | null = null;
  #oldestUnsent: number | null = null;
  #unsentChars = 0;
  #urgent = 0;
  #lastTimestamp = 0;
  #batch: Batch | null = null;
  #waiters: { target: number; resolve: () => void }[] = [];
  #failed = 0;
  #sentLines = 0;
  #sentEvents = 0;

  constructor(options: LogStreamerOptions) {
    this.#o = {
      maxLatencyMs: 250,
      sendAtChars: 65536,
      maxBatchChars: 512 * 1024,
      maxEventChars: 65536,
      clock: systemClock,
      random: Math.random,
      redact: true,
      ...options,
    };
    this.#retry = { initialMs: 250, maxMs: 30_000, multiplier: 2, jitter: 0.5, ...options.retry };
    this.#prefix = options.prefix ?? "";
    // Lines left unacknowledged by a previous process are sent right away.
    if (options.queue.lastSeq > options.queue.readSeq) this.#oldestUnsent = -Infinity;
    this.#loop = this.#run();
  }

  /** Lines written (or resumed) but not yet acknowledged by a successful upload. */
  get pending(): number {
    return this.#o.queue.lastSeq - this.#o.queue.ackedSeq;
  }
  /** Failed upload attempts so far (each retry of a batch counts). */
  get failedBatches(): number {
    return this.#failed;
  }
  /** Lines delivered. */
  get sentLines(): number {
    return this.#sentLines;
  }
  /** Events delivered. */
  get sentEvents(): number {
    return this.#sentEvents;
  }
  /** Lines the queue dropped because it was full (replaced by a marker line). */
  get droppedLines(): number {
    return this.#o.queue.droppedLines;
  }

  /** Queue one line (without its newline) at `level` (`DEBUG` for task output). */
  write(text: string, level: LogLevel = "DEBUG"): void {
    this.writeLines([text], level);
  }

  /**
   * Queue several lines at one level: one append to the queue (one disk write for a spool), not one per line.
   * `redacted`: the caller masked them already.
   */
  writeLines(lines: readonly string[], level: LogLevel = "DEBUG", redacted = false): void {
    if (this.#stop.signal.aborted) {
      throw new Error(`Cannot write to the log of task "${this.#o.task}": streamer closed`);
    }
    if (lines.length === 0) return;
    const clean = this.#o.redact && !redacted ? lines.map((l) => redact(l)) : lines;
    const before = this.#o.queue.lastSeq;
    this.#o.queue.appendMany(clean, { level, ts: this.#o.clock.now() });
    if (this.#o.queue.lastSeq === before) return;
    for (const line of clean) this.#unsentChars += line.length;
    this.#oldestUnsent ??= this.#o.clock.now();
    if (this.#waiting === "idle" || (this.#waiting === "latency" && this.#unsentChars >= this.#o.sendAtChars)) {
      this.#wake?.();
    }
  }

  /**
   * Send everything written so far without waiting for the latency timer, and resolve `true` once it is
   * acknowledged, or `false` when `timeoutMs` passes or `signal` aborts first (lines stay queued).
   */
  async flush(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    const target = this.#o.queue.lastSeq;
    if (this.#o.queue.ackedSeq >= target) return true;
    this.#urgent++;
    this.#wake?.();
    const giveUp = new AbortController();
    const onAbort = () => giveUp.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const acked = new Promise<boolean>((resolve) => this.#waiters.push({ target, resolve: () => resolve(true) }));
      const timeout = this.#o.clock.sleep(options.timeoutMs ?? 10_000, giveUp.signal).then(() => false);
      return await Promise.race([acked, timeout]);
    } finally {
      giveUp.abort();
      options.signal?.removeEventListener("abort", onAbort);
      this.#urgent--;
    }
  }

  /**
   * Flush (bounded by `timeoutMs` and `signal`), then stop the loop, aborting an upload in flight (through the
   * signal `upload` received). Resolves `flush`'s result; unacknowledged lines stay in the queue.
   */
  async close(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    const ok = this.#stop.signal.aborted ? false : await this.flush(options);
    this.#stop.abort();
    this.#wake?.();
    await this.#loop;
    for (const w of this.#waiters) w.resolve();
    this.#waiters = [];
    return ok;
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stop.signal.aborted) {
      try {
        if (this.#batch === null && !(await this.#prepareBatch())) continue;
        await this.#o.upload(this.#batch!.events, this.#stop.signal);
        this.#delivered(this.#batch!);
        attempt = 0;
      } catch (error) {
        if (this.#stop.signal.aborted) break;
        this.#failed++;
        attempt++;
        // Retry policy: logs are never dropped, so retry forever, backing off exponentially (250 ms doubling,
        // capped at 30 s) with jitter so that many agents recovering from one outage do not retry in lockstep.
        const r = this.#retry;
        const base = Math.min(r.maxMs, r.initialMs * r.multiplier ** (attempt - 1));
        const delayMs = Math.round(base * (1 - r.jitter * this.#o.random()));
        this.#o.onError?.(error, { attempt, delayMs });
        await this.#o.clock.sleep(delayMs, this.#stop.signal);
      }
    }
  }

  /** Wait until a batch is due and read it; false when the loop should re-check (woken, or nothing to send). */
  async #prepareBatch(): Promise<boolean> {
    const q = this.#o.queue;
    if (q.readSeq >= q.lastSeq) {
      await this.#sleepUntilWoken("idle", Infinity);
      return false;
    }
    const due = (this.#oldestUnsent ?? -Infinity) + this.#o.maxLatencyMs - this.#o.clock.now();
    if (this.#urgent === 0 && this.#unsentChars < this.#o.sendAtChars && due > 0) {
      await this.#sleepUntilWoken("latency", due);
      return false;
    }
    const records = q.readNext({ maxRecords: 100_000, maxChars: this.#o.maxBatchChars });
    if (records.length === 0) return false;
    const chars = records.reduce((n, r) => n + r.text.length, 0);
    this.#unsentChars = Math.max(0, this.#unsentChars - chars);
    if (q.readSeq >= q.lastSeq) [this.#oldestUnsent, this.#unsentChars] = [null, 0];
    const built = buildLogEvents(records, {
      task: this.#o.task,
      worker: this.#o.worker,
      maxEventChars: this.#o.maxEventChars,
      lastTimestamp: this.#lastTimestamp,
      prefix: this.#prefix,
    });
    this.#lastTimestamp = built.lastTimestamp;
    this.#batch = { events: built.events, lastSeq: records[records.length - 1].seq, lines: records.length };
    return true;
  }

  #delivered(batch: Batch): void {
    this.#o.queue.ack(batch.lastSeq);
    this.#batch = null;
    this.#sentLines += batch.lines;
    this.#sentEvents += batch.events.length;
    const acked = this.#o.queue.ackedSeq;
    const done = this.#waiters.filter((w) => w.target <= acked);
    this.#waiters = this.#waiters.filter((w) => w.target > acked);
    for (const w of done) w.resolve();
  }

  /** Sleep until `write`/`flush`/`close` wakes the loop (`idle`) or, for `latency`, at most `ms`. */
  async #sleepUntilWoken(reason: "idle" | "latency", ms: number): Promise<void> {
    if (this.#stop.signal.aborted || (reason === "latency" && this.#urgent > 0)) return;
    const cancel = new AbortController();
    const woken = new Promise<void>((resolve) => (this.#wake = resolve));
    this.#waiting = reason;
    try {
      await (reason === "idle" ? woken : Promise.race([woken, this.#o.clock.sleep(ms, cancel.signal)]));
    } finally {
      this.#waiting = null;
      this.#wake = null;
      cancel.abort();
    }
  }
}
