/**
 * ClearML log events (`events.add_batch` items of type `log`) built from queued lines, as the reference does it
 * (agent-reference §6.8c): consecutive lines of the same level are concatenated, each followed by `\n`, into one
 * `msg` of at most 65536 characters; a longer line is split across several events.
 *
 * Deviation, on purpose: the reference stamps events with "send time + index", which can go backwards between
 * batches and reorder lines in the UI. Here an event carries the capture time of its first line, forced to be
 * strictly greater than the previous event's timestamp, so timestamps always follow line order.
 *
 * @module
 */

import type { LogRecord } from "./log_queue.ts";
import type { LogEvent, LogLevel } from "../wire/log_event.ts";

/** Options of `buildLogEvents`. */
export interface BuildLogEventsOptions {
  task: string;
  worker: string;
  /** Longest `msg`. @default 65536 */
  maxEventChars?: number;
  /** Timestamp of the previous event; every new one is greater. @default 0 */
  lastTimestamp?: number;
  /** Text put before each event's msg (multi-node rank prefix); counted in the size. @default "" */
  prefix?: string;
}

/** Build events from records in order; returns them with the timestamp of the last one. */
export function buildLogEvents(
  records: readonly LogRecord[],
  options: BuildLogEventsOptions,
): { events: LogEvent[]; lastTimestamp: number } {
  const max = Math.max(2, (options.maxEventChars ?? 65536) - (options.prefix?.length ?? 0));
  const events: LogEvent[] = [];
  let last = options.lastTimestamp ?? 0;
  let msg = "";
  let level: LogLevel = "DEBUG";
  let ts = 0;
  const emit = () => {
    if (msg === "") return;
    last = Math.max(ts, last + 1);
    events.push({
      type: "log",
      level,
      task: options.task,
      worker: options.worker,
      msg: (options.prefix ?? "") + msg,
      timestamp: last,
    });
    msg = "";
  };
  for (const r of records) {
    let piece = r.text + "\n";
    if (r.level !== level || msg.length + piece.length > max) emit();
    if (msg === "") [level, ts] = [r.level, r.ts];
    while (piece.length > max) {
      // Only a line longer than a whole event gets here (msg is empty): split it.
      let cut = max;
      const code = piece.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
      msg = piece.slice(0, cut);
      piece = piece.slice(cut);
      emit();
      [level, ts] = [r.level, r.ts];
    }
    msg += piece;
  }
  emit();
  return { events, lastTimestamp: last };
}
