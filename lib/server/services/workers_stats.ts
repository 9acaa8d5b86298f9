/**
 * `workers.get_stats` and `workers.get_metric_keys` (server-api.md §4.3) from the workers' status reports. This
 * server keeps only each worker's latest `machine_stats` (no history), so every series has at most one point: the
 * worker's last report, when it falls between `from_date` and `to_date`. Per-core and per-GPU lists are one variant
 * per index (`"0"`, `"1"`, …) with `split_by_variant`, otherwise their aggregate. That is what the web page shows as
 * a worker's live CPU, memory and per-GPU figures.
 *
 * @module
 */

import { errors } from "../errors.ts";
import type { Doc } from "../json.ts";
import type { CallContext, Registry } from "../registry.ts";

/** The `machine_stats` keys a report may carry, by category (upstream's names). */
export const METRIC_CATEGORIES: Record<string, string[]> = {
  cpu: ["cpu_usage", "cpu_temperature"],
  gpu: ["gpu_usage", "gpu_temperature", "gpu_memory_free", "gpu_memory_used"],
  memory: ["memory_used", "memory_free"],
  network: ["network_tx", "network_rx"],
  disk: ["disk_free_home", "disk_free_temp", "disk_read", "disk_write"],
};
const KNOWN_KEYS = new Set(Object.values(METRIC_CATEGORIES).flat());
const AGGREGATIONS = ["avg", "min", "max"] as const;
type Aggregation = typeof AGGREGATIONS[number];

function aggregate(values: number[], how: Aggregation): number {
  if (how === "min") return Math.min(...values);
  if (how === "max") return Math.max(...values);
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The numbers of one key of a report: a list stays a list, a number becomes a one-element list. */
function readings(stats: Doc, key: string): number[] {
  const raw = stats[key];
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  return list.map(Number).filter((n) => Number.isFinite(n));
}

function parseItems(ctx: CallContext): { key: string; aggregation: Aggregation }[] {
  const items = ctx.params.objList("items");
  if (!items || items.length === 0) throw errors.validation("missing required field", { field: "items" });
  return items.map((item) => {
    const key = item.key;
    if (typeof key !== "string" || !KNOWN_KEYS.has(key)) {
      throw errors.validation("unknown metric key", { field: "items.key", key: String(key) });
    }
    const aggregation = (item.aggregation ?? "avg") as Aggregation;
    if (!AGGREGATIONS.includes(aggregation)) {
      throw errors.validation("unknown aggregation", { field: "items.aggregation", aggregation: String(aggregation) });
    }
    return { key, aggregation };
  });
}

/** `workers.get_stats`: `entries` are the live worker documents (with `_machine_stats`). */
export function workerStats(ctx: CallContext, entries: Doc[]): Doc {
  const p = ctx.params;
  const from = p.num("from_date");
  const to = p.num("to_date");
  if (from === undefined || to === undefined) throw errors.validation("missing required field", { field: "from_date" });
  if (from > to) throw errors.validation("from_date must not be after to_date", { from_date: from, to_date: to });
  const items = parseItems(ctx);
  const split = p.bool("split_by_variant", false);
  const wanted = p.strList("worker_ids");
  const workers: Doc[] = [];
  for (const entry of entries) {
    if (wanted && !wanted.includes(String(entry.id))) continue;
    const stats = entry._machine_stats as Doc | undefined;
    const at = Date.parse(String(entry.last_report_time ?? "")) / 1000;
    if (!stats || !Number.isFinite(at) || at < from || at > to) continue;
    const date = Math.floor(at);
    const metrics: Doc[] = [];
    for (const key of [...new Set(items.map((i) => i.key))]) {
      const values = readings(stats, key);
      if (values.length === 0) continue;
      const hows = items.filter((i) => i.key === key).map((i) => i.aggregation);
      const series = split && Array.isArray(stats[key])
        ? values.map((v, i) => ({ variant: String(i), values: [v] }))
        : [{ variant: undefined, values }];
      for (const s of series) {
        const metric: Doc = {
          metric: key,
          dates: [date],
          stats: hows.map((how) => ({ aggregation: how, values: [aggregate(s.values, how)] })),
        };
        if (s.variant !== undefined) metric.variant = s.variant;
        metrics.push(metric);
      }
    }
    if (metrics.length > 0) workers.push({ worker: entry.id, metrics });
  }
  return { workers };
}

/** `workers.get_metric_keys`: the categories of the keys the (selected) workers last reported. */
export function workerMetricKeys(ctx: CallContext, entries: Doc[]): Doc {
  const wanted = ctx.params.strList("worker_ids");
  const seen = new Set<string>();
  for (const entry of entries) {
    if (wanted && !wanted.includes(String(entry.id))) continue;
    const stats = entry._machine_stats as Doc | undefined;
    for (const key of Object.keys(stats ?? {})) if (readings(stats!, key).length > 0) seen.add(key);
  }
  const categories = Object.entries(METRIC_CATEGORIES)
    .map(([name, keys]) => ({ name, metric_keys: keys.filter((k) => seen.has(k)) }))
    .filter((c) => c.metric_keys.length > 0);
  return { categories };
}

/** Register both endpoints; `live` lists the live worker documents of a call. */
export function registerWorkerStats(reg: Registry, live: (ctx: CallContext) => Doc[]): void {
  reg.add(
    { name: "workers.get_metric_keys", minVersion: "2.4", handler: (ctx) => workerMetricKeys(ctx, live(ctx)) },
    { name: "workers.get_stats", minVersion: "2.4", handler: (ctx) => workerStats(ctx, live(ctx)) },
  );
}
