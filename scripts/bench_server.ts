/**
 * Benchmark of the embedded server, run against a real `clearml-agent server` child process:
 *
 * - idle RSS of the server process (from /proc/<pid>/status) after start-up and after the load;
 * - `queues.get_next_task` calls per second with a pre-filled queue and concurrent pollers;
 * - `events.add_batch` log lines per second (json-lines batches).
 *
 * Usage: `npx deno run -A scripts/bench_server.ts [--tasks 5000] [--pollers 8] [--batches 100] [--lines 1000]`
 * Targets (issue): ≥ 1 000 get_next_task/s on 2 cores, ≥ 50 000 log lines/s, idle RSS ≤ 60 MB.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ApiClient, spawnServerProcess } from "../tests/helpers/server.ts";

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "5000" },
    pollers: { type: "string", default: "8" },
    batches: { type: "string", default: "100" },
    lines: { type: "string", default: "1000" },
  },
});
const TASKS = Number(values.tasks);
const POLLERS = Number(values.pollers);
const BATCHES = Number(values.batches);
const LINES = Number(values.lines);

function rssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function parallel(n: number, work: (worker: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => work(i)));
}

const dataDir = await Deno.makeTempDir({ prefix: "clearml-bench-" });
const proc = await spawnServerProcess(dataDir);
try {
  await new Promise((r) => setTimeout(r, 2000));
  const idleRss = rssMb(proc.pid);
  const client = new ApiClient(proc.url);
  await client.login();
  const { id: queue } = await client.ok("queues.create", { name: "bench" });

  // Fill the queue: create + enqueue TASKS tasks with 8 concurrent clients.
  let t0 = performance.now();
  let next = 0;
  await parallel(8, async () => {
    while (next < TASKS) {
      const i = next++;
      const { id } = await client.ok("tasks.create", { name: `bench task ${i}`, type: "training" });
      await client.ok("tasks.enqueue", { task: id, queue });
    }
  });
  const fillSec = (performance.now() - t0) / 1000;

  // Pop everything with POLLERS concurrent pollers.
  const seen = new Set<string>();
  let pops = 0;
  t0 = performance.now();
  await parallel(POLLERS, async () => {
    while (true) {
      const data = await client.ok("queues.get_next_task", { queue }, { version: "2.14" });
      pops++;
      if (!data.entry) return;
      if (seen.has(data.entry.task)) throw new Error(`Task ${data.entry.task} popped twice`);
      seen.add(data.entry.task);
    }
  });
  const popSec = (performance.now() - t0) / 1000;
  if (seen.size !== TASKS) throw new Error(`Popped ${seen.size} of ${TASKS} tasks`);

  // Log lines: BATCHES batches of LINES lines, 2 concurrent uploaders.
  const { id: task } = await client.ok("tasks.create", { name: "log sink", type: "training" });
  const base = Date.now();
  const body = (b: number) =>
    Array.from({ length: LINES }, (_, i) =>
      JSON.stringify({
        type: "log",
        task,
        timestamp: base + b * LINES + i,
        level: "INFO",
        worker: "bench:cpu",
        msg: `line ${b}:${i} some typical console output of a training script, epoch=3 loss=0.1234`,
      })).join("\n");
  const payloads = Array.from({ length: BATCHES }, (_, b) => body(b));
  let nextBatch = 0;
  t0 = performance.now();
  await parallel(2, async () => {
    while (nextBatch < BATCHES) {
      const r = await client.raw("events.add_batch", payloads[nextBatch++], { contentType: "application/json-lines" });
      if (r.status !== 200 || r.data.added !== LINES) throw new Error(`add_batch failed: ${r.meta.result_msg}`);
    }
  });
  const logSec = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2000));
  const afterRss = rssMb(proc.pid);

  console.log(`cores: ${navigator.hardwareConcurrency} (server and load generator share them)`);
  console.log(`idle RSS after start:       ${idleRss.toFixed(1)} MB`);
  console.log(
    `fill (create+enqueue):      ${TASKS} tasks in ${fillSec.toFixed(2)} s (${
      (2 * TASKS / fillSec).toFixed(0)
    } calls/s)`,
  );
  console.log(
    `queues.get_next_task:       ${pops} calls in ${popSec.toFixed(2)} s = ${
      (pops / popSec).toFixed(0)
    }/s (${POLLERS} pollers)`,
  );
  console.log(
    `events.add_batch:           ${BATCHES * LINES} lines in ${logSec.toFixed(2)} s = ${
      (BATCHES * LINES / logSec).toFixed(0)
    } lines/s`,
  );
  console.log(`RSS after load (idle 2 s):  ${afterRss.toFixed(1)} MB`);
} finally {
  await proc.stop();
  await Deno.remove(dataDir, { recursive: true });
}
