/**
 * The working-hours grammar (`lib/worker/schedule_spans.ts`): every example of the seed (agent-reference §5.9,
 * the reference's clearml.conf) plus edge cases, as tables.
 */
import assert from "node:assert/strict";
import { inSpans, parseSchedule, parseScheduleEntry, type Span } from "../../lib/worker/schedule_spans.ts";

const [SUN, MON, TUE, WED, THU, FRI, SAT] = [0, 1, 2, 3, 4, 5, 6];
const s = (day: number, from: number, to: number): Span => ({ day, from, to });

const PARSES: [string, Span[]][] = [
  // The seed's examples.
  ["20-23 SUN", [s(SUN, 20, 23)]],
  ["20-23 SUN,TUE", [s(SUN, 20, 23), s(TUE, 20, 23)]],
  ["20-23 SUN-TUE", [s(SUN, 20, 23), s(MON, 20, 23), s(TUE, 20, 23)]],
  ["20 SUN", [s(SUN, 20, 24)]],
  ["17-20 SUN,TUE", [s(SUN, 17, 20), s(TUE, 17, 20)]],
  ["17-20 TUE", [s(TUE, 17, 20)]],
  ["13-17 WED", [s(WED, 13, 17)]],
  // Across midnight: two spans, the second on the next day (SAT wraps to SUN).
  ["22-2 MON", [s(MON, 22, 24), s(TUE, 0, 2)]],
  ["23-1 SAT", [s(SAT, 23, 24), s(SUN, 0, 1)]],
  // Hour 0: honoured (the reference ignores items starting at 0).
  ["0-8 MON", [s(MON, 0, 8)]],
  ["0 FRI", [s(FRI, 0, 24)]],
  // End 0 and 24 both mean midnight.
  ["20-0 THU", [s(THU, 20, 24)]],
  ["20-24 THU", [s(THU, 20, 24)]],
  // Several hour items, lower case days, a wrapping day range.
  ["8-10,14-16 mon", [s(MON, 8, 10), s(MON, 14, 16)]],
  ["9-17 FRI-MON", [s(FRI, 9, 17), s(SAT, 9, 17), s(SUN, 9, 17), s(MON, 9, 17)]],
  ["9-17 MON-FRI", [MON, TUE, WED, THU, FRI].map((d) => s(d, 9, 17))],
  ["  9-17   WED  ", [s(WED, 9, 17)]],
];

Deno.test("parseScheduleEntry() turns every seed example and edge case into day/hour spans", () => {
  for (const [entry, spans] of PARSES) assert.deepEqual(parseScheduleEntry(entry), spans, entry);
});

Deno.test("parseSchedule() joins several entries", () => {
  assert.deepEqual(parseSchedule(["17-20 TUE", "13-17 WED"]), [s(TUE, 17, 20), s(WED, 13, 17)]);
  assert.deepEqual(parseSchedule([]), []);
});

const BAD: [string, RegExp][] = [
  ["", /expected "<hours> <days>"/],
  ["20-23", /expected "<hours> <days>"/],
  ["20-23 SUN extra", /expected "<hours> <days>"/],
  ["25 MON", /invalid hour "25"/],
  ["-3 MON", /invalid hours "-3"/],
  ["1-2-3 MON", /invalid hours "1-2-3"/],
  ["a-b MON", /invalid hour "a"/],
  ["24 MON", /cannot start at 24/],
  ["5-5 MON", /empty span/],
  ["9-17 FUNDAY", /invalid day "FUNDAY"/],
  ["9-17 MON-FUN", /invalid day "FUN"/],
  ["9-17 MON,,TUE", /empty item/],
  ["9-17 MON-TUE-WED", /invalid day range/],
];

Deno.test("parseScheduleEntry() rejects bad spans with a message naming the entry and the bad part", () => {
  for (const [entry, message] of BAD) {
    assert.throws(() => parseScheduleEntry(entry), (err: Error) => {
      assert.ok(err instanceof TypeError);
      assert.match(err.message, message, entry);
      assert.ok(err.message.includes(`"${entry}"`) || entry === "", err.message);
      return true;
    });
  }
});

// 2025-01-05 is a Sunday; times are local, as the reference evaluates them.
const at = (day: number, hour: number, minute = 0) => new Date(2025, 0, 5 + day, hour, minute);

const INSIDE: [string, Date, boolean][] = [
  ["20-23 SUN", at(SUN, 20), true],
  ["20-23 SUN", at(SUN, 22, 59), true],
  ["20-23 SUN", at(SUN, 23), false], // end exclusive
  ["20-23 SUN", at(SUN, 19, 59), false],
  ["20-23 SUN", at(MON, 21), false],
  ["20-23 SUN,TUE", at(TUE, 21), true],
  ["20-23 SUN,TUE", at(MON, 21), false],
  ["20-23 SUN-TUE", at(MON, 21), true],
  ["20 SUN", at(SUN, 23, 59), true],
  ["20 SUN", at(MON, 0), false],
  ["22-2 MON", at(MON, 23), true],
  ["22-2 MON", at(TUE, 1, 30), true],
  ["22-2 MON", at(TUE, 2), false],
  ["22-2 MON", at(MON, 1), false], // the early hours belong to Tuesday
  ["0-8 MON", at(MON, 0), true], // the reference never matches this one
  ["0-8 MON", at(MON, 8), false],
];

Deno.test("inSpans() matches local day and hour, end exclusive, across midnight and from hour 0", () => {
  for (const [entry, when, inside] of INSIDE) {
    assert.equal(inSpans(parseScheduleEntry(entry), when), inside, `${entry} at ${when.toString()}`);
  }
});
