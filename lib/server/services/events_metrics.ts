/**
 * Per-task bookkeeping driven by `events.add_batch` (server-api.md §4.4): `last_iteration`, `last_metrics`
 * (latest value by iteration and timestamp, min/max with their iterations, first value, count, mean),
 * `unique_metrics` and `metric_stats`. Running state (sums, positions) lives in the internal `_metric_state`
 * field, never returned.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Doc } from "../json.ts";
import type { TaskDoc } from "../storage/model.ts";

/** The five event types. */
export const EVENT_TYPES: ReadonlySet<string> = new Set([
  "training_stats_scalar",
  "training_stats_vector",
  "training_debug_image",
  "plot",
  "log",
]);

/** Metrics that do not move `last_iteration` (the SDK's resource monitor). */
const MONITOR_METRICS = new Set([":monitor:machine", ":monitor:gpu"]);
const MAX_UNIQUE_METRICS = 2000;

/** Hex MD5 of a string (upstream's keys for metrics, variants and event ids). */
export function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}

const md5Cache = new Map<string, string>();

function md5Cached(text: string): string {
  let h = md5Cache.get(text);
  if (h === undefined) {
    if (md5Cache.size > 10_000) md5Cache.clear();
    h = md5(text);
    md5Cache.set(text, h);
  }
  return h;
}

interface Position {
  iter: number;
  ts: number;
  sum: number;
}

/** One event's effect on its task (the event is already validated). */
export function applyEventToTask(
  task: TaskDoc,
  ev: {
    type: string;
    metric: string;
    variant: string;
    iter?: number;
    timestamp: number;
    value?: unknown;
    x_axis_label?: unknown;
  },
): void {
  if (ev.iter !== undefined && !MONITOR_METRICS.has(ev.metric)) {
    task.last_iteration = Math.max(task.last_iteration ?? 0, ev.iter);
  }
  if (ev.type === "log") return;
  const mk = md5Cached(ev.metric);
  const stats = (task.metric_stats ??= {}) as Record<string, Doc>;
  const ms = stats[mk] ??= { metric: ev.metric, event_stats_by_type: {} };
  (ms.event_stats_by_type as Doc)[ev.type] = { last_update: ev.timestamp };
  const unique = task.unique_metrics ??= [];
  if (unique.length < MAX_UNIQUE_METRICS) {
    const name = `${ev.metric}/${ev.variant}`;
    if (!unique.includes(name)) unique.push(name);
  }
  if (ev.type !== "training_stats_scalar" || typeof ev.value !== "number" || !Number.isFinite(ev.value)) return;
  const value = ev.value;
  const iter = ev.iter ?? 0;
  const vk = md5Cached(ev.variant);
  const lm = task.last_metrics ??= {};
  const entry = (lm[mk] ??= {})[vk] ??= { metric: ev.metric, variant: ev.variant, count: 0 };
  const state = (task._metric_state ??= {}) as Record<string, Position>;
  const key = `${mk}.${vk}`;
  const pos = state[key];
  if (!pos || iter > pos.iter || (iter === pos.iter && ev.timestamp >= pos.ts)) {
    entry.value = value;
    state[key] = { iter, ts: ev.timestamp, sum: pos?.sum ?? 0 };
  }
  const cur = state[key];
  if (entry.min_value === undefined || value < (entry.min_value as number)) {
    entry.min_value = value;
    entry.min_value_iteration = iter;
  }
  if (entry.max_value === undefined || value > (entry.max_value as number)) {
    entry.max_value = value;
    entry.max_value_iteration = iter;
  }
  if (entry.first_value_iteration === undefined || iter < (entry.first_value_iteration as number)) {
    entry.first_value = value;
    entry.first_value_iteration = iter;
  }
  entry.count = (entry.count as number) + 1;
  cur.sum += value;
  entry.mean_value = cur.sum / (entry.count as number);
  if (typeof ev.x_axis_label === "string") entry.x_axis_label = ev.x_axis_label;
}
