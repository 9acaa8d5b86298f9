/**
 * Time for the server: an injectable clock (tests advance it instead of sleeping) and the upstream date format,
 * naive UTC with millisecond precision written as microseconds and a `+00:00` suffix:
 * `2025-01-01T10:00:00.123000+00:00`.
 *
 * @module
 */

/** Milliseconds since the epoch; `Date.now` in production, a controllable value in tests. */
export type NowFn = () => number;

/** The wall clock. */
export const systemNow: NowFn = () => Date.now();

/** Format epoch milliseconds as the upstream ISO string. */
export function isoDate(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2025-01-01T10:00:00.123Z
  return iso.slice(0, 23) + "000+00:00";
}

/**
 * Parse an ISO-8601 date (with or without zone; a missing zone means UTC, as upstream stores naive UTC) into epoch
 * milliseconds; `undefined` when it is not a date.
 */
export function parseDate(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value !== "string" || value.trim() === "") return undefined;
  let text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += "T00:00:00";
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(text);
  // JavaScript parses at most millisecond precision; drop extra fraction digits.
  text = text.replace(/(\.\d{3})\d+/, "$1");
  const ms = Date.parse(hasZone ? text : text + "Z");
  return Number.isNaN(ms) ? undefined : ms;
}
