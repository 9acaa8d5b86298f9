/**
 * Benchmark of `daemon --docker` against the embedded server and the local base image (a measurement, not a test):
 * 1. warm pick-up latency: enqueue → the task's first output line printed by the daemon, and → readable on the
 *    server, for a one-line script (image present, venv cache hit), p50 and p90 over `TASKS` (10) tasks; the same
 *    for the venv-mode daemon on this machine, for comparison;
 * 2. abort latency: `tasks.stop` → task `stopped` and the container gone, for a task whose child ignores SIGTERM
 *    (`agent.abort_grace_s` 1), p50 and max over 5 (goal: within grace + 1 s).
 *
 * Run: `npx deno run -A scripts/bench_docker.ts` (env: `TASKS`). Needs the Docker engine and the test image
 * (`scripts/ci_services.sh`).
 *
 * @module
 */

import { startDaemonEnv } from "../tests/helpers/daemon_env.ts";
import { spawnServerProcess } from "../tests/helpers/server.ts";
import { requireEngine, TEST_IMAGE, TEST_LABEL } from "../tests/executors/docker/_engine_env.ts";

const TASKS = Number(Deno.env.get("TASKS") ?? "10");

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

const ms = (v: number) => `${v.toFixed(0)} ms`;

/** A daemon environment with every cache in a private folder. */
async function benchEnv(url: string) {
  const caches = await Deno.makeTempDir({ prefix: "bench_docker_caches_" });
  const env = await startDaemonEnv({
    url,
    agent: {
      extra_docker_arguments: ["--network=host"],
      docker_install_opencv_libs: false,
      docker_pip_cache: `${caches}/pip`,
      docker_uv_cache: `${caches}/uv`,
      docker_apt_cache: `${caches}/apt`,
      pip_download_cache: { path: `${caches}/pip-download` },
      abort_grace_s: 1,
      queue_long_poll_s: 5,
    },
  });
  const agentEnv = {
    CLEARML_AGENT_EXTRA_DOCKER_LABELS: TEST_LABEL,
    CLEARML_AGENT_DISABLE_SSH_MOUNT: "1",
    CLEARML_AGENT__SDK__STORAGE__CACHE__DEFAULT_BASE_DIR: JSON.stringify(`${caches}/sdk`),
  };
  const close = async () => {
    await env.close();
    await Deno.remove(caches, { recursive: true }).catch(() => {});
  };
  return { env, agentEnv, close };
}

async function pickUp(docker: boolean, url: string): Promise<{ printed: number[]; onServer: number[] }> {
  const { env, agentEnv, close } = await benchEnv(url);
  const name = docker ? "bench_docker" : "bench_venv";
  const q = await env.queue(name);
  const d = env.daemon(["--queue", name, "--foreground", ...(docker ? ["--docker", TEST_IMAGE] : [])], agentEnv);
  try {
    await d.waitFor(/Listening to queues/);
    const warm = await env.createTask(`print("warm up")`);
    await env.enqueue(warm, q);
    await env.waitTask(warm, (t) => t.status === "completed", 180_000);
    const printed: number[] = [];
    const onServer: number[] = [];
    for (let i = 0; i < TASKS; i++) {
      const id = await env.createTask(`print("first output line ${i}")`);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 700)); // the daemon is idle in its long poll
      const t0 = performance.now();
      await env.enqueue(id, q);
      await d.waitFor(new RegExp(`^first output line ${i}$`, "m"), 60_000);
      printed.push(performance.now() - t0);
      while (!(await env.logLines(id)).includes(`first output line ${i}`)) await new Promise((r) => setTimeout(r, 5));
      onServer.push(performance.now() - t0);
      await env.waitTask(id, (t) => t.status === "completed");
    }
    return { printed, onServer };
  } finally {
    await d.stop();
    await close();
  }
}

async function aborts(url: string): Promise<number[]> {
  const { env, agentEnv, close } = await benchEnv(url);
  const engine = await requireEngine();
  const q = await env.queue("bench_docker_abort");
  const d = env.daemon(["--queue", "bench_docker_abort", "--foreground", "--docker", TEST_IMAGE], agentEnv);
  const out: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const id = await env.createTask(`
import subprocess, time
subprocess.Popen(["bash", "-c", "trap '' TERM; while true; do sleep 0.2; done"])
print("abort me ${i}", flush=True)
time.sleep(600)
`);
      await env.enqueue(id, q);
      await d.waitFor(new RegExp(`^abort me ${i}$`, "m"), 120_000);
      const t0 = performance.now();
      await env.client.call("tasks.stop", { task: id });
      await env.waitTask(id, (t) => t.status === "stopped", 30_000);
      const label = { label: [`clearml-task-id=${id}`] };
      while ((await engine.listContainers({ all: true, filters: label })).length > 0) {
        await new Promise((r) => setTimeout(r, 5));
      }
      out.push(performance.now() - t0);
    }
    return out;
  } finally {
    await d.stop();
    await close();
  }
}

await requireEngine();
const dataDir = await Deno.makeTempDir({ prefix: "bench_docker_server_" });
const server = await spawnServerProcess(dataDir);
try {
  const docker = await pickUp(true, server.url);
  const venv = await pickUp(false, server.url);
  for (const [label, r] of [["docker", docker], ["venv", venv]] as const) {
    console.log(
      `${label}: warm pick-up, enqueue → first output line printed by the daemon: p50 ${ms(pct(r.printed, 0.5))}, ` +
        `p90 ${ms(pct(r.printed, 0.9))}; readable on the server: p50 ${ms(pct(r.onServer, 0.5))}, ` +
        `p90 ${ms(pct(r.onServer, 0.9))} (${TASKS} tasks)`,
    );
  }
  const a = await aborts(server.url);
  console.log(
    `docker: abort, tasks.stop → stopped and container gone (grace 1 s, child ignores SIGTERM): p50 ${
      ms(pct(a, 0.5))
    }, max ${ms(Math.max(...a))}`,
  );
} finally {
  await server.stop();
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
}
