/**
 * Memory soak of `clearml-agent daemon` (a measurement, not a test): one daemon on one queue of an embedded server
 * process, for `--minutes N` (default 10) idle, or running `--tasks N` short tasks one after the other. Every
 * `--sample-s` seconds (default 30; every 10 tasks with `--tasks`) it reads the daemon's `/proc/<pid>/status` and
 * prints VmRSS, RssAnon (private) and RssFile (mapped executable pages); at the end it prints the first and last
 * sample and the least-squares slope of each (MiB/hour idle, MiB per 1 000 tasks with `--tasks`), fitted over the
 * whole run and over its second half (start-up warm-up excluded). With `--tasks`, it then waits until the daemon's
 * collection after the last task has run (`AFTER_TASK_MS`, plus 10 s) and prints what memory stays.
 *
 * With `--heap`, the daemon runs with `--debug` and its own heap figures (`agent memory: rss …, heap used/total`,
 * printed at each status report) are fitted too: a growing heap is a JavaScript leak, a flat heap under a growing
 * RssAnon is native memory.
 *
 * Run: `npx deno run -A scripts/bench_soak.ts --minutes 60` (settings: the defaults of `clearml.conf`, long poll on;
 * `--no-long-poll` starts the server with `--no-long-poll`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { spawnDaemon, startDaemonEnv } from "../tests/helpers/daemon_env.ts";
import { spawnServerProcess } from "../tests/helpers/server.ts";
import { AFTER_TASK_MS } from "../lib/process/idle_gc.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    tasks: { type: "string" },
    "sample-s": { type: "string", default: "30" },
    heap: { type: "boolean", default: false },
    "no-long-poll": { type: "boolean", default: false },
  },
});
const minutes = Number(values.minutes);
const taskCount = values.tasks === undefined ? 0 : Number(values.tasks);
const sampleMs = Number(values["sample-s"]) * 1000;
if (!(minutes > 0) || !(sampleMs > 0) || !(taskCount >= 0)) {
  throw new Error(`Bad arguments: --minutes "${values.minutes}", --sample-s "${values["sample-s"]}"`);
}

/** One reading of `/proc/<pid>/status` (MiB). */
export interface MemSample {
  x: number;
  vmRss: number;
  rssAnon: number;
  rssFile: number;
}

function readMem(pid: number, x: number): MemSample {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN) / 1024;
  return { x, vmRss: kb("VmRSS"), rssAnon: kb("RssAnon"), rssFile: kb("RssFile") };
}

/** Least-squares slope of y over x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

const f1 = (v: number) => v.toFixed(1);

function report(label: string, samples: readonly MemSample[], unit: string, scale: number): void {
  const first = samples[0];
  const last = samples[samples.length - 1];
  const half = samples.slice(Math.floor(samples.length / 2));
  console.log(`${label}: ${samples.length} samples`);
  for (const key of ["vmRss", "rssAnon", "rssFile"] as const) {
    const all = slope(samples.map((s) => ({ x: s.x, y: s[key] }))) * scale;
    const late = slope(half.map((s) => ({ x: s.x, y: s[key] }))) * scale;
    const name = { vmRss: "VmRSS", rssAnon: "RssAnon", rssFile: "RssFile" }[key];
    console.log(
      `  ${name.padEnd(8)} start ${f1(first[key])} MiB, end ${f1(last[key])} MiB; slope ${f1(all)} ${unit} ` +
        `(second half ${f1(late)} ${unit})`,
    );
  }
}

const dataDir = await Deno.makeTempDir({ prefix: "bench_soak_server_" });
const server = await spawnServerProcess(dataDir, { args: values["no-long-poll"] ? ["--no-long-poll"] : [] });
// The defaults of clearml.conf (the test environment's own are faster).
const env = await startDaemonEnv({ url: server.url, agent: { status_report_s: 30, queue_long_poll_s: 5 } });
try {
  const q = await env.queue("soak");
  const d = values.heap
    ? spawnDaemon(["--debug", "daemon", "--queue", "soak", "--foreground"], env.env)
    : env.daemon(["--queue", "soak", "--foreground"]);
  await d.waitFor(/Listening to queues/);
  const samples: MemSample[] = [];
  const t0 = performance.now();
  if (taskCount > 0) {
    samples.push(readMem(d.pid, 0));
    for (let i = 1; i <= taskCount; i++) {
      const id = await env.createTask(`print("soak ${i}")`);
      await env.enqueue(id, q);
      await env.waitTask(id, (t) => t.status === "completed" || t.status === "failed", 120_000);
      if (i % 10 === 0) samples.push(readMem(d.pid, i));
      if (i % 100 === 0) console.log(`${i} tasks, VmRSS ${f1(samples[samples.length - 1].vmRss)} MiB`);
    }
    report(`${taskCount} short tasks`, samples, "MiB/1000 tasks", 1000);
    // What stays once the daemon is idle again: its collection after a task comes AFTER_TASK_MS after the last.
    await new Promise((r) => setTimeout(r, AFTER_TASK_MS + 10_000));
    const settled = readMem(d.pid, taskCount);
    const first = samples[0];
    console.log(
      `  ${(AFTER_TASK_MS + 10_000) / 1000} s after the last task: VmRSS ${f1(settled.vmRss)} MiB, RssAnon ` +
        `${f1(settled.rssAnon)} MiB, RssFile ${f1(settled.rssFile)} MiB (at the first task: ${f1(first.vmRss)}, ` +
        `${f1(first.rssAnon)}, ${f1(first.rssFile)})`,
    );
  } else {
    const end = t0 + minutes * 60_000;
    for (;;) {
      const hours = (performance.now() - t0) / 3_600_000;
      samples.push(readMem(d.pid, hours));
      if (performance.now() >= end) break;
      await new Promise((r) => setTimeout(r, Math.min(sampleMs, Math.max(0, end - performance.now()))));
    }
    report(`idle daemon, ${minutes} min`, samples, "MiB/hour", 1);
  }
  if (values.heap) {
    const heap = [...d.output().matchAll(/agent memory: rss ([\d.]+) MiB, heap ([\d.]+)\/([\d.]+) MiB/g)]
      .map((m, i) => ({ x: i, y: Number(m[2]) }));
    const perHour = 3_600_000 / 30_000;
    console.log(
      `  heapUsed first ${f1(heap[0]?.y ?? NaN)} MiB, last ${f1(heap[heap.length - 1]?.y ?? NaN)} MiB; slope ${
        f1(slope(heap) * perHour)
      } MiB/hour (from ${heap.length} status reports)`,
    );
  }
  await d.stop();
} finally {
  await env.close();
  await server.stop();
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
}
