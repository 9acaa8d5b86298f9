/**
 * A task's console log as it crosses the ClearML wire (server-api §4.4), shared by the agent (the API client, the
 * log streamer, `task logs`) and the embedded server, so that both read and write the same shapes:
 *
 * - `LogEvent`: one log item of an `events.add_batch` request (json-lines) as the agent sends it: the level in
 *   upper case as the reference agent writes it, the worker, and the time in milliseconds since the epoch;
 * - `TaskLogEvent` and `TaskLogPage`: what `events.get_task_log` answers: the events as stored (anyone's, the
 *   SDK's included, so their level is any text), plus `@timestamp`, the time the server wrote them.
 *
 * What the agent keeps before it builds events (a line, its level and capture time) is a `LogRecord`
 * (`lib/logs/log_queue.ts`), not an event. A leaf: it imports nothing.
 *
 * @module
 */

/** The levels the agent gives its log lines (upper case, as the reference). */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;

/** A level the agent gives a log line. */
export type LogLevel = typeof LOG_LEVELS[number];

/** True when `text` is one of `LOG_LEVELS`. */
export function isLogLevel(text: unknown): text is LogLevel {
  return (LOG_LEVELS as readonly unknown[]).includes(text);
}

/** One `events.add_batch` item of type `log`, field names as on the wire. */
export interface LogEvent {
  type: "log";
  task: string;
  level: LogLevel;
  /** The lines, each followed by `\n`. */
  msg: string;
  /** The worker that sent it; the server takes the `X-ClearML-Worker` header when it is absent. */
  worker?: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/** One log event as `events.get_task_log` answers it: what was sent, as the server stored it. */
export interface TaskLogEvent {
  /** Milliseconds since the epoch. */
  timestamp: number;
  type?: string;
  task?: string;
  level?: string;
  msg?: string;
  worker?: string;
  /** When the server stored it (ISO 8601). */
  "@timestamp"?: string;
  [key: string]: unknown;
}

/** The answer of `events.get_task_log` (≥ 2.9): a page of events, their number, and the task's total. */
export type TaskLogPage = {
  events: TaskLogEvent[];
  returned: number;
  total: number;
};
