/**
 * Chart reads of the SDK (server-api.md §4.4): `events.scalar_metrics_iter_histogram` (`Task.get_reported_scalars`:
 * every scalar series as `{metric: {variant: {name, x, y}}}`, down-sampled to `samples` points by averaging
 * contiguous runs) and `events.get_task_plots` (`Task.get_reported_plots`: the plot events of the last `iters`
 * iterations of each metric/variant).
 *
 * @module
 */

import type { Doc } from "../json.ts";
import type { CallContext, Registry } from "../registry.ts";
import { getTask } from "./tasks_status.ts";
import { metricsFilter } from "./events_read.ts";

type Key = "iter" | "timestamp" | "iso_time";

interface Point {
  x: number;
  y: number;
}

/** Average contiguous runs so that at most `samples` points remain. */
export function downSample(points: Point[], samples: number | undefined): Point[] {
  if (!samples || points.length <= samples) return points;
  const out: Point[] = [];
  for (let b = 0; b < samples; b++) {
    const run = points.slice(
      Math.floor((b * points.length) / samples),
      Math.floor(((b + 1) * points.length) / samples),
    );
    if (run.length === 0) continue;
    out.push({ x: run[0].x, y: run.reduce((s, p) => s + p.y, 0) / run.length });
  }
  return out;
}

function scalarHistogram(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const key: Key = p.oneOf("key", ["iter", "timestamp", "iso_time"] as const) ?? "iter";
  const samples = p.int("samples", { min: 1, max: 100_000 });
  const mf = metricsFilter(ctx);
  const rows = ctx.db.store.all(
    // Only the two fields needed are read out of each document (in SQLite, not by parsing every event here).
    `SELECT metric, variant, COALESCE(iter, 0) AS it, ts, json_extract(doc, '$.value') AS value,
            json_extract(doc, '$.x_axis_label') AS label FROM events
     WHERE task = ? AND type = 'training_stats_scalar'${mf.sql} ORDER BY metric, variant, ${
      key === "iter" ? "it, ts" : "ts, it"
    }`,
    task.id,
    ...mf.params,
  );
  const series = new Map<string, { metric: string; variant: string; points: Point[]; label?: string }>();
  for (const r of rows) {
    const id = `${r.metric}\u0000${r.variant}`;
    let s = series.get(id);
    if (!s) series.set(id, s = { metric: String(r.metric), variant: String(r.variant), points: [] });
    if (typeof r.label === "string") s.label = r.label;
    s.points.push({ x: key === "iter" ? Number(r.it) : Number(r.ts), y: r.value === null ? NaN : Number(r.value) });
  }
  const out: Doc = {};
  for (const s of series.values()) {
    const points = downSample(s.points, samples);
    const entry: Doc = {
      name: s.variant,
      x: points.map((pt) => key === "iso_time" ? new Date(pt.x).toISOString() : pt.x),
      y: points.map((pt) => pt.y),
    };
    if (s.label !== undefined) entry.x_axis_label = s.label;
    ((out[s.metric] ??= {}) as Doc)[s.variant] = entry;
  }
  return out;
}

function taskPlots(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const iters = p.int("iters", { min: 1, max: 1000 }) ?? 1;
  const mf = metricsFilter(ctx);
  // The last `iters` iterations of each metric/variant, newest first.
  const rows = ctx.db.store.all(
    `SELECT doc FROM (
       SELECT doc, metric, variant, COALESCE(iter, 0) AS it,
              DENSE_RANK() OVER (PARTITION BY metric, variant ORDER BY COALESCE(iter, 0) DESC) AS rk
       FROM events WHERE task = ? AND type = 'plot'${mf.sql})
     WHERE rk <= ? ORDER BY metric, variant, it DESC`,
    task.id,
    ...mf.params,
    iters,
  );
  const plots = rows.map((r) => JSON.parse(String(r.doc)));
  return { plots, returned: plots.length, total: plots.length, scroll_id: "" };
}

/** Register the chart read endpoints. */
export function registerEventCharts(reg: Registry): void {
  reg.add(
    { name: "events.scalar_metrics_iter_histogram", minVersion: "1.0", handler: scalarHistogram },
    { name: "events.get_task_plots", minVersion: "1.0", handler: taskPlots },
  );
}
