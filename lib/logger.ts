/**
 * The agent's own small leveled logger. Messages go to stderr by default, through the secret redactor, so that a
 * registered secret value never reaches a terminal or a log file.
 *
 * @module
 */

import { redact } from "./secrets/redact.ts";

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Where a logger writes; a function so that tests and background mode can redirect it. */
export type LogSink = (line: string) => void;

const encoder = new TextEncoder();

function stderrSink(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/** A leveled logger with an optional prefix. */
export class Logger {
  #level: LogLevel;
  #sink: LogSink;
  #prefix: string;

  constructor(options: { level?: LogLevel; sink?: LogSink; prefix?: string } = {}) {
    this.#level = options.level ?? "info";
    this.#sink = options.sink ?? stderrSink;
    this.#prefix = options.prefix ?? "";
  }

  /** The current level. */
  get level(): LogLevel {
    return this.#level;
  }

  /** Change the level (e.g. `--debug`). */
  setLevel(level: LogLevel): void {
    this.#level = level;
  }

  /** Change where lines go. */
  setSink(sink: LogSink): void {
    this.#sink = sink;
  }

  /** A logger that shares this one's level and sink and adds a prefix. */
  child(prefix: string): Logger {
    const child = new Logger({ prefix: this.#prefix + prefix });
    child.#emitTo = (level, msg) => this.#emit(level, msg);
    return child;
  }

  #emitTo: ((level: LogLevel, msg: string) => void) | null = null;

  #emit(level: LogLevel, msg: string): void {
    if (this.#emitTo) return this.#emitTo(level, msg);
    if (ORDER[level] < ORDER[this.#level]) return;
    const tag = level === "info" ? "" : `${level === "warn" ? "warning" : level}: `;
    this.#sink(redact(tag + msg));
  }

  /** True when a message of this level would be written. */
  enabled(level: LogLevel): boolean {
    return ORDER[level] >= ORDER[this.#level];
  }

  debug(msg: string): void {
    this.#emit("debug", this.#prefix + msg);
  }
  info(msg: string): void {
    this.#emit("info", this.#prefix + msg);
  }
  warn(msg: string): void {
    this.#emit("warn", this.#prefix + msg);
  }
  error(msg: string): void {
    this.#emit("error", this.#prefix + msg);
  }
}

/** The process-wide logger. */
export const log: Logger = new Logger();
