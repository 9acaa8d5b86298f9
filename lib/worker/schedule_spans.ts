/**
 * The working-hours grammar of `--uptime` / `--downtime` and `agent.uptime` / `agent.downtime`.
 *
 * Each entry is `"<hours> <days>"`:
 * - hours: comma-separated items; `a-b` is hours a..b-1 (end exclusive, `b` may be 24, and `0` as an end means 24);
 *   a single `a` is hours a..23. A range whose end is before its start crosses midnight: `22-2 MON` is 22:00-24:00
 *   on Monday plus 00:00-02:00 on Tuesday (two spans).
 * - days: comma-separated `SUN MON TUE WED THU FRI SAT` (any case) or ranges `MON-FRI` (inclusive; `FRI-MON` wraps).
 *
 * Deviation from the reference, on purpose: items starting at hour 0 are honoured (the reference ignores them).
 *
 * @module
 */

/** Day names in `Date.getDay()` order. */
export const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

/** One contiguous window: `day` (0 = Sunday), hours `[from, to)`. */
export interface Span {
  day: number;
  from: number;
  to: number;
}

function parseDay(name: string, entry: string): number {
  const idx = DAY_NAMES.indexOf(name.toUpperCase() as typeof DAY_NAMES[number]);
  if (idx < 0) {
    throw new TypeError(`invalid day "${name}" in schedule "${entry}": expected one of ${DAY_NAMES.join(", ")}`);
  }
  return idx;
}

function parseHour(text: string, entry: string): number {
  if (!/^\d{1,2}$/.test(text) || Number(text) > 24) {
    throw new TypeError(`invalid hour "${text}" in schedule "${entry}": expected 0-24`);
  }
  return Number(text);
}

function parseDays(text: string, entry: string): number[] {
  const days: number[] = [];
  for (const item of text.split(",")) {
    if (item === "") throw new TypeError(`invalid days "${text}" in schedule "${entry}": empty item`);
    const parts = item.split("-");
    if (parts.length === 1) {
      days.push(parseDay(parts[0], entry));
    } else if (parts.length === 2) {
      const a = parseDay(parts[0], entry);
      const b = parseDay(parts[1], entry);
      for (let d = a;; d = (d + 1) % 7) {
        days.push(d);
        if (d === b) break;
      }
    } else {
      throw new TypeError(`invalid day range "${item}" in schedule "${entry}"`);
    }
  }
  return days;
}

/** Parse one entry into spans; throws `TypeError` naming the entry and the bad part. */
export function parseScheduleEntry(entry: string): Span[] {
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(entry);
  if (!match) {
    throw new TypeError(`invalid schedule "${entry}": expected "<hours> <days>", e.g. "17-20 MON-FRI"`);
  }
  const [, hoursText, daysText] = match;
  const days = parseDays(daysText, entry);
  const spans: Span[] = [];
  for (const item of hoursText.split(",")) {
    const parts = item.split("-");
    if (parts.length > 2 || parts[0] === "") {
      throw new TypeError(`invalid hours "${item}" in schedule "${entry}": expected "a" or "a-b"`);
    }
    const from = parseHour(parts[0], entry);
    let to = parts.length === 2 ? parseHour(parts[1], entry) : 24;
    if (to === 0) to = 24;
    if (from === 24) throw new TypeError(`invalid hours "${item}" in schedule "${entry}": a span cannot start at 24`);
    for (const day of days) {
      if (to > from) {
        spans.push({ day, from, to });
      } else if (to < from) {
        spans.push({ day, from, to: 24 });
        spans.push({ day: (day + 1) % 7, from: 0, to });
      } else {
        throw new TypeError(`invalid hours "${item}" in schedule "${entry}": empty span`);
      }
    }
  }
  return spans;
}

/** Parse a list of entries. */
export function parseSchedule(entries: readonly string[]): Span[] {
  return entries.flatMap(parseScheduleEntry);
}

/** True when local time `at` falls inside any span. */
export function inSpans(spans: readonly Span[], at: Date): boolean {
  const day = at.getDay();
  const hour = at.getHours();
  return spans.some((s) => s.day === day && hour >= s.from && hour < s.to);
}
