import assert from "node:assert/strict";
import { LogSpool } from "../../lib/logs/spool.ts";
import { MemoryLogQueue } from "../../lib/logs/log_queue.ts";

async function withDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const all = { maxRecords: 1_000_000, maxChars: 1_000_000_000 };
const texts = (records: { text: string }[]) => records.map((r) => r.text);

function segmentFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".jsonl")).sort();
}

Deno.test("LogSpool writes numbered JSON lines to disk before they are read", async () => {
  await withDir((dir) => {
    const spool = LogSpool.open(dir, { now: () => 42 });
    assert.equal(spool.append("hello"), 1);
    assert.equal(spool.append("world", { level: "INFO", ts: 7 }), 2);
    const [file] = segmentFiles(dir);
    const lines = Deno.readTextFileSync(`${dir}/${file}`).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines, [
      { seq: 1, ts: 42, level: "DEBUG", text: "hello" },
      { seq: 2, ts: 7, level: "INFO", text: "world" },
    ]);
    assert.deepEqual(spool.readNext(all), lines);
    assert.deepEqual(spool.readNext(all), []);
    spool.close();
  });
});

Deno.test("LogSpool resumes unacknowledged lines after a restart", async () => {
  await withDir((dir) => {
    const a = LogSpool.open(dir);
    for (const t of ["l1", "l2", "l3", "l4", "l5"]) a.append(t);
    assert.deepEqual(texts(a.readNext({ maxRecords: 3, maxChars: 1000 })), ["l1", "l2", "l3"]);
    a.ack(2);
    a.close();

    const b = LogSpool.open(dir);
    assert.equal(b.lastSeq, 5);
    assert.equal(b.ackedSeq, 2);
    assert.deepEqual(texts(b.readNext(all)), ["l3", "l4", "l5"]);
    assert.equal(b.append("l6"), 6);
    b.ack(6);
    b.close();

    const c = LogSpool.open(dir);
    assert.deepEqual(c.readNext(all), []);
    assert.equal(c.append("l7"), 7, "sequence numbers continue after everything was acknowledged");
    c.close();
  });
});

Deno.test("LogSpool cuts a torn last line (crash mid-write) when opened", async () => {
  await withDir((dir) => {
    const a = LogSpool.open(dir);
    a.append("one");
    a.append("two");
    a.close();
    const path = `${dir}/${segmentFiles(dir)[0]}`;
    Deno.writeTextFileSync(path, '{"seq":3,"ts":1,"lev', { append: true });
    const b = LogSpool.open(dir);
    assert.equal(b.lastSeq, 2);
    assert.equal(b.append("three"), 3);
    assert.deepEqual(texts(b.readNext(all)), ["one", "two", "three"]);
    b.close();
    assert.equal(Deno.readTextFileSync(path).split("\n").filter(Boolean).length, 3);
  });
});

Deno.test("LogSpool rotates segments and deletes the fully acknowledged ones", async () => {
  await withDir((dir) => {
    const spool = LogSpool.open(dir, { segmentBytes: 200 });
    for (let i = 1; i <= 20; i++) spool.append(`line ${i}`);
    const before = segmentFiles(dir);
    assert.ok(before.length >= 5, `expected several segments, got ${before}`);
    const read = spool.readNext({ maxRecords: 12, maxChars: 10_000 });
    assert.deepEqual(read.map((r) => r.seq), Array.from({ length: 12 }, (_, i) => i + 1));
    spool.ack(12);
    const after = segmentFiles(dir);
    assert.ok(after.length < before.length);
    assert.ok(Number(after[0].slice(0, 16)) <= 13, "the segment holding line 13 is kept");
    assert.deepEqual(texts(spool.readNext(all)), Array.from({ length: 8 }, (_, i) => `line ${i + 13}`));
    spool.ack(20);
    assert.deepEqual(segmentFiles(dir), []);
    assert.equal(spool.bytes, 0);
    spool.close();
  });
});

Deno.test("LogSpool drops lines only at its cap and puts one marker with the count in their place", async () => {
  await withDir((dir) => {
    const spool = LogSpool.open(dir, { maxBytes: 4096, segmentBytes: 512 });
    let written = 0;
    for (let i = 0; i < 100; i++) if (spool.append(`x${i}`.padEnd(60, ".")) !== null) written++;
    assert.ok(written > 10 && written < 100);
    assert.equal(spool.droppedLines, 100 - written);
    const first = spool.readNext(all);
    assert.equal(first.length, written, "no marker while the spool is still full");
    spool.ack(first[first.length - 1].seq);
    assert.equal(spool.append("after"), written + 2);
    const rest = spool.readNext(all);
    assert.deepEqual(rest.map((r) => r.level), ["WARNING", "DEBUG"]);
    assert.equal(
      rest[0].text,
      `[clearml-agent] ${100 - written} log lines dropped: log spool "${dir}" reached its cap of 4096 bytes`,
    );
    assert.equal(rest[1].text, "after");
    spool.close();
  });
});

Deno.test("LogSpool.close() writes a pending dropped-lines marker into its reserve", async () => {
  await withDir((dir) => {
    const spool = LogSpool.open(dir, { maxBytes: 2048 });
    for (let i = 0; i < 100; i++) spool.append("y".repeat(50));
    const dropped = spool.droppedLines;
    assert.ok(dropped > 0);
    spool.close();
    const reopened = LogSpool.open(dir);
    const records = reopened.readNext(all);
    assert.match(records[records.length - 1].text, new RegExp(`^\\[clearml-agent\\] ${dropped} log lines dropped`));
    reopened.close();
  });
});

Deno.test("LogSpool reads a record larger than its read window whole", async () => {
  await withDir((dir) => {
    const spool = LogSpool.open(dir);
    const big = "é".repeat(200_000);
    spool.append("a");
    spool.append(big);
    spool.append("b");
    assert.deepEqual(texts(spool.readNext({ maxRecords: 10, maxChars: 10 })), ["a"]);
    assert.deepEqual(texts(spool.readNext({ maxRecords: 10, maxChars: 10 })), [big]);
    assert.deepEqual(texts(spool.readNext({ maxRecords: 10, maxChars: 10 })), ["b"]);
    spool.close();
  });
});

Deno.test("MemoryLogQueue reads, acknowledges and marks dropped lines like the spool", () => {
  const q = new MemoryLogQueue({ maxChars: 10, now: () => 5 });
  assert.equal(q.append("12345"), 1);
  assert.equal(q.append("67890"), 2);
  assert.equal(q.append("x"), null);
  assert.deepEqual(texts(q.readNext(all)), ["12345", "67890"]);
  q.ack(2);
  assert.equal(q.append("y"), 4);
  assert.deepEqual(q.readNext(all).map((r) => [r.seq, r.level, r.text]), [
    [3, "WARNING", "[clearml-agent] 1 log line dropped: log queue full"],
    [4, "DEBUG", "y"],
  ]);
});

Deno.test("LogSpool.appendMany writes a batch at once; reads of fresh lines match the disk, across segments and a lagging reader", async () => {
  await withDir((dir) => {
    const spool = LogSpool.open(dir, { segmentBytes: 300, now: () => 1 });
    const batch = Array.from({ length: 30 }, (_, i) => `line ${i} é`);
    assert.equal(spool.appendMany(batch), 30);
    assert.ok(segmentFiles(dir).length > 3, "rotated into several segments");
    // Everything is on disk before it is read.
    const onDisk = segmentFiles(dir).flatMap((f) =>
      Deno.readTextFileSync(`${dir}/${f}`).trimEnd().split("\n").map((l) => JSON.parse(l).text)
    );
    assert.deepEqual(onDisk, batch);
    assert.deepEqual(texts(spool.readNext({ maxRecords: 7, maxChars: 1e9 })), batch.slice(0, 7));
    assert.deepEqual(texts(spool.readNext({ maxRecords: 100, maxChars: 30 })), batch.slice(7, 10));
    // A line too big to keep in memory: the reader goes back to the disk, then catches up again.
    const big = "x".repeat(9 * 1024 * 1024);
    spool.appendMany(["after", big, "tail"]);
    assert.deepEqual(texts(spool.readNext(all)), [...batch.slice(10), "after", big, "tail"]);
    spool.append("fresh");
    assert.deepEqual(texts(spool.readNext(all)), ["fresh"]);
    spool.ack(spool.readSeq);
    spool.append("unread");
    spool.close();
    // A new process finds exactly the unacknowledged line.
    const again = LogSpool.open(dir);
    assert.deepEqual(texts(again.readNext(all)), ["unread"]);
    again.close();
  });
});
