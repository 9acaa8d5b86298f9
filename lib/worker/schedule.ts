/**
 * Whether a worker pulls from a queue right now (agent-reference §5.9): the working hours of `--uptime` /
 * `--downtime` (or `agent.uptime` / `agent.downtime`) and the two overrides, strongest first:
 *
 * 1. the queue's tags `force_workers:off` / `force_workers:on` (`off` wins when a queue has both);
 * 2. the worker's runtime property `force` = `off` / `on` (case-insensitive; set with
 *    `workers.set_runtime_properties`, optionally with an expiry);
 * 3. the schedule: uptime → pull only inside a window; downtime → pull only outside every window;
 * 4. nothing configured → pull.
 *
 * Only pulling is gated: a running task is never interrupted by the schedule. Everything here is pure: the time
 * is an argument (`at`, local time), so tests never sleep.
 *
 * @module
 */

import { inSpans, parseSchedule, type Span } from "./schedule_spans.ts";

/** The configured working hours. */
export interface WorkingHours {
  kind: "uptime" | "downtime";
  /** The entries as given (`"17-20 MON-FRI"`). */
  entries: string[];
  spans: Span[];
}

/** Queue tags and runtime-property values of the overrides. */
export const FORCE_ON_TAG = "force_workers:on";
export const FORCE_OFF_TAG = "force_workers:off";
/** The runtime property key of the worker override. */
export const FORCE_PROPERTY = "force";

/** A schedule given where it cannot be used (both uptime and downtime, a bad span). */
export class ScheduleConfigError extends Error {
  override name = "ScheduleConfigError";
}

/**
 * The working hours in force: a command-line `--uptime` / `--downtime` replaces the configuration's schedule
 * (both kinds); otherwise `agent.uptime` / `agent.downtime`. Throws `ScheduleConfigError` when the configuration
 * sets both, or an entry does not parse. `null`: no schedule.
 */
export function workingHours(
  cli: { uptime?: string[]; downtime?: string[] },
  config: { uptime?: string[]; downtime?: string[] },
): WorkingHours | null {
  const fromCli = cli.uptime !== undefined || cli.downtime !== undefined;
  const up = (fromCli ? cli.uptime : config.uptime) ?? [];
  const down = (fromCli ? cli.downtime : config.downtime) ?? [];
  if (up.length > 0 && down.length > 0) {
    throw new ScheduleConfigError(
      fromCli
        ? "--uptime and --downtime are both given: keep one of them"
        : "agent.uptime and agent.downtime are both set in the configuration: keep one of them",
    );
  }
  const kind = up.length > 0 ? "uptime" : down.length > 0 ? "downtime" : null;
  if (kind === null) return null;
  const entries = kind === "uptime" ? up : down;
  try {
    return { kind, entries, spans: parseSchedule(entries) };
  } catch (err) {
    const where = fromCli ? `--${kind}` : `agent.${kind}`;
    throw new ScheduleConfigError(`${where}: ${(err as Error).message}`, { cause: err });
  }
}

/** `on` / `off` from a runtime property value (any case, trimmed); `null` for anything else. */
export function parseForce(value: unknown): "on" | "off" | null {
  const v = typeof value === "string" ? value.trim().toLowerCase() : "";
  return v === "on" || v === "off" ? v : null;
}

/** What decided a queue, and the answer. */
export interface QueueDecision {
  active: boolean;
  source: "queue tag" | "runtime property" | "schedule" | "default";
  /** One phrase for logs and `--status`: `outside working hours`, `forced on by queue tag "force_workers:on"`. */
  reason: string;
}

/** Whether the worker pulls from a queue with `tags` at local time `at` (pure). */
export function decideQueue(input: {
  tags?: readonly string[];
  force?: "on" | "off" | null;
  hours: WorkingHours | null;
  at: Date;
}): QueueDecision {
  const tags = input.tags ?? [];
  if (tags.includes(FORCE_OFF_TAG)) {
    return { active: false, source: "queue tag", reason: `forced off by queue tag "${FORCE_OFF_TAG}"` };
  }
  if (tags.includes(FORCE_ON_TAG)) {
    return { active: true, source: "queue tag", reason: `forced on by queue tag "${FORCE_ON_TAG}"` };
  }
  if (input.force) {
    return {
      active: input.force === "on",
      source: "runtime property",
      reason: `forced ${input.force} by runtime property "${FORCE_PROPERTY}: ${input.force}"`,
    };
  }
  const hours = input.hours;
  if (!hours) return { active: true, source: "default", reason: "no working hours set" };
  const inside = inSpans(hours.spans, input.at);
  if (hours.kind === "uptime") {
    return { active: inside, source: "schedule", reason: inside ? "inside working hours" : "outside working hours" };
  }
  return { active: !inside, source: "schedule", reason: inside ? "inside downtime" : "outside downtime" };
}

const pad = (h: number) => String(h).padStart(2, "0");

function describeHours(item: string): string {
  const [a, b] = item.split("-");
  const from = Number(a);
  let to = b === undefined ? 24 : Number(b);
  if (to === 0) to = 24;
  const text = `${pad(from)}:00-${pad((to + 23) % 24)}:59`;
  return to < from ? `${text} (into the next day)` : text;
}

function joinAnd(items: string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/**
 * A readable form of one valid entry, as `daemon --status` prints it: `"17-20 SUN,TUE"` →
 * `17:00-19:59 on SUN and TUE`; `"22-2 FRI"` → `22:00-01:59 (into the next day) on FRI`.
 */
export function describeEntry(entry: string): string {
  const [hours, days] = entry.trim().split(/\s+/);
  const dayItems = days.split(",").map((d) => d.toUpperCase());
  return `${joinAnd(hours.split(",").map(describeHours))} on ${joinAnd(dayItems)}`;
}
