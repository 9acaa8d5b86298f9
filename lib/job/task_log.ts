/**
 * A task's log: everything `execute` prints (its own messages, setup tools' output, the task's output) goes to
 * this process's stdout/stderr and, when monitoring, to the server as `events.add_batch` log events.
 *
 * STOPGAP: bytes → lines (with `\r` collapsing and 64 KiB splits) and the batching uploader below are minimal
 * in-memory stand-ins until `lib/logs/lines.ts`, `lib/logs/spool.ts` and `lib/logs/streamer.ts` land on main;
 * then this file keeps only the fan-out and hands lines to the `LogStreamer`. Until then a server outage keeps
 * lines in memory (retried with backoff, flushed at exit), not on disk.
 *
 * @module
 */

import { abortableSleep } from "../api/retry_policy.ts";
import type { LogEvent, LogLevel } from "../api/types.ts";
import { redact } from "../logs/redact.ts";
import type { OutputStream } from "../../executors/executor.ts";

/** Uploads a batch of events; throws when it could not (the batch is retried). */
export type UploadEvents = (events: LogEvent[]) => Promise<void>;

/** Options of `TaskLog`. */
export interface TaskLogOptions {
  taskId: string;
  workerId: string;
  /** None: print only (`--disable-monitoring`). */
  upload?: UploadEvents;
  /** Raw writers (default: this process's stdout/stderr). */
  stdout?: (bytes: Uint8Array) => void;
  stderr?: (bytes: Uint8Array) => void;
  /** Also append everything to this file (`--log-file`). */
  logFile?: string;
  /** Collapse `\r` progress updates to their last state (`agent.suppress_carriage_return`, default true). */
  suppressCarriageReturn?: boolean;
  /** Longest wait between a line and its upload (milliseconds, default 250). */
  latencyMs?: number;
}

const MAX_MSG = 65536;
const MAX_EVENTS_PER_UPLOAD = 500;

/** The log of one task run. */
export class TaskLog {
  #o: TaskLogOptions;
  #enc = new TextEncoder();
  #decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  #partial = { stdout: "", stderr: "" };
  #pending: { level: LogLevel; text: string }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> | undefined;
  #file: Deno.FsFile | undefined;
  #failures = 0;
  #closed = false;
  #deadline = Infinity;

  constructor(options: TaskLogOptions) {
    this.#o = options;
    if (options.logFile) {
      this.#file = Deno.openSync(options.logFile, { create: true, append: true });
    }
  }

  #write(stream: OutputStream, bytes: Uint8Array): void {
    (stream === "stdout" ? this.#o.stdout ?? ((b) => Deno.stdout.writeSync(b)) : this.#o.stderr ??
      ((b) => Deno.stderr.writeSync(b)))(bytes);
    this.#file?.writeSync(bytes);
  }

  /** An agent message (one or more lines), level INFO. */
  info(text: string, level: LogLevel = "INFO"): void {
    const clean = redact(text);
    this.#write("stdout", this.#enc.encode(clean.endsWith("\n") ? clean : clean + "\n"));
    for (const line of clean.replace(/\n$/, "").split("\n")) this.#queue(level, line);
  }

  /** Output bytes of a setup tool or the task (level DEBUG, as the reference sends console output). */
  output(chunk: Uint8Array, stream: OutputStream): void {
    const text = this.#decoders[stream].decode(chunk, { stream: true });
    const redacted = redact(text);
    this.#write(stream, redacted === text ? chunk : this.#enc.encode(redacted));
    const all = this.#partial[stream] + redacted;
    const lines = all.split("\n");
    this.#partial[stream] = lines.pop() ?? "";
    for (const line of lines) this.#queue("DEBUG", this.#collapse(line));
    if (this.#partial[stream].length > MAX_MSG) {
      this.#queue("DEBUG", this.#partial[stream]);
      this.#partial[stream] = "";
    }
  }

  #collapse(line: string): string {
    if (!line.includes("\r")) return line;
    if (this.#o.suppressCarriageReturn === false) return line.replace(/\r/g, "\n");
    return line.split("\r").filter((s) => s !== "").at(-1) ?? "";
  }

  #queue(level: LogLevel, text: string): void {
    if (!this.#o.upload) return;
    for (let at = 0; at < Math.max(text.length, 1); at += MAX_MSG) {
      this.#pending.push({ level, text: text.slice(at, at + MAX_MSG) });
    }
    if (!this.#timer && !this.#flushing && !this.#closed) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#flushing = this.#flush().finally(() => this.#flushing = undefined);
      }, this.#o.latencyMs ?? 250);
    }
  }

  /** Pack pending lines into events: consecutive lines of one level joined, each message ≤ 64 KiB. */
  #takeEvents(): { events: LogEvent[]; taken: number } {
    const events: LogEvent[] = [];
    let i = 0;
    const now = Date.now();
    while (i < this.#pending.length && events.length < MAX_EVENTS_PER_UPLOAD) {
      const level = this.#pending[i].level;
      let msg = "";
      while (
        i < this.#pending.length && this.#pending[i].level === level &&
        msg.length + this.#pending[i].text.length + 1 <= MAX_MSG
      ) msg += this.#pending[i++].text + "\n";
      if (msg === "") msg = this.#pending[i++].text + "\n";
      events.push({
        type: "log",
        task: this.#o.taskId,
        worker: this.#o.workerId,
        level,
        msg: msg.replace(/\n$/, ""),
        timestamp: now + events.length,
      });
    }
    return { events, taken: i };
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0 && this.#o.upload && Date.now() < this.#deadline) {
      const { events, taken } = this.#takeEvents();
      try {
        await this.#o.upload(events);
        this.#pending.splice(0, taken);
        this.#failures = 0;
      } catch {
        // Never drop: keep the lines, back off (250 ms doubling to 5 s) and try again.
        this.#failures++;
        await abortableSleep(Math.min(5000, 250 * 2 ** Math.min(this.#failures - 1, 5)));
      }
    }
  }

  /** Lines not yet uploaded. */
  get pendingLines(): number {
    return this.#pending.length;
  }

  /** Flush partial lines and every pending line (waits while the server is away, up to `deadlineMs`). */
  async close(deadlineMs = 10 * 60_000): Promise<void> {
    this.#closed = true;
    for (const stream of ["stdout", "stderr"] as const) {
      const rest = this.#partial[stream] + this.#decoders[stream].decode();
      this.#partial[stream] = "";
      if (rest) this.#queue("DEBUG", this.#collapse(rest));
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#deadline = Date.now() + deadlineMs;
    await this.#flushing;
    await this.#flush();
    this.#file?.close();
    this.#file = undefined;
  }
}
