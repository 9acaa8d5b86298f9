/**
 * The queue between line producers and the `LogStreamer`: an append-only sequence of numbered log records with
 * a read cursor and an acknowledged position. `LogSpool` keeps it on disk; `MemoryLogQueue` in memory.
 *
 * @module
 */

import type { LogLevel } from "../wire/log_event.ts";

/** One log line with its sequence number. */
export interface LogRecord {
  /** 1, 2, 3... in append order, never reused within a queue. */
  seq: number;
  /** Capture time, ms since the epoch. */
  ts: number;
  /** ClearML log level: `DEBUG` (task output), `INFO`, `WARNING`, `ERROR`. */
  level: LogLevel;
  /** The line, without its newline. */
  text: string;
}

/** Limits of one `readNext` call. At least one record is returned when any is unread, whatever its size. */
export interface ReadLimits {
  maxRecords: number;
  /** Budget for the sum of `text` lengths (characters). */
  maxChars: number;
}

/** What `LogStreamer` needs from a queue. */
export interface LogQueue {
  /** Append one line; returns its sequence number, or `null` when it was dropped because the queue is full. */
  append(text: string, options?: { level?: LogLevel; ts?: number }): number | null;
  /** Append several lines at once (one disk write for a spool); the last one's sequence number, or `null`. */
  appendMany(texts: readonly string[], options?: { level?: LogLevel; ts?: number }): number | null;
  /** Records after the read cursor, in order; advances the cursor past them. */
  readNext(limits: ReadLimits): LogRecord[];
  /** Everything up to and including `seq` was delivered and may be forgotten. */
  ack(seq: number): void;
  /** Sequence number of the last appended record (0 when none). */
  readonly lastSeq: number;
  /** Sequence number of the last acknowledged record. */
  readonly ackedSeq: number;
  /** Sequence number of the last record returned by `readNext`. */
  readonly readSeq: number;
  /** Lines dropped because the queue was full (each drop is also announced by a marker line). */
  readonly droppedLines: number;
  close(): void;
}

/** The marker line that replaces lines dropped on a full queue. */
export function droppedMarker(count: number, where: string): string {
  return `[clearml-agent] ${count} log line${count === 1 ? "" : "s"} dropped: ${where}`;
}

/** Options of `MemoryLogQueue`. */
export interface MemoryLogQueueOptions {
  /** Most characters held unacknowledged before lines are dropped (with a marker). @default 64 Mi */
  maxChars?: number;
  /** @default Date.now */
  now?: () => number;
}

/** A `LogQueue` in memory: for short-lived output that does not need to survive a restart. */
export class MemoryLogQueue implements LogQueue {
  #records: LogRecord[] = [];
  #chars = 0;
  #lastSeq = 0;
  #ackedSeq = 0;
  #readSeq = 0;
  #dropped = 0;
  #pendingDrop = 0;
  #maxChars: number;
  #now: () => number;

  constructor(options: MemoryLogQueueOptions = {}) {
    this.#maxChars = options.maxChars ?? 64 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }
  get ackedSeq(): number {
    return this.#ackedSeq;
  }
  get readSeq(): number {
    return this.#readSeq;
  }
  get droppedLines(): number {
    return this.#dropped;
  }

  appendMany(texts: readonly string[], options: { level?: LogLevel; ts?: number } = {}): number | null {
    let seq: number | null = null;
    for (const text of texts) seq = this.append(text, options);
    return seq;
  }

  append(text: string, options: { level?: LogLevel; ts?: number } = {}): number | null {
    if (this.#chars + text.length > this.#maxChars) {
      this.#dropped++;
      this.#pendingDrop++;
      return null;
    }
    const ts = options.ts ?? this.#now();
    if (this.#pendingDrop > 0) {
      this.#push(droppedMarker(this.#pendingDrop, "log queue full"), "WARNING", ts);
      this.#pendingDrop = 0;
    }
    return this.#push(text, options.level ?? "DEBUG", ts);
  }

  #push(text: string, level: LogLevel, ts: number): number {
    const seq = ++this.#lastSeq;
    this.#records.push({ seq, ts, level, text });
    this.#chars += text.length;
    return seq;
  }

  readNext(limits: ReadLimits): LogRecord[] {
    const start = this.#records.findIndex((r) => r.seq > this.#readSeq);
    if (start < 0) return [];
    const out: LogRecord[] = [];
    let chars = 0;
    for (let i = start; i < this.#records.length && out.length < limits.maxRecords; i++) {
      const r = this.#records[i];
      if (out.length > 0 && chars + r.text.length > limits.maxChars) break;
      out.push(r);
      chars += r.text.length;
    }
    this.#readSeq = out[out.length - 1].seq;
    return out;
  }

  ack(seq: number): void {
    if (seq <= this.#ackedSeq) return;
    this.#ackedSeq = Math.min(seq, this.#lastSeq);
    let n = 0;
    while (n < this.#records.length && this.#records[n].seq <= this.#ackedSeq) {
      this.#chars -= this.#records[n++].text.length;
    }
    this.#records.splice(0, n);
  }

  close(): void {
    if (this.#pendingDrop > 0) {
      this.#push(droppedMarker(this.#pendingDrop, "log queue full"), "WARNING", this.#now());
      this.#pendingDrop = 0;
    }
  }
}
