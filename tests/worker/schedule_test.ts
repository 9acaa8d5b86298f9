/**
 * The schedule decision (`lib/worker/schedule.ts`): precedence of queue tags over the runtime property over the
 * working hours, the uptime/downtime choice, and the readable form `--status` prints.
 */
import assert from "node:assert/strict";
import {
  decideQueue,
  describeEntry,
  parseForce,
  ScheduleConfigError,
  type WorkingHours,
  workingHours,
} from "../../lib/worker/schedule.ts";
import { parseSchedule } from "../../lib/worker/schedule_spans.ts";

const UP: WorkingHours = { kind: "uptime", entries: ["9-17 MON-FRI"], spans: parseSchedule(["9-17 MON-FRI"]) };
const DOWN: WorkingHours = { kind: "downtime", entries: ["9-17 MON-FRI"], spans: parseSchedule(["9-17 MON-FRI"]) };
// 2025-01-06 is a Monday (local time).
const WORK = new Date(2025, 0, 6, 10, 0);
const NIGHT = new Date(2025, 0, 6, 22, 0);

type Tag = "on" | "off" | "both" | null;
const tagsOf = (t: Tag) =>
  t === null ? [] : t === "both" ? ["force_workers:on", "force_workers:off"] : [`force_workers:${t}`, "gpu"];

// [queue tag, runtime property force, working hours, time] → [pulls, decided by]
const PRECEDENCE: [Tag, "on" | "off" | null, WorkingHours | null, Date, boolean, string][] = [
  // 1. queue tag beats the runtime property and the schedule
  ["off", "on", UP, WORK, false, "queue tag"],
  ["on", "off", UP, NIGHT, true, "queue tag"],
  ["both", "on", null, WORK, false, "queue tag"],
  // 2. runtime property beats the schedule
  [null, "on", UP, NIGHT, true, "runtime property"],
  [null, "off", UP, WORK, false, "runtime property"],
  [null, "on", DOWN, WORK, true, "runtime property"],
  [null, "off", null, WORK, false, "runtime property"],
  // 3. the schedule
  [null, null, UP, WORK, true, "schedule"],
  [null, null, UP, NIGHT, false, "schedule"],
  [null, null, DOWN, WORK, false, "schedule"],
  [null, null, DOWN, NIGHT, true, "schedule"],
  // 4. nothing
  [null, null, null, NIGHT, true, "default"],
];

Deno.test("decideQueue() applies queue tag, then runtime property, then working hours, then pulls", () => {
  for (const [tag, force, hours, at, active, source] of PRECEDENCE) {
    const d = decideQueue({ tags: tagsOf(tag), force, hours, at });
    const label = JSON.stringify({ tag, force, hours: hours?.kind ?? null, at: at.getHours() });
    assert.deepEqual([d.active, d.source], [active, source], label);
    assert.ok(d.reason.length > 0, label);
  }
});

Deno.test("decideQueue() says why in words", () => {
  assert.equal(decideQueue({ hours: UP, at: NIGHT }).reason, "outside working hours");
  assert.equal(decideQueue({ hours: DOWN, at: WORK }).reason, "inside downtime");
  assert.equal(
    decideQueue({ tags: ["force_workers:on"], hours: null, at: WORK }).reason,
    'forced on by queue tag "force_workers:on"',
  );
  assert.equal(
    decideQueue({ force: "off", hours: null, at: WORK }).reason,
    'forced off by runtime property "force: off"',
  );
});

Deno.test("parseForce() accepts on/off in any case and nothing else", () => {
  const cases: [unknown, "on" | "off" | null][] = [
    ["on", "on"],
    ["OFF", "off"],
    [" On ", "on"],
    ["yes", null],
    ["", null],
    [1, null],
    [undefined, null],
  ];
  for (const [value, want] of cases) assert.equal(parseForce(value), want, String(value));
});

Deno.test("workingHours() takes the command line over the configuration and refuses both kinds", () => {
  assert.equal(workingHours({}, {}), null);
  assert.equal(workingHours({}, { uptime: [], downtime: [] }), null);
  assert.deepEqual(workingHours({}, { downtime: ["1-2 MON"] })?.kind, "downtime");
  const cli = workingHours({ uptime: ["20 SUN"] }, { downtime: ["1-2 MON"] });
  assert.deepEqual([cli?.kind, cli?.entries, cli?.spans], ["uptime", ["20 SUN"], [{ day: 0, from: 20, to: 24 }]]);
  assert.throws(
    () => workingHours({}, { uptime: ["1-2 MON"], downtime: ["3-4 MON"] }),
    (e: Error) => e instanceof ScheduleConfigError && /agent\.uptime and agent\.downtime are both set/.test(e.message),
  );
  assert.throws(
    () => workingHours({}, { uptime: ["1-2 FUNDAY"] }),
    (e: Error) => e instanceof ScheduleConfigError && /^agent\.uptime: invalid day "FUNDAY"/.test(e.message),
  );
});

Deno.test("describeEntry() prints spans as the reference's --status does", () => {
  const cases: [string, string][] = [
    ["17-20 TUE,WED", "17:00-19:59 on TUE and WED"],
    ["20 SUN", "20:00-23:59 on SUN"],
    ["20-23 SUN-TUE", "20:00-22:59 on SUN-TUE"],
    ["0-8,20-0 mon,wed,fri", "00:00-07:59 and 20:00-23:59 on MON, WED and FRI"],
    ["22-2 FRI", "22:00-01:59 (into the next day) on FRI"],
  ];
  for (const [entry, text] of cases) assert.equal(describeEntry(entry), text, entry);
});
