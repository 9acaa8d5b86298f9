/**
 * Printing a task's log from the server, once or following it live (`task logs [--follow]`).
 *
 * Each poll reads the events after a point a few seconds before the newest one seen (`LOOKBACK_MS`), because an
 * event can reach the server after newer ones (several uploaders, batching); events already printed are
 * recognised by their timestamp, write time, level and text (counted, so repeated identical lines still print).
 * A full page continues at once from its last timestamp (the server never splits a timestamp across pages).
 * Following ends once the task has reached a final status and a poll brings nothing new (at least `settleMs`
 * after the status was seen, so lines uploaded after the status change still arrive), or when `signal` aborts.
 *
 * @module
 */

import type { TaskLogEvent } from "../wire/log_event.ts";
import { abortableSleep } from "../api/retry_policy.ts";

/** How far back each poll looks for late events (milliseconds). */
export const LOOKBACK_MS = 5000;

/** Statuses after which a task's log does not grow (apart from lines still in flight). */
export const FINAL_STATUSES: ReadonlySet<string> = new Set([
  "completed",
  "failed",
  "stopped",
  "closed",
  "published",
  "publishing",
]);

/** Options of `printTaskLog`. */
export interface LogFollowOptions {
  /** Log events after `fromTimestamp` (epoch ms; none: from the start), oldest first, one page. */
  fetchLog: (fromTimestamp: number | undefined) => Promise<TaskLogEvent[]>;
  /** Page size `fetchLog` uses: a page this full is followed by another request at once. */
  pageSize: number;
  /** The task's current status (polled while following). */
  taskStatus: () => Promise<string>;
  write: (text: string) => Promise<void>;
  follow: boolean;
  /** Milliseconds between polls while following. */
  pollMs: number;
  /** Quiet time after a final status before returning (default `max(2000, 2 * pollMs)`). */
  settleMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  signal?: AbortSignal;
}

function keyOf(e: TaskLogEvent): string {
  return [e.timestamp, e["@timestamp"] ?? "", e.level ?? "", e.msg ?? ""].join("\u0000");
}

/** Remembers which events were printed, within the look-back window. */
class SeenEvents {
  #seen = new Map<string, { ts: number; count: number }>();
  newest: number | undefined;

  /** Window start for the next poll. */
  from(): number | undefined {
    return this.newest === undefined ? undefined : this.newest - LOOKBACK_MS - 1;
  }

  /** Events of one poll (all pages) that were not printed before, in order. */
  fresh(events: readonly TaskLogEvent[]): TaskLogEvent[] {
    const inPoll = new Map<string, number>();
    const out: TaskLogEvent[] = [];
    for (const e of events) {
      const key = keyOf(e);
      const n = (inPoll.get(key) ?? 0) + 1;
      inPoll.set(key, n);
      if (n > (this.#seen.get(key)?.count ?? 0)) {
        this.#seen.set(key, { ts: e.timestamp, count: n });
        out.push(e);
      }
      if (this.newest === undefined || e.timestamp > this.newest) this.newest = e.timestamp;
    }
    const from = this.from();
    if (from !== undefined) { for (const [k, v] of this.#seen) if (v.ts <= from) this.#seen.delete(k); }
    return out;
  }
}

function text(events: readonly TaskLogEvent[]): string {
  return events.map((e) => {
    const msg = e.msg ?? "";
    return msg.endsWith("\n") ? msg : msg + "\n";
  }).join("");
}

async function poll(o: LogFollowOptions, seen: SeenEvents): Promise<number> {
  const events: TaskLogEvent[] = [];
  let from = seen.from();
  // Each full page moves `from` strictly forward, so this ends; the bound is a guard against a broken server.
  for (let page = 0; page < 100_000; page++) {
    const batch = await o.fetchLog(from);
    events.push(...batch);
    if (batch.length < o.pageSize) break;
    from = batch[batch.length - 1].timestamp;
  }
  const fresh = seen.fresh(events);
  if (fresh.length > 0) await o.write(text(fresh));
  return fresh.length;
}

/**
 * Print the log (`follow`: until the task ends); resolves to the task's last status seen (`undefined` without
 * `follow`).
 */
export async function printTaskLog(o: LogFollowOptions): Promise<string | undefined> {
  const seen = new SeenEvents();
  await poll(o, seen);
  if (!o.follow) return undefined;
  const sleep = o.sleep ?? abortableSleep;
  const now = o.now ?? Date.now;
  const settleMs = o.settleMs ?? Math.max(2000, 2 * o.pollMs);
  let finalSince: number | undefined;
  let status = "";
  while (!o.signal?.aborted) {
    status = await o.taskStatus();
    if (FINAL_STATUSES.has(status)) finalSince ??= now();
    else finalSince = undefined;
    try {
      await sleep(o.pollMs, o.signal);
    } catch {
      break;
    }
    const printed = await poll(o, seen);
    if (finalSince !== undefined && printed === 0 && now() - finalSince >= settleMs) break;
  }
  return status;
}
