/**
 * Our daemon against the reference Python `clearml-agent` 3.0.3 (PyPI, the cached venv of the compatibility tests),
 * measured side by side (a measurement, not a test): both daemons on one embedded server, each on its own queue,
 * runs alternating (ours, then the reference), the same tasks. Printed as one table: min / median / max of each,
 * and the ratio of the medians (ours ÷ reference).
 *
 * Phases:
 * 1. server with our long poll, pip, venv cache on: warm pick-up (enqueue → the task's first statement, by the
 *    task's own clock), abort → process tree gone (`tasks.stop` → the task and a grandchild gone; both end on
 *    SIGTERM, so the figure is detection and stop, not `agent.abort_grace_s`), print loop (the
 *    task's own time for 100 000 `print`s) and 100 000-line delivery (loop start → last line readable on the
 *    server), then both idle for `--idle-s`: VmRSS, RssAnon, CPU, requests/min (counted by a proxy per daemon);
 * 2. the same server started with `--no-long-poll` (a real ClearML server's behaviour): warm pick-up, enqueued
 *    more than 10 s after the previous task (past our post-task burst), and idle requests/min;
 * 3. cold environment (no venv cache, one requirement from a local index): pip, and uv (the reference with
 *    `agent.package_manager.uv_replace_pip: true`): enqueue → completed;
 * 4. warm docker task, ours only (defaults — `agent.docker_install_opencv_libs` true — plus `--network=host` in
 *    `agent.extra_docker_arguments` so that containers reach the server on 127.0.0.1; the reference would install
 *    itself from PyPI in every container): enqueue → the task's first statement, after one cold run.
 *
 * Settings are the defaults (`agent.status_report_s` 30, `agent.queue_long_poll_s` 5, `--polling-interval` 5).
 * Run: `npx deno run -A scripts/bench_vs_reference.ts [--runs 5] [--idle-s 120] [--no-docker]
 * [--phases longpoll,plain,cold,docker]`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { spawnServerProcess } from "../tests/helpers/server.ts";
import { makeTinyIndex, serveFolder } from "../tests/helpers/execute_env.ts";
import { compatVenv } from "../tests/compat/_venv.ts";
import { TEST_IMAGE } from "../tests/executors/docker/_engine_env.ts";
import {
  benchClient,
  type BenchDaemon,
  benchEnv,
  type BenchWorld,
  type PhaseConfig,
  procStats,
  startBenchDaemon,
  type Who,
} from "./_bench_agents.ts";
import type { ApiClient } from "../lib/api/client.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    "idle-s": { type: "string", default: "120" },
    "no-docker": { type: "boolean", default: false },
    phases: { type: "string", default: "longpoll,plain,cold,docker" },
  },
});
const PHASES = new Set(values.phases.split(","));
const RUNS = Number(values.runs);
const IDLE_S = Number(values["idle-s"]);

type Row = { item: string; unit: string; ours: number[]; reference: number[] };
const rows: Row[] = [];
function record(item: string, unit: string, who: Who, value: number): void {
  let row = rows.find((r) => r.item === item);
  if (!row) rows.push(row = { item, unit, ours: [], reference: [] });
  row[who].push(value);
  console.log(`  ${item} [${who}]: ${value.toFixed(3)} ${unit}`);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINAL = ["completed", "failed", "stopped", "published"];

async function createTask(client: ApiClient, script: string, requirements = ""): Promise<string> {
  const { id } = await client.call<{ id: string }>("tasks.create", {
    name: "bench vs reference",
    type: "training",
    script: {
      entry_point: "run.py",
      working_dir: ".",
      diff: script,
      binary: "python3",
      requirements: { pip: requirements },
    },
  });
  return id;
}

async function waitStatus(client: ApiClient, id: string, want: string[], timeoutS = 300): Promise<string> {
  const end = Date.now() + timeoutS * 1000;
  for (;;) {
    const { task } = await client.call<{ task: { status: string } }>("tasks.get_by_id", { task: id });
    if (want.includes(task.status) || Date.now() > end) return task.status;
    await pause(50);
  }
}

/** The task's first `batch` log events (oldest first) as text, and whether that was all of them. */
async function logText(client: ApiClient, id: string, batch = 100_000): Promise<string> {
  const data = await client.call<{ events: { msg: string }[] }>("events.get_task_log", {
    task: id,
    navigate_earlier: false,
    batch_size: batch,
  });
  return data.events.map((e) => e.msg).join("\n");
}

async function lastLine(client: ApiClient, id: string): Promise<string> {
  const data = await client.call<{ events: { msg: string }[] }>("events.get_task_log", { task: id, batch_size: 5 });
  return data.events.map((e) => e.msg).join("\n");
}

async function enqueue(client: ApiClient, id: string, queue: string): Promise<number> {
  const qid = (await client.call<{ queues: { id: string; name: string }[] }>("queues.get_all", { name: queue }))
    .queues.find((q) => q.name === queue)!.id;
  const t0 = Date.now() / 1000;
  await client.call("tasks.enqueue", { task: id, queue: qid });
  return t0;
}

/** Enqueue a task that prints its start time first; seconds from enqueue to that statement. */
async function pickUp(client: ApiClient, d: BenchDaemon): Promise<number> {
  const id = await createTask(client, "import time\nprint('STARTED %.6f' % time.time(), flush=True)\n");
  const t0 = await enqueue(client, id, d.queue);
  const status = await waitStatus(client, id, FINAL);
  const m = /STARTED ([\d.]+)/.exec(await logText(client, id));
  if (status !== "completed" || !m) {
    throw new Error(`${d.who}: pick-up task ${id} ended ${status}:\n${d.output().slice(-2000)}`);
  }
  return Number(m[1]) - t0;
}

async function abortTree(client: ApiClient, d: BenchDaemon): Promise<number> {
  const id = await createTask(
    client,
    "import os, subprocess, time\n" +
      "g = subprocess.Popen(['bash', '-c', 'while true; do sleep 0.2; done'])\n" +
      "print('PIDS %d %d' % (os.getpid(), g.pid), flush=True)\ntime.sleep(600)\n",
  );
  await enqueue(client, id, d.queue);
  let pids: number[] = [];
  const end = Date.now() + 120_000;
  while (pids.length === 0 && Date.now() < end) {
    const m = /PIDS (\d+) (\d+)/.exec(await lastLine(client, id).catch(() => ""));
    if (m) pids = [Number(m[1]), Number(m[2])];
    else await pause(50);
  }
  const alive = (pid: number) => {
    try {
      return !Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].startsWith("Z");
    } catch {
      return false;
    }
  };
  const t0 = performance.now();
  await client.call("tasks.stop", { task: id });
  while (pids.some(alive)) await pause(5);
  const gone = (performance.now() - t0) / 1000;
  await waitStatus(client, id, FINAL, 60);
  return gone;
}

const PRINT_LOOP = "import sys, time\nt0 = time.time()\nprint('LOOPSTART %.6f' % t0, flush=True)\n" +
  "p = time.perf_counter()\nfor i in range(100000):\n    print('line %d' % i)\nsys.stdout.flush()\n" +
  "print('LOOPTIME %.6f' % (time.perf_counter() - p), flush=True)\n";

async function printLoop(client: ApiClient, d: BenchDaemon): Promise<{ loop: number; delivery: number }> {
  const id = await createTask(client, PRINT_LOOP);
  await enqueue(client, id, d.queue);
  let delivered = 0;
  const end = Date.now() + 300_000;
  while (Date.now() < end) {
    if ((await lastLine(client, id)).includes("line 99999")) {
      delivered = Date.now() / 1000;
      break;
    }
    await pause(20);
  }
  await waitStatus(client, id, FINAL);
  const start = Number(/LOOPSTART ([\d.]+)/.exec(await logText(client, id, 50))?.[1]);
  let loop = NaN;
  for (let i = 0; i < 100 && Number.isNaN(loop); i++) {
    loop = Number(/LOOPTIME ([\d.]+)/.exec(await lastLine(client, id))?.[1]);
    if (Number.isNaN(loop)) await pause(100);
  }
  const text = await logText(client, id);
  const lines = new Set(text.split("\n").filter((l) => /^line \d+$/.test(l))).size;
  if (lines !== 100_000 && text.split("\n").length < 100_000) {
    console.log(`  WARNING: ${d.who} delivered ${lines} of 100000 lines`);
  }
  return { loop, delivery: delivered - start };
}

async function cold(client: ApiClient, d: BenchDaemon): Promise<number> {
  const id = await createTask(client, "import tinypkg\nprint(tinypkg.greet())\n", "tinypkg==0.1");
  const t0 = await enqueue(client, id, d.queue);
  const status = await waitStatus(client, id, FINAL, 600);
  if (status !== "completed") throw new Error(`${d.who}: cold task ${id} ended ${status}`);
  return Date.now() / 1000 - t0;
}

async function idle(ds: BenchDaemon[], kind: string): Promise<void> {
  await pause(10_000);
  const before = ds.map((d) => ({ stats: procStats(d.pid), requests: d.proxy.records.length }));
  const t0 = performance.now();
  await pause(IDLE_S * 1000);
  const seconds = (performance.now() - t0) / 1000;
  for (const [i, d] of ds.entries()) {
    const s = procStats(d.pid);
    const requests = d.proxy.records.length - before[i].requests;
    record(`idle requests/min, ${kind}`, "req/min", d.who, requests / seconds * 60);
    if (kind === "long poll") {
      record("idle VmRSS", "MiB", d.who, s.vmRss);
      record("idle RssAnon (private)", "MiB", d.who, s.rssAnon);
      record("idle CPU", "% of a core", d.who, (s.ticks - before[i].stats.ticks) / 100 / seconds * 100);
    }
  }
}

async function phase(
  world: BenchWorld,
  name: string,
  serverArgs: string[],
  config: PhaseConfig,
  body: (client: ApiClient, ds: BenchDaemon[]) => Promise<void>,
  who: Who[] = ["ours", "reference"],
): Promise<void> {
  console.log(`phase ${name}`);
  const server = await spawnServerProcess(join(world.work, `server-${name}`), { args: serverArgs });
  const client = benchClient(server.url);
  const ds: BenchDaemon[] = [];
  try {
    for (const w of who) ds.push(await startBenchDaemon(world, w, server.url, client, name, config));
    await body(client, ds);
  } catch (err) {
    // One phase failing (e.g. no docker engine) leaves the others' figures standing; the table says n/a.
    console.log(`phase ${name} failed: ${err instanceof Error ? err.message.slice(0, 2000) : err}`);
  } finally {
    for (const d of ds) await d.stop();
    await server.stop();
  }
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function table(): string {
  const f = (v: number[]) =>
    v.length === 0 ? "n/a" : `${Math.min(...v).toFixed(3)} / ${median(v).toFixed(3)} / ${Math.max(...v).toFixed(3)}`;
  const out = [
    "| item | unit | ours min / median / max | reference min / median / max | ratio (medians) |",
    "|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const ratio = r.ours.length && r.reference.length ? (median(r.ours) / median(r.reference)).toFixed(3) : "n/a";
    out.push(`| ${r.item} | ${r.unit} | ${f(r.ours)} | ${f(r.reference)} | ${ratio} |`);
  }
  return out.join("\n");
}

const work = await Deno.makeTempDir({ prefix: "bench_vs_reference_" });
const index = join(work, "index");
await makeTinyIndex(index);
const indexServer = serveFolder(index);
try {
  const venv = await compatVenv();
  const world: BenchWorld = { work, venv, indexUrl: indexServer.url, env: benchEnv(work) };
  const started = new Date().toISOString();
  const warm: PhaseConfig = { manager: "pip", cache: true };

  if (PHASES.has("longpoll")) {
    await phase(world, "longpoll", [], warm, async (client, ds) => {
      for (const d of ds) await pickUp(client, d); // warm the venv caches
      for (let i = 0; i < RUNS; i++) {
        for (const d of ds) {
          await pause(500 + Math.random() * 1500);
          record("warm pick-up, our server (long poll)", "s", d.who, await pickUp(client, d));
        }
      }
      for (let i = 0; i < Math.min(RUNS, 3); i++) {
        for (const d of ds) record("abort → tree gone", "s", d.who, await abortTree(client, d));
      }
      for (let i = 0; i < RUNS; i++) {
        for (const d of ds) {
          const r = await printLoop(client, d);
          record("print loop, 100 000 lines (task's own time)", "s", d.who, r.loop);
          record("100 000-line delivery (loop start → last line on server)", "s", d.who, r.delivery);
        }
      }
      await idle(ds, "long poll");
    });
  }

  if (PHASES.has("plain")) {
    await phase(world, "plain", ["--no-long-poll"], warm, async (client, ds) => {
      for (const d of ds) await pickUp(client, d);
      for (let i = 0; i < RUNS; i++) {
        for (const d of ds) {
          await pause(11_000 + Math.random() * 2000);
          record("warm pick-up, server without long poll (interval 5 s)", "s", d.who, await pickUp(client, d));
        }
      }
      await idle(ds, "no long poll");
    });
  }

  for (const manager of PHASES.has("cold") ? ["pip", "uv"] as const : []) {
    await phase(world, `cold-${manager}`, [], { manager, cache: false }, async (client, ds) => {
      for (let i = 0; i < Math.min(RUNS, 3); i++) {
        for (const d of ds) record(`cold environment, ${manager}`, "s", d.who, await cold(client, d));
      }
    });
  }

  if (!values["no-docker"] && PHASES.has("docker")) {
    // Defaults, except the host network: the containers must reach the server on 127.0.0.1.
    const docker: PhaseConfig = {
      ...warm,
      oursArgs: ["--docker", TEST_IMAGE],
      oursAgent: { extra_docker_arguments: ["--network=host"] },
    };
    await phase(world, "docker", [], docker, async (client, ds) => {
      const [d] = ds;
      console.log(`  cold docker task (image preparation included): ${(await pickUp(client, d)).toFixed(3)} s`);
      for (let i = 0; i < RUNS; i++) {
        await pause(500 + Math.random() * 1500);
        record("warm docker task, defaults (enqueue → first statement)", "s", d.who, await pickUp(client, d));
      }
    }, ["ours"]);
  }

  const cpus = navigator.hardwareConcurrency;
  console.log(`\nbench_vs_reference ${started}, ${Deno.hostname()}, ${cpus} CPUs, runs ${RUNS}, idle ${IDLE_S} s\n`);
  console.log(table());
} finally {
  await indexServer.close();
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
