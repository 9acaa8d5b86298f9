import assert from "node:assert/strict";
import { spawnChild } from "../../lib/process/child.ts";
import { pumpLines } from "../../lib/logs/lines.ts";
import { LogSpool } from "../../lib/logs/spool.ts";
import { LogStreamer } from "../../lib/logs/streamer.ts";
import type { LogEvent } from "../../lib/wire/log_event.ts";

Deno.test("a child's output reaches the upload callback line by line, progress bars collapsed, in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spool = LogSpool.open(dir);
    const sent: LogEvent[] = [];
    let failures = 3;
    const streamer = new LogStreamer({
      task: "T",
      worker: "W",
      queue: spool,
      maxLatencyMs: 10,
      retry: { initialMs: 1, maxMs: 5 },
      upload: (events) => {
        if (failures-- > 0) return Promise.reject(new Error("server returned 502"));
        sent.push(...events);
        return Promise.resolve();
      },
    });
    // 2000 numbered lines on stdout and stderr alternately, with a progress bar in the middle.
    const script = `
      i=0
      while [ $i -lt 1000 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done
      printf ' 10%%\\r 50%%\\r100%%\\n'
      echo done`;
    const child = spawnChild({ cmd: "sh", args: ["-c", script] });
    await pumpLines(child.output!, { onLines: (lines) => streamer.writeLines(lines) });
    assert.equal((await child.status).code, 0);
    assert.equal(await streamer.close({ timeoutMs: 10_000 }), true);
    spool.close();

    const lines = sent.flatMap((e) => e.msg.slice(0, -1).split("\n"));
    const want: string[] = [];
    for (let i = 0; i < 1000; i++) want.push(`out ${i}`, `err ${i}`);
    want.push("100%", "done");
    assert.deepEqual(lines, want);
    assert.equal(streamer.failedBatches, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
