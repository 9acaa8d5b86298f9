/**
 * A task's log: everything one run prints (the agent's own messages, setup tools' output, the task's output) goes
 * to this process's output and, when an `upload` is given, to the server as `events.add_batch` log events — one
 * pipeline shared by plain `execute` (which streams its own output) and the daemon's task runner (which streams
 * the output of its `execute --disable-monitoring` child).
 *
 * Pipeline: bytes → `LineSplitter` (per stream; `\r` progress collapsing, 64 Ki splits, a partial line is sent
 * once it is `partialFlushMs` old) → `LogSpool` on disk → `LogStreamer` → `upload`. A line is on disk before
 * anyone tries to send it; a server outage only delays it (retried with backoff, in order, never dropped unless
 * the spool's 256 MiB cap is hit, and then a marker line says how many). Lines still unsent when the run ends
 * stay in the spool folder; the next `TaskLog` of the same task (or the daemon's crash recovery) sends them.
 *
 * Spool location: `<agent.state_dir>/spool/<task id>` (default `~/.clearml/agent/spool/<task id>`): persistent,
 * so a reboot or an agent crash does not lose what was printed. The folder is removed once everything in it was
 * delivered.
 *
 * @module
 */

import { join } from "node:path";
import type { LogLevel } from "../wire/log_event.ts";
import { LineSplitter } from "../logs/lines.ts";
import { redact } from "../secrets/redact.ts";
import { LogSpool } from "../logs/spool.ts";
import { LogStreamer, type UploadFn } from "../logs/streamer.ts";
import type { OutputStream } from "../../executors/executor.ts";

export type { UploadFn };

/** Options of `TaskLog.open`. */
export interface TaskLogOptions {
  taskId: string;
  workerId: string;
  /** Sends a batch of events; none: print only (`execute --disable-monitoring`). */
  upload?: UploadFn;
  /** The spool root (`<state_dir>/spool`); the task's folder is `<spoolRoot>/<task id>`. Needed with `upload`. */
  spoolRoot?: string;
  /** Raw writers (default: this process's stdout/stderr). */
  stdout?: (bytes: Uint8Array) => void;
  stderr?: (bytes: Uint8Array) => void;
  /** Also append everything printed to this file (`--log-file`). */
  logFile?: string;
  /** Collapse `\r` progress updates to their last state (`agent.suppress_carriage_return`). @default true */
  suppressCarriageReturn?: boolean;
  /** Longest wait between a line and its upload. @default 250 */
  latencyMs?: number;
  /** A line without its newline yet is sent once it is this old. @default 1000 */
  partialFlushMs?: number;
  /** Called for each failed upload attempt (the batch is kept and retried). */
  onUploadError?: (error: unknown, info: { attempt: number; delayMs: number }) => void;
}

const encoder = new TextEncoder();

/** The spool folder of a task under a spool root. */
export function taskSpoolDir(spoolRoot: string, taskId: string): string {
  return join(spoolRoot, taskId.replace(/[^A-Za-z0-9._-]/g, "_"));
}

/** The log of one task run. */
export class TaskLog {
  #o: TaskLogOptions;
  #splitters: Record<OutputStream, LineSplitter>;
  #spool: LogSpool | null = null;
  #streamer: LogStreamer | null = null;
  #file: Deno.FsFile | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  private constructor(options: TaskLogOptions) {
    this.#o = options;
    const splitter = () => new LineSplitter({ suppressCarriageReturn: options.suppressCarriageReturn ?? true });
    this.#splitters = { stdout: splitter(), stderr: splitter() };
  }

  /** Open the log; with `upload`, opens (or resumes) the task's spool and starts streaming. */
  static open(options: TaskLogOptions): TaskLog {
    const log = new TaskLog(options);
    if (options.logFile) log.#file = Deno.openSync(options.logFile, { create: true, append: true });
    if (options.upload) {
      if (!options.spoolRoot) throw new TypeError("TaskLog.open() needs spoolRoot to upload");
      log.#spool = LogSpool.open(taskSpoolDir(options.spoolRoot, options.taskId));
      log.#streamer = new LogStreamer({
        task: options.taskId,
        worker: options.workerId,
        queue: log.#spool,
        upload: options.upload,
        maxLatencyMs: options.latencyMs ?? 250,
        // Retry policy: forever (nothing is dropped), 250 ms doubling to 5 s with jitter, so that a server that
        // comes back is noticed within seconds.
        retry: { maxMs: 5_000 },
        onError: options.onUploadError,
      });
    }
    return log;
  }

  /** The spool folder (when uploading). */
  get spoolDir(): string | undefined {
    return this.#spool?.dir;
  }

  /** Lines written (or resumed from a previous run) and not yet acknowledged by the server. */
  get pending(): number {
    return this.#streamer?.pending ?? 0;
  }

  /** Lines delivered so far. */
  get sentLines(): number {
    return this.#streamer?.sentLines ?? 0;
  }

  #print(stream: OutputStream, bytes: Uint8Array): void {
    const write = stream === "stdout"
      ? this.#o.stdout ?? ((b: Uint8Array) => writeAllSync(Deno.stdout, b))
      : this.#o.stderr ?? ((b: Uint8Array) => writeAllSync(Deno.stderr, b));
    write(bytes);
    if (this.#file) writeAllSync(this.#file, bytes);
  }

  #send(lines: readonly string[], level: LogLevel, redacted = false): void {
    if (this.#closed || !this.#streamer || lines.length === 0) return;
    this.#streamer.writeLines(lines, level, redacted);
  }

  /** An agent message (one or more lines), level INFO unless given. */
  info(text: string, level: LogLevel = "INFO"): void {
    const clean = redact(text);
    this.#print("stdout", encoder.encode(clean.endsWith("\n") ? clean : clean + "\n"));
    this.#send(clean.replace(/\n$/, "").split("\n"), level);
  }

  /** Output bytes of a setup tool or the task (level DEBUG, as the reference sends console output). */
  output(chunk: Uint8Array, stream: OutputStream): void {
    const splitter = this.#splitters[stream];
    const lines = splitter.push(chunk);
    const text = new TextDecoder().decode(chunk);
    const redacted = redact(text);
    this.#print(stream, redacted === text ? chunk : encoder.encode(redacted));
    this.#send(lines, "DEBUG");
    this.#armPartialTimer();
  }

  /** Lines that are already split (the daemon's child output): printed with a newline each and sent. */
  lines(lines: readonly string[], level: LogLevel = "DEBUG"): void {
    if (lines.length === 0) return;
    const text = lines.join("\n");
    const clean = redact(text);
    this.#print("stdout", encoder.encode(clean + "\n"));
    // Masked once for both (a mask has no newline, so the lines stay the lines).
    this.#send(clean === text ? lines : clean.split("\n"), level, true);
  }

  #armPartialTimer(): void {
    if (this.#timer !== undefined || this.#closed || !this.#streamer) return;
    const held = [this.#splitters.stdout.partialSince, this.#splitters.stderr.partialSince].filter((t) => t !== null);
    if (held.length === 0) return;
    const flushMs = this.#o.partialFlushMs ?? 1000;
    const due = Math.max(0, Math.min(...held as number[]) + flushMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      for (const stream of ["stdout", "stderr"] as const) {
        this.#send(this.#splitters[stream].takeStale(flushMs), "DEBUG");
      }
      this.#armPartialTimer();
    }, due);
  }

  /** Send what is waiting now; resolves true once acknowledged (false after `timeoutMs`). */
  flush(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    return this.#streamer?.flush(options) ?? Promise.resolve(true);
  }

  /**
   * Emit held partial lines, wait until everything is delivered (at most `timeoutMs`, default 10 minutes, or until
   * `signal` aborts), then stop. Resolves true when nothing is left unsent; what is left stays in the spool.
   * Idempotent.
   */
  async close(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    if (this.#closed) return this.pending === 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const stream of ["stdout", "stderr"] as const) this.#send(this.#splitters[stream].flush(), "DEBUG");
    this.#closed = true;
    let delivered = true;
    if (this.#streamer) {
      delivered = await this.#streamer.close({ timeoutMs: options.timeoutMs ?? 10 * 60_000, signal: options.signal });
      delivered = delivered && this.#streamer.pending === 0;
    }
    if (this.#spool) {
      this.#spool.close();
      if (delivered) await Deno.remove(this.#spool.dir, { recursive: true }).catch(() => {});
    }
    this.#file?.close();
    this.#file = undefined;
    return delivered;
  }
}

function writeAllSync(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += w.writeSync(bytes.subarray(done));
}
