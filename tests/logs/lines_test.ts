import assert from "node:assert/strict";
import { LineSplitter, pumpLines } from "../../lib/logs/lines.ts";

const enc = new TextEncoder();

/** Feed chunks, then flush; return every line. */
function split(chunks: (string | Uint8Array)[], options: ConstructorParameters<typeof LineSplitter>[0] = {}) {
  const s = new LineSplitter(options);
  const out: string[] = [];
  for (const c of chunks) out.push(...s.push(typeof c === "string" ? enc.encode(c) : c));
  out.push(...s.flush());
  return out;
}

Deno.test("LineSplitter turns output into lines the reference's way", () => {
  const cases: { name: string; chunks: (string | Uint8Array)[]; want: string[]; suppress?: boolean; max?: number }[] = [
    { name: "plain lines", chunks: ["a\nb\n"], want: ["a", "b"] },
    { name: "line across chunks", chunks: ["he", "llo\nwor", "ld\n"], want: ["hello", "world"] },
    { name: "trailing partial is emitted at flush", chunks: ["a\nb"], want: ["a", "b"] },
    { name: "empty lines are kept", chunks: ["a\n\nb\n"], want: ["a", "", "b"] },
    { name: "CRLF is one line end", chunks: ["a\r\nb\r", "\nc\n"], want: ["a", "b", "c"] },
    { name: "progress bar collapses to last state", chunks: [" 10%\r 20%\r 30%\n"], want: [" 30%"] },
    { name: "progress bar across chunks", chunks: ["0%\r", "50%\r", "100%\r", "\ndone\n"], want: ["100%", "done"] },
    { name: "trailing CR keeps last non-empty segment", chunks: ["a\rb\r\r\n"], want: ["b"] },
    { name: "only CRs give an empty line", chunks: ["\r\r\n"], want: [""] },
    {
      name: "no suppression: CR ends a line",
      chunks: ["1\r2\r", "\n3\n"],
      want: ["1", "2", "3"],
      suppress: false,
    },
    { name: "no suppression: CRLF split across chunks", chunks: ["x\r", "\ny\n"], want: ["x", "y"], suppress: false },
    { name: "backspaces are stripped", chunks: ["ab\x08c\x08\n"], want: ["abc"] },
    { name: "reset-only lines are dropped", chunks: ["\x1b[0m\nkeep\x1b[0m\n\x1b[0m"], want: ["keep\x1b[0m"] },
    { name: "long lines are split", chunks: ["abcdefghij\n"], want: ["abcd", "efgh", "ij"], max: 4 },
    { name: "endless partial is not held without bound", chunks: ["abcdef", "gh"], want: ["abcd", "efgh"], max: 4 },
    {
      name: "a UTF-8 character split across reads stays whole",
      chunks: [new Uint8Array([0xc3]), new Uint8Array([0xa9, 0x0a])],
      want: ["é"],
    },
    { name: "invalid UTF-8 becomes U+FFFD", chunks: [new Uint8Array([0x61, 0xff, 0x62, 0x0a])], want: ["a\ufffdb"] },
    { name: "emoji is not cut in half", chunks: ["aaa😀b\n"], want: ["aaa", "😀b"], max: 4 },
  ];
  for (const c of cases) {
    assert.deepEqual(split(c.chunks, { suppressCarriageReturn: c.suppress, maxLineChars: c.max }), c.want, c.name);
  }
});

Deno.test("LineSplitter.takeStale() emits a partial line only once it is old enough", () => {
  let now = 1_000;
  const s = new LineSplitter({ now: () => now });
  assert.deepEqual(s.push(enc.encode("epoch 1 ")), []);
  assert.equal(s.partialSince, 1_000);
  now = 1_500;
  assert.deepEqual(s.push(enc.encode(" 10%\r 20%")), []);
  assert.deepEqual(s.takeStale(1_000), []);
  now = 2_000;
  assert.deepEqual(s.takeStale(1_000), [" 20%"]);
  assert.equal(s.partialSince, null);
  assert.deepEqual(s.push(enc.encode("\r 30%\n")), [" 30%"]);
  assert.deepEqual(s.flush(), []);
});

Deno.test("LineSplitter holds a progress bar without newline in bounded memory", () => {
  const s = new LineSplitter({ maxLineChars: 100 });
  for (let i = 0; i < 10_000; i++) assert.deepEqual(s.push(`\r${i}%|${"#".repeat(50)}|`), []);
  assert.deepEqual(s.flush(), [`9999%|${"#".repeat(50)}|`]);
});

function streamOf(chunks: string[], gapMs: number): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    async pull(controller) {
      if (i >= chunks.length) return controller.close();
      if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
      controller.enqueue(enc.encode(chunks[i++]));
    },
  });
}

Deno.test("pumpLines() emits a partial line once it is stale, before its newline arrives", async () => {
  const got: string[][] = [];
  // The stream pauses 40 ms after "b"; the partial is stale after 5 ms.
  await pumpLines(streamOf(["a\nb", "c\n", "tail"], 40), { onLines: (l) => got.push(l), partialFlushMs: 5 });
  assert.deepEqual(got, [["a"], ["b"], ["c"], ["tail"]]);
});

Deno.test("pumpLines() holds a partial line while it is fresh", async () => {
  const got: string[][] = [];
  await pumpLines(streamOf(["a\nb", "c\n", "tail"], 5), { onLines: (l) => got.push(l), partialFlushMs: 60_000 });
  assert.deepEqual(got, [["a"], ["bc"], ["tail"]]);
});

Deno.test("pumpLines() stops reading when its signal is aborted", async () => {
  const abort = new AbortController();
  const got: string[] = [];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(enc.encode("first\nhalf"));
    },
  });
  const done = pumpLines(stream, { onLines: (l) => got.push(...l), signal: abort.signal, partialFlushMs: 60_000 });
  await new Promise((r) => setTimeout(r, 10));
  abort.abort();
  await done;
  assert.deepEqual(got, ["first", "half"]);
});
