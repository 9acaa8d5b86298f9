import assert from "node:assert/strict";
import { buildLogEvents } from "../../lib/logs/log_events.ts";
import type { LogRecord } from "../../lib/logs/log_queue.ts";
import type { LogLevel } from "../../lib/wire/log_event.ts";

const rec = (seq: number, text: string, level: LogLevel = "DEBUG", ts = 1000): LogRecord => ({ seq, ts, level, text });

Deno.test("buildLogEvents() concatenates consecutive lines of one level into events of at most maxEventChars", () => {
  const cases: { name: string; records: LogRecord[]; max?: number; want: [string, string][] }[] = [
    { name: "one line", records: [rec(1, "a")], want: [["DEBUG", "a\n"]] },
    { name: "lines joined", records: [rec(1, "a"), rec(2, "b")], want: [["DEBUG", "a\nb\n"]] },
    {
      name: "level change starts an event",
      records: [rec(1, "a"), rec(2, "b", "ERROR"), rec(3, "c")],
      want: [["DEBUG", "a\n"], ["ERROR", "b\n"], ["DEBUG", "c\n"]],
    },
    {
      name: "size limit starts an event",
      records: [rec(1, "aaa"), rec(2, "bbb"), rec(3, "c")],
      max: 8,
      want: [["DEBUG", "aaa\nbbb\n"], ["DEBUG", "c\n"]],
    },
    {
      name: "a line longer than an event is split",
      records: [rec(1, "x"), rec(2, "0123456789")],
      max: 4,
      want: [["DEBUG", "x\n"], ["DEBUG", "0123"], ["DEBUG", "4567"], ["DEBUG", "89\n"]],
    },
    { name: "empty lines are kept", records: [rec(1, ""), rec(2, "")], want: [["DEBUG", "\n\n"]] },
    { name: "no records", records: [], want: [] },
  ];
  for (const c of cases) {
    const { events } = buildLogEvents(c.records, { task: "T", worker: "W", maxEventChars: c.max });
    assert.deepEqual(events.map((e) => [e.level, e.msg]), c.want, c.name);
    for (const e of events) assert.deepEqual([e.type, e.task, e.worker], ["log", "T", "W"], c.name);
  }
});

Deno.test("buildLogEvents() gives strictly increasing timestamps starting at the first line's capture time", () => {
  const records = [
    rec(1, "a", "DEBUG", 500),
    rec(2, "b", "INFO", 500),
    rec(3, "c", "DEBUG", 400),
    rec(4, "d", "INFO", 900),
  ];
  const first = buildLogEvents(records.slice(0, 3), { task: "T", worker: "W" });
  assert.deepEqual(first.events.map((e) => e.timestamp), [500, 501, 502]);
  const second = buildLogEvents(records.slice(3), { task: "T", worker: "W", lastTimestamp: first.lastTimestamp });
  assert.deepEqual(second.events.map((e) => e.timestamp), [900]);
  const behind = buildLogEvents([rec(5, "e", "DEBUG", 100)], { task: "T", worker: "W", lastTimestamp: 900 });
  assert.deepEqual(behind.events.map((e) => e.timestamp), [901]);
});

Deno.test("buildLogEvents() puts the prefix before every msg and counts it in the size", () => {
  const { events } = buildLogEvents([rec(1, "abc"), rec(2, "def")], {
    task: "T",
    worker: "W",
    prefix: "R1:",
    maxEventChars: 8,
  });
  assert.deepEqual(events.map((e) => e.msg), ["R1:abc\n", "R1:def\n"]);
});
