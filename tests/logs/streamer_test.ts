import assert from "node:assert/strict";
import { LogStreamer, type LogStreamerOptions } from "../../lib/logs/streamer.ts";
import { LogSpool } from "../../lib/logs/spool.ts";
import { MemoryLogQueue } from "../../lib/logs/log_queue.ts";
import type { LogEvent } from "../../lib/wire/log_event.ts";
import { clearSecrets, registerSecret } from "../../lib/secrets/redact.ts";
import { drive, VirtualClock } from "./_virtual_clock.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The lines carried by events, in order. */
function linesOf(events: LogEvent[]): string[] {
  return events.flatMap((e) => e.msg.slice(0, -1).split("\n"));
}

function streamer(clock: VirtualClock, options: Partial<LogStreamerOptions> & Pick<LogStreamerOptions, "queue">) {
  return new LogStreamer({
    task: "t1",
    worker: "w1",
    upload: () => Promise.resolve(),
    clock,
    random: () => 0.5,
    ...options,
  });
}

Deno.test("LogStreamer delivers 10 000 lines in order exactly once through a server outage", async () => {
  await withDir(async (dir) => {
    const clock = new VirtualClock();
    const spool = LogSpool.open(`${dir}/spool`, { segmentBytes: 64 * 1024 });
    const outageEnd = clock.now() + 120_000;
    const received: LogEvent[] = [];
    const delays: number[] = [];
    let calls = 0;
    let successes = 0;
    const s = streamer(clock, {
      queue: spool,
      upload: (events) => {
        calls++;
        if (clock.now() < outageEnd) return Promise.reject(new Error("server returned 503"));
        received.push(...structuredClone(events));
        successes++;
        return Promise.resolve();
      },
      onError: (_err, info) => delays.push(info.delayMs),
    });
    const lines = Array.from({ length: 10_000 }, (_, i) => `line ${i} ${"x".repeat(i % 97)}`);
    for (let burst = 0; burst < 10; burst++) {
      s.writeLines(lines.slice(burst * 1000, (burst + 1) * 1000));
      if (clock.now() < outageEnd) assert.equal(s.pending, (burst + 1) * 1000, "lines wait while the server is down");
      await drive(clock, clock.sleep(20_000, new AbortController().signal));
    }
    assert.ok(clock.now() > outageEnd && s.pending < 10_000);
    assert.equal(await drive(clock, s.flush({ timeoutMs: 3_600_000 })), true);

    assert.deepEqual(linesOf(received), lines);
    assert.equal(s.pending, 0);
    assert.equal(s.sentLines, 10_000);
    assert.ok(s.failedBatches > 0 && s.failedBatches === calls - successes, `${s.failedBatches} ${calls}`);
    for (const e of received) {
      assert.ok(e.msg.length <= 65536);
      assert.deepEqual([e.type, e.level, e.task, e.worker], ["log", "DEBUG", "t1", "w1"]);
    }
    for (let i = 1; i < received.length; i++) assert.ok(received[i].timestamp > received[i - 1].timestamp);
    // Backoff: 250 ms doubling, capped at 30 s, times (1 - 0.5 jitter × 0.5 random).
    assert.deepEqual(delays.slice(0, 9), [188, 375, 750, 1500, 3000, 6000, 12000, 22500, 22500]);
    assert.equal(await drive(clock, s.close()), true);
    spool.close();
  });
});

Deno.test("LogStreamer sends a lone line once it is 250 ms old, in one event", async () => {
  const clock = new VirtualClock();
  const start = clock.now();
  const uploads: { at: number; events: LogEvent[] }[] = [];
  const s = streamer(clock, {
    queue: new MemoryLogQueue(),
    upload: (events) => (uploads.push({ at: clock.now(), events }), Promise.resolve()),
  });
  s.write("first");
  s.write("second");
  await drive(clock, clock.sleep(1_000, new AbortController().signal));
  assert.equal(uploads.length, 1);
  assert.equal(uploads[0].at, start + 250);
  assert.deepEqual(uploads[0].events.map((e) => [e.msg, e.timestamp]), [["first\nsecond\n", start]]);
  assert.equal(await drive(clock, s.close()), true);
});

Deno.test("LogStreamer sends at once when 64 Ki characters wait", async () => {
  const clock = new VirtualClock();
  const start = clock.now();
  const uploads: number[] = [];
  const s = streamer(clock, {
    queue: new MemoryLogQueue(),
    upload: () => (uploads.push(clock.now()), Promise.resolve()),
  });
  for (let i = 0; i < 70; i++) s.write("y".repeat(1000));
  await drive(clock, clock.sleep(1, new AbortController().signal));
  assert.deepEqual(uploads, [start]);
  assert.equal(await drive(clock, s.close()), true);
});

Deno.test("LogStreamer resumes, after a restart, exactly the lines the previous process did not deliver", async () => {
  await withDir(async (dir) => {
    const clock = new VirtualClock();
    let down = false;
    const first: LogEvent[] = [];
    const spoolA = LogSpool.open(dir);
    const a = streamer(clock, {
      queue: spoolA,
      upload: (events) =>
        down ? Promise.reject(new Error("connection refused")) : (first.push(...events), Promise.resolve()),
    });
    a.writeLines(["a1", "a2", "a3"]);
    assert.equal(await drive(clock, a.flush()), true);
    down = true;
    a.writeLines(["b1", "b2"]);
    a.write("b3", "INFO");
    assert.equal(await drive(clock, a.close({ timeoutMs: 5_000 })), false);
    assert.equal(a.pending, 3);
    spoolA.close();

    const second: LogEvent[] = [];
    const spoolB = LogSpool.open(dir);
    const b = streamer(clock, { queue: spoolB, upload: (events) => (second.push(...events), Promise.resolve()) });
    assert.equal(b.pending, 3);
    assert.equal(await drive(clock, b.flush()), true);
    assert.deepEqual(linesOf(first), ["a1", "a2", "a3"]);
    assert.deepEqual(second.map((e) => [e.level, e.msg]), [["DEBUG", "b1\nb2\n"], ["INFO", "b3\n"]]);
    assert.equal(await drive(clock, b.close()), true);
    spoolB.close();
  });
});

Deno.test("LogStreamer masks registered secrets before lines reach the spool", async () => {
  await withDir(async (dir) => {
    registerSecret("hunter2-secret");
    try {
      const clock = new VirtualClock();
      const sent: LogEvent[] = [];
      const spool = LogSpool.open(dir);
      const s = streamer(clock, { queue: spool, upload: (e) => (sent.push(...e), Promise.resolve()) });
      s.write("password=hunter2-secret ok");
      assert.equal(await drive(clock, s.close()), true);
      spool.close();
      assert.equal(sent[0].msg, "password=******** ok\n");
      for (const entry of Deno.readDirSync(dir)) {
        assert.ok(!Deno.readTextFileSync(`${dir}/${entry.name}`).includes("hunter2"), entry.name);
      }
    } finally {
      clearSecrets();
    }
  });
});

Deno.test("LogStreamer.close() gives up at its deadline and aborts a hanging upload", async () => {
  const clock = new VirtualClock();
  let aborted = false;
  const s = streamer(clock, {
    queue: new MemoryLogQueue(),
    upload: (_events, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(new Error("aborted"));
        });
      }),
  });
  s.write("stuck");
  assert.equal(await drive(clock, s.close({ timeoutMs: 2_000 })), false);
  assert.equal(aborted, true);
  assert.equal(s.pending, 1);
  assert.throws(() => s.write("late"), /Cannot write to the log of task "t1": streamer closed/);
});

Deno.test("LogStreamer on the real clock retries a failing upload and delivers every line once", async () => {
  let failuresLeft = 5;
  const sent: LogEvent[] = [];
  const s = new LogStreamer({
    task: "t",
    worker: "w",
    queue: new MemoryLogQueue(),
    maxLatencyMs: 5,
    retry: { initialMs: 1, maxMs: 4 },
    upload: (events) => {
      if (failuresLeft-- > 0) return Promise.reject(new Error("503"));
      sent.push(...events);
      return Promise.resolve();
    },
  });
  const lines = Array.from({ length: 500 }, (_, i) => `real ${i}`);
  s.writeLines(lines);
  assert.equal(await s.flush({ timeoutMs: 10_000 }), true);
  assert.deepEqual(linesOf(sent), lines);
  assert.equal(s.failedBatches, 5);
  assert.equal(await s.close(), true);
});
