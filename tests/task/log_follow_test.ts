/**
 * `printTaskLog()` against a scripted event source and a virtual clock: late events, identical lines, paging and
 * the end of following.
 */
import assert from "node:assert/strict";
import type { TaskLogEvent } from "../../lib/wire/log_event.ts";
import { LOOKBACK_MS, printTaskLog } from "../../lib/task/log_follow.ts";

/** A task log the test appends to between polls; served as the server does (ascending, ts > from, paged). */
class FakeLog {
  events: TaskLogEvent[] = [];
  requests: (number | undefined)[] = [];
  add(timestamp: number, msg: string): void {
    this.events.push({ timestamp, msg, level: "INFO", "@timestamp": `w${this.events.length}` });
  }
  fetch(from: number | undefined, page: number): TaskLogEvent[] {
    this.requests.push(from);
    const sorted = this.events.filter((e) => from === undefined || e.timestamp > from)
      .sort((a, b) => a.timestamp - b.timestamp);
    const out = sorted.slice(0, page);
    const last = out.at(-1);
    if (out.length === page && last) out.push(...sorted.slice(page).filter((e) => e.timestamp === last.timestamp));
    return out;
  }
}

function run(log: FakeLog, o: { follow: boolean; page?: number; statuses?: string[]; onPoll?: (n: number) => void }) {
  let now = 0;
  let polls = 0;
  const statuses = o.statuses ?? [];
  let out = "";
  return printTaskLog({
    fetchLog: (from) => Promise.resolve(log.fetch(from, o.page ?? 100)),
    pageSize: o.page ?? 100,
    taskStatus: () => Promise.resolve(statuses[Math.min(polls, statuses.length - 1)] ?? "completed"),
    write: (text) => Promise.resolve(void (out += text)),
    follow: o.follow,
    pollMs: 1000,
    settleMs: 2000,
    now: () => now,
    sleep: (ms) => {
      now += ms;
      polls++;
      o.onPoll?.(polls);
      return Promise.resolve();
    },
  }).then((status) => ({ status, out, polls }));
}

Deno.test("printTaskLog() prints the whole log once without --follow", async () => {
  const log = new FakeLog();
  for (let i = 0; i < 5; i++) log.add(1000 + i, `line ${i}`);
  const res = await run(log, { follow: false, page: 2 });
  assert.equal(res.out, "line 0\nline 1\nline 2\nline 3\nline 4\n");
  assert.equal(res.status, undefined);
  assert.deepEqual(log.requests, [undefined, 1001, 1003], "a full page continues from its last timestamp");
});

Deno.test("printTaskLog() follows new and late lines without repeating any, until the task ends", async () => {
  const log = new FakeLog();
  log.add(10_000, "first");
  log.add(10_000, "same");
  log.add(10_000, "same");
  const res = await run(log, {
    follow: true,
    statuses: ["in_progress", "in_progress", "in_progress", "completed"],
    onPoll: (n) => {
      if (n === 1) {
        log.add(11_000, "second\n");
        log.add(9_500, "late but within the look-back");
      }
      if (n === 2) log.add(11_000, "same timestamp as an earlier poll");
      if (n === 4) log.add(12_000, "uploaded after the final status");
    },
  });
  assert.equal(
    res.out,
    "first\nsame\nsame\nlate but within the look-back\nsecond\nsame timestamp as an earlier poll\n" +
      "uploaded after the final status\n",
  );
  assert.equal(res.status, "completed");
  assert.ok(log.requests.slice(1).every((from) => from !== undefined && from < 12_000 - LOOKBACK_MS + 2000));
});

Deno.test("printTaskLog() keeps polling while the task is queued and returns the final status", async () => {
  const log = new FakeLog();
  const res = await run(log, {
    follow: true,
    statuses: ["queued", "queued", "in_progress", "failed"],
    onPoll: (n) => n === 3 && log.add(5000, "boom"),
  });
  assert.equal(res.out, "boom\n");
  assert.equal(res.status, "failed");
  assert.ok(res.polls >= 5 && res.polls <= 7, `polls: ${res.polls}`);
});
