/**
 * Throughput and latency figures of the leaf infrastructure (run: `npx deno run -A scripts/bench_infra.ts`):
 * - line splitting of task output (MB/s);
 * - log spool appends (lines/s, on disk);
 * - end to end: 100 000 lines written → all acknowledged by an in-memory upload (lines/s);
 * - abort-to-dead: `terminate()` of a tree that exits on SIGTERM, and of one that ignores it (grace 200 ms);
 * - one `sampleMachine()` of the Linux probe.
 *
 * @module
 */

import { LineSplitter } from "../lib/logs/lines.ts";
import { LogSpool } from "../lib/logs/spool.ts";
import { LogStreamer } from "../lib/logs/streamer.ts";
import { spawnChild } from "../lib/process/child.ts";
import { ResourceMonitor } from "../lib/stats/resource_monitor.ts";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeIt(runs: number, fn: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

const line = "epoch 3 step 1200 loss=0.12345 acc=0.9876 lr=0.0001 " + "x".repeat(40) + "\n";
const chunk = new TextEncoder().encode(line.repeat(1000) + " 10%\r 20%\r 30%\n".repeat(100));
const splitMs = await timeIt(5, () => {
  const s = new LineSplitter();
  for (let i = 0; i < 100; i++) s.push(chunk);
  s.flush();
});
console.log(`line splitting: ${((chunk.length * 100) / 1e6 / (splitMs / 1000)).toFixed(0)} MB/s`);

const dir = await Deno.makeTempDir({ prefix: "bench-infra-" });
try {
  const n = 100_000;
  const appendMs = await timeIt(3, () => {
    const spool = LogSpool.open(`${dir}/append-${crypto.randomUUID()}`);
    for (let i = 0; i < n; i++) spool.append(`line ${i} ${line}`);
    spool.close();
  });
  console.log(`spool append: ${Math.round(n / (appendMs / 1000))} lines/s`);

  const e2eMs = await timeIt(3, async () => {
    const spool = LogSpool.open(`${dir}/e2e-${crypto.randomUUID()}`);
    let got = 0;
    const streamer = new LogStreamer({
      task: "t",
      worker: "w",
      queue: spool,
      upload: (events) => {
        got += events.length;
        return Promise.resolve();
      },
    });
    for (let i = 0; i < n; i++) streamer.write(`line ${i} ${line}`);
    if (!(await streamer.close({ timeoutMs: 60_000 }))) throw new Error("not delivered");
    spool.close();
    if (got === 0) throw new Error("nothing sent");
  });
  console.log(`streamer write → acknowledged: ${Math.round(n / (e2eMs / 1000))} lines/s`);
} finally {
  await Deno.remove(dir, { recursive: true });
}

/** Median time of `terminate()` alone (the tree is started and settled outside the timing). */
async function terminateMs(script: string, graceMs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const child = spawnChild({ cmd: "sh", args: ["-c", script], output: "null" });
    await new Promise((r) => setTimeout(r, 30));
    const t = performance.now();
    await child.terminate({ graceMs });
    times.push(performance.now() - t);
  }
  return median(times);
}
console.log(`terminate(), tree exits on SIGTERM: ${(await terminateMs("sleep 100 & wait", 5_000)).toFixed(0)} ms`);
const stubborn = await terminateMs("trap '' TERM; sleep 100 & wait", 200);
console.log(`terminate(), tree ignores SIGTERM, grace 200 ms: ${stubborn.toFixed(0)} ms`);

const monitor = new ResourceMonitor();
const sampleMs = await timeIt(20, () => monitor.sampleMachine());
console.log(`sampleMachine(): ${sampleMs.toFixed(2)} ms`);
