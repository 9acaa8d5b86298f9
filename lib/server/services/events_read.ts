/**
 * Event reads (server-api.md §4.4): `events.get_task_log` (timestamp navigation; a batch never splits a
 * timestamp) and `events.get_task_events` (ordered by iteration, keyset scrolling with an opaque `scroll_id`).
 *
 * @module
 */

import { errors } from "../errors.ts";
import { type Doc, isObject } from "../json.ts";
import type { SqlValue } from "../storage/store.ts";
import type { CallContext, Registry } from "../registry.ts";
import { getTask } from "./tasks_status.ts";
import type { TaskLogEvent, TaskLogPage } from "../../wire/log_event.ts";
import { EVENT_TYPES } from "./events_metrics.ts";

/** `metrics: [{metric, variants?}]` → an SQL condition and its parameters (the event reads and the charts). */
export function metricsFilter(ctx: CallContext): { sql: string; params: SqlValue[] } {
  const metrics = ctx.params.objList("metrics");
  if (!metrics || metrics.length === 0) return { sql: "", params: [] };
  const parts: string[] = [];
  const params: SqlValue[] = [];
  for (const m of metrics) {
    if (typeof m.metric !== "string") throw errors.validation("metric name is required", { field: "metrics.metric" });
    const variants = Array.isArray(m.variants) ? m.variants.map(String) : [];
    parts.push(variants.length === 0 ? "metric = ?" : `(metric = ? AND variant IN (${variants.map(() => "?")}))`);
    params.push(m.metric, ...variants);
  }
  return { sql: ` AND (${parts.join(" OR ")})`, params };
}

function getTaskLog(ctx: CallContext): TaskLogPage {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const batchSize = p.int("batch_size", { min: 1, max: 100_000 }) ?? 5000;
  const earlier = p.bool("navigate_earlier", true);
  const from = p.num("from_timestamp");
  const order = p.oneOf("order", ["asc", "desc"] as const);
  const mf = metricsFilter(ctx);
  const dir = earlier ? "DESC" : "ASC";
  const base = `FROM events WHERE task = ? AND type = 'log'${mf.sql}`;
  const params: SqlValue[] = [task.id, ...mf.params];
  const bound = from === undefined ? "" : earlier ? " AND ts < ?" : " AND ts > ?";
  const rows = ctx.db.store.all(
    `SELECT seq, ts, doc ${base}${bound} ORDER BY ts ${dir}, seq ${dir} LIMIT ?`,
    ...params,
    ...(from === undefined ? [] : [from]),
    batchSize,
  );
  if (rows.length === batchSize) {
    const last = rows[rows.length - 1];
    rows.push(
      ...ctx.db.store.all(
        `SELECT seq, ts, doc ${base} AND ts = ? AND seq ${earlier ? "<" : ">"} ? ORDER BY seq ${dir}`,
        ...params,
        last.ts,
        last.seq,
      ),
    );
  }
  const events: TaskLogEvent[] = rows.map((r) => JSON.parse(String(r.doc)));
  if ((order === "asc" && earlier) || (order === "desc" && !earlier)) events.reverse();
  const total = Number(ctx.db.store.get(`SELECT COUNT(*) AS n ${base}`, ...params)?.n ?? 0);
  return { events, returned: events.length, total };
}

interface Scroll {
  t: string;
  e: string;
  o: "asc" | "desc";
  i: number;
  s: number;
}

function decodeScroll(text: string, task: string): Scroll {
  try {
    const s = JSON.parse(atob(text.replaceAll("-", "+").replaceAll("_", "/")));
    if (!isObject(s) || s.t !== task || typeof s.i !== "number" || typeof s.s !== "number") throw new Error("bad");
    return s as unknown as Scroll;
  } catch {
    throw errors.invalidScrollId(undefined, { scroll_id: text });
  }
}

function encodeScroll(s: Scroll): string {
  return btoa(JSON.stringify(s)).replaceAll("+", "-").replaceAll("/", "_");
}

function getTaskEvents(ctx: CallContext): Doc {
  const p = ctx.params;
  const task = getTask(ctx, p.reqStr("task"));
  const batchSize = p.int("batch_size", { min: 1, max: 100_000 }) ?? 500;
  const scrollText = p.str("scroll_id");
  const prev = scrollText ? decodeScroll(scrollText, task.id) : undefined;
  const eventType = prev?.e ?? p.str("event_type") ?? "*";
  if (eventType !== "*" && !EVENT_TYPES.has(eventType)) {
    throw errors.validation("invalid value", { field: "event_type", value: eventType });
  }
  const order = prev?.o ?? p.oneOf("order", ["asc", "desc"] as const) ?? "asc";
  const mf = metricsFilter(ctx);
  const typeSql = eventType === "*" ? "" : " AND type = ?";
  const base = `FROM events WHERE task = ?${typeSql}${mf.sql}`;
  const params: SqlValue[] = [task.id, ...(eventType === "*" ? [] : [eventType]), ...mf.params];
  const dir = order === "desc" ? "DESC" : "ASC";
  const after = prev ? ` AND (COALESCE(iter, 0), seq) ${order === "desc" ? "<" : ">"} (?, ?)` : "";
  const rows = ctx.db.store.all(
    `SELECT seq, COALESCE(iter, 0) AS it, doc ${base}${after} ORDER BY it ${dir}, seq ${dir} LIMIT ?`,
    ...params,
    ...(prev ? [prev.i, prev.s] : []),
    batchSize,
  );
  const last = rows[rows.length - 1];
  const scroll: Scroll = last
    ? { t: task.id, e: eventType, o: order, i: Number(last.it), s: Number(last.seq) }
    : prev ?? { t: task.id, e: eventType, o: order, i: order === "desc" ? 2 ** 62 : -(2 ** 62), s: 0 };
  const out: Doc = {
    events: rows.map((r) => JSON.parse(String(r.doc))),
    returned: rows.length,
    scroll_id: encodeScroll(scroll),
  };
  out.total = p.bool("count_total", true) ? Number(ctx.db.store.get(`SELECT COUNT(*) AS n ${base}`, ...params)?.n) : -1;
  return out;
}

/** Register the event read endpoints. */
export function registerEventReads(reg: Registry): void {
  reg.add(
    { name: "events.get_task_log", minVersion: "1.0", handler: getTaskLog },
    { name: "events.get_task_events", minVersion: "1.0", handler: getTaskEvents },
  );
}
