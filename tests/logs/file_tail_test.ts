/** `tailFile` against a real writer process: every byte arrives, in order, in large chunks, and the stream ends. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createOutputFile, tailFile } from "../../lib/logs/file_tail.ts";
import { pumpLines } from "../../lib/logs/lines.ts";
import { spawnChild } from "../../lib/process/child.ts";

Deno.test("tailFile() delivers all output of a child writing to its file, up to the end after the child exits", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "out.log");
    await createOutputFile(path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const child = spawnChild({
      cmd: "python3",
      args: ["-u", "-c", "import sys\nfor i in range(100000): print('line %d' % i)\nprint('err', file=sys.stderr)"],
      output: { file: path },
    });
    const chunks: number[] = [];
    const lines: string[] = [];
    const stream = tailFile(path, { done: child.status }).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          chunks.push(chunk.length);
          controller.enqueue(chunk);
        },
      }),
    );
    await pumpLines(stream, { onLines: (l) => lines.push(...l) });
    assert.equal((await child.status).code, 0);
    assert.equal(lines.length, 100_001);
    assert.equal(lines[0], "line 0");
    assert.equal(lines[99_999], "line 99999");
    assert.equal(lines[100_000], "err");
    const total = chunks.reduce((a, b) => a + b, 0);
    assert.ok(chunks.length < total / 1_000, `large reads: ${chunks.length} chunks for ${total} bytes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Run `fn` with a fresh output file and a `done` it resolves with `finish`; the folder goes afterwards. */
async function withOutputFile<T>(
  fn: (path: string, done: Promise<void>, finish: () => void) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "out.log");
    await createOutputFile(path);
    let finish = () => {};
    const done = new Promise<void>((r) => (finish = r));
    return await fn(path, done, finish);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("tailFile() waits for data while the writer is quiet, and cancelling stops it", async () => {
  await withOutputFile(async (path, done, finish) => {
    const reader = tailFile(path, { done }).getReader();
    const first = reader.read();
    await new Promise((r) => setTimeout(r, 50));
    await Deno.writeTextFile(path, "late\n", { append: true });
    assert.equal(new TextDecoder().decode((await first).value), "late\n");
    finish();
    assert.equal((await reader.read()).done, true);

    const cancelled = tailFile(path, { done: new Promise(() => {}) }).getReader();
    await cancelled.read(); // "late\n"
    const pending = cancelled.read();
    await cancelled.cancel();
    assert.equal((await pending).done, true);
  });
});

/** Append `kib` KiB to `path` every `everyMs` ms for `forMs` ms; `writing` is true until the last append. */
function burst(path: string, kib: number, everyMs: number, forMs: number) {
  const state = { writing: true, bytes: 0, done: Promise.resolve() };
  const block = new TextEncoder().encode(("x".repeat(127) + "\n").repeat(kib * 8));
  state.done = (async () => {
    const end = performance.now() + forMs;
    while (performance.now() < end) {
      await Deno.writeFile(path, block, { append: true });
      state.bytes += block.length;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    state.writing = false;
  })();
  return state;
}

/**
 * Tail a file while `burst(kib, everyMs, forMs)` writes it: whether the writer was still writing when the first
 * chunk arrived, and whether every byte arrived in the end.
 */
async function tailBurst(
  options: { burstCheckMs: number; burstMaxMs: number },
  kib: number,
  everyMs: number,
  forMs: number,
): Promise<{ writingAtFirstChunk: boolean; read: number; written: number }> {
  return await withOutputFile(async (path, done, finish) => {
    const reader = tailFile(path, { done, ...options }).getReader();
    const writer = burst(path, kib, everyMs, forMs);
    const first = await reader.read();
    const writingAtFirstChunk = writer.writing;
    await writer.done;
    finish();
    let read = first.value!.length;
    for (let r = await reader.read(); !r.done; r = await reader.read()) read += r.value.length;
    return { writingAtFirstChunk, read, written: writer.bytes };
  });
}

Deno.test("tailFile() leaves a burst of output alone while it grows, then reads all of it", async () => {
  const r = await tailBurst({ burstCheckMs: 100, burstMaxMs: 60_000 }, 96, 5, 600);
  assert.equal(r.writingAtFirstChunk, false, "nothing was read while the burst grew");
  assert.equal(r.read, r.written, "every byte arrives");
});

Deno.test("tailFile() reads a burst that goes on longer than burstMaxMs", async () => {
  const r = await tailBurst({ burstCheckMs: 20, burstMaxMs: 200 }, 64, 5, 3_000);
  assert.equal(r.writingAtFirstChunk, true, "the first lines of a long burst arrive while it goes on");
  assert.equal(r.read, r.written, "every byte arrives");
});
