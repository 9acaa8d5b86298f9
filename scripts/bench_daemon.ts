/**
 * Benchmark of `clearml-agent daemon` against the embedded server (a measurement, not a test):
 * 1. pick-up latency: enqueue → the task's first output line printed by the daemon, and → the line readable on the
 *    server, for a one-line script with warm caches (venv cache hit), p50 and p90 over `TASKS` (20) tasks;
 * 2. abort latency: `tasks.stop` → task `stopped` with its whole tree gone (a grandchild ignoring SIGTERM,
 *    `agent.abort_grace_s` 1), p50 over 5;
 * 3. idle cost: a daemon with nothing to do for `IDLE_S` (300) seconds — RSS (max and last), CPU (% of one core)
 *    and requests per second (counted by a proxy in front of the server), with the default status interval.
 *
 * Run: `npx deno run -A scripts/bench_daemon.ts` (env: `TASKS`, `IDLE_S`). Needs python3 and uv (tools dir).
 *
 * @module
 */

import { startDaemonEnv } from "../tests/helpers/daemon_env.ts";
import { spawnServerProcess } from "../tests/helpers/server.ts";
import { startRecordingProxy } from "../tests/worker/_recording_proxy.ts";

const TASKS = Number(Deno.env.get("TASKS") ?? "20");
const IDLE_S = Number(Deno.env.get("IDLE_S") ?? "300");

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

function cpuTicks(pid: number): number {
  const rest = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  return Number(rest[11]) + Number(rest[12]);
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN;
}

function alive(pid: number): boolean {
  try {
    return !Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].startsWith("Z");
  } catch {
    return false;
  }
}

const dataDir = await Deno.makeTempDir({ prefix: "bench_daemon_server_" });
const server = await spawnServerProcess(dataDir);
const proxy = await startRecordingProxy(server.url, /./);
try {
  // 1. Pick-up latency.
  const env = await startDaemonEnv({ url: server.url, agent: { abort_grace_s: 1, queue_long_poll_s: 5 } });
  const q = await env.queue("bench");
  const d = env.daemon(["--queue", "bench", "--foreground"]);
  await d.waitFor(/Listening to queues/);
  const warm = await env.createTask(`print("warm up")`);
  await env.enqueue(warm, q);
  await env.waitTask(warm, (t) => t.status === "completed", 120_000);
  const printed: number[] = [];
  const onServer: number[] = [];
  for (let i = 0; i < TASKS; i++) {
    const id = await env.createTask(`print("first output line ${i}")`);
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 700)); // the daemon is idle in its long poll
    const t0 = performance.now();
    await env.enqueue(id, q);
    await d.waitFor(new RegExp(`^first output line ${i}$`, "m"));
    printed.push(performance.now() - t0);
    while (!(await env.logLines(id)).includes(`first output line ${i}`)) await new Promise((r) => setTimeout(r, 5));
    onServer.push(performance.now() - t0);
    await env.waitTask(id, (t) => t.status === "completed");
  }
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  console.log(
    `pick-up, enqueue → first output line printed by the daemon: p50 ${ms(pct(printed, 0.5))}, ` +
      `p90 ${ms(pct(printed, 0.9))} (${TASKS} tasks)`,
  );
  console.log(
    `pick-up, enqueue → first output line readable on the server: p50 ${ms(pct(onServer, 0.5))}, ` +
      `p90 ${ms(pct(onServer, 0.9))}`,
  );

  // 2. Abort latency.
  const aborts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const id = await env.createTask(`
import os, subprocess, time
g = subprocess.Popen(["bash", "-c", "trap '' TERM; while true; do sleep 0.2; done"])
print("pids %d %d" % (os.getpid(), g.pid), flush=True)
time.sleep(600)
`);
    await env.enqueue(id, q);
    let line: string | undefined;
    while (!(line = (await env.logLines(id)).find((l) => l.startsWith("pids ")))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const pids = line.split(" ").slice(1).map(Number);
    const t0 = performance.now();
    await env.client.call("tasks.stop", { task: id });
    await env.waitTask(id, (t) => t.status === "stopped");
    while (pids.some(alive)) await new Promise((r) => setTimeout(r, 5));
    aborts.push(performance.now() - t0);
  }
  console.log(
    `abort, tasks.stop → stopped and tree gone (grace 1 s): p50 ${ms(pct(aborts, 0.5))}, max ${
      ms(Math.max(...aborts))
    }`,
  );
  await d.stop();
  await env.close();

  // 3. Idle cost, default settings (status every 10 s, long poll 5 s), through the counting proxy.
  const idleEnv = await startDaemonEnv({ url: proxy.url, agent: { status_report_s: 10, queue_long_poll_s: 5 } });
  await idleEnv.queue("idle");
  const idle = idleEnv.daemon(["--queue", "idle", "--foreground"]);
  await idle.waitFor(/Listening to queues/);
  await new Promise((r) => setTimeout(r, 5_000));
  const ticks0 = cpuTicks(idle.pid);
  const requests0 = proxy.records.length;
  const start = performance.now();
  let maxRss = 0;
  while (performance.now() - start < IDLE_S * 1000) {
    await new Promise((r) => setTimeout(r, 5_000));
    maxRss = Math.max(maxRss, rssMiB(idle.pid));
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = ((cpuTicks(idle.pid) - ticks0) / 100 / seconds) * 100;
  const rate = (proxy.records.length - requests0) / seconds;
  console.log(
    `idle daemon over ${seconds.toFixed(0)} s: RSS last ${rssMiB(idle.pid).toFixed(1)} MiB, max ${
      maxRss.toFixed(1)
    } MiB; ` +
      `CPU ${cpu.toFixed(3)} % of one core; ${rate.toFixed(2)} requests/s`,
  );
  await idle.stop();
  await idleEnv.close();
} finally {
  await proxy.close();
  await server.stop();
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
}
