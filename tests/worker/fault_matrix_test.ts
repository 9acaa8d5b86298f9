/**
 * The fault matrix of issue 13: a task runs under a daemon whose configuration holds an API secret, a git
 * password and an `environment {}` value; at each fault (daemon kill -9, `execute` kill -9, abort ending in
 * SIGKILL, server kill -9, docker run killed) the whole agent folder (state, caches, run folders, daemon logs)
 * and the daemon's output are searched for the secrets, the task must not stay `in_progress` once a daemon runs
 * again, and every line the task printed before the fault reaches the server.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type DaemonEnv, startDaemonEnv } from "../helpers/daemon_env.ts";
import { spawnServerProcess, TEST_SECRET_KEY } from "../helpers/server.ts";
import { scriptTask, startDockerEnv, taskOutput } from "../cli/_docker_env.ts";

const GIT_PASS = "gitpass-fault-9c1e57";
const ENV_VALUE = "envsecret-fault-3b8d1a";
const SECRETS = [TEST_SECRET_KEY, GIT_PASS, ENV_VALUE];
const AGENT = { git_user: "alice", git_pass: GIT_PASS, abort_grace_s: 1 };
const TOP = { environment: { FAULT_TOKEN: ENV_VALUE } };
/** Where the docker scenario's `files {}` entry goes (inside the container; the daemon writes it on the host too). */
const NOTE = `/tmp/clearml-fault-note-${Deno.pid}.txt`;

/**
 * Prints numbered lines, says whether the secret reached it by environment (never the value), then goes on
 * printing a line every 0.3 s; SIGINT and SIGTERM are ignored, so an abort ends with SIGKILL.
 */
const TASK = `
import hashlib, os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
for i in range(5):
    print("line", i, flush=True)
print("env", hashlib.sha256(os.environ.get("FAULT_TOKEN", "").encode()).hexdigest(), flush=True)
print("note", open("${NOTE}").read() if os.path.exists("${NOTE}") else "-", flush=True)
print("pid", os.getpid(), flush=True)
for i in range(5, 2000):
    time.sleep(0.3)
    print("line", i, flush=True)
`;

const ENV_HASH = Array.from(
  new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(ENV_VALUE))),
  (b) => b.toString(16).padStart(2, "0"),
).join("");

const ended = (t: Record<string, unknown>) => ["completed", "failed", "stopped"].includes(t.status as string);

/** Every regular file under `dir` (links not followed) whose bytes hold one of the secrets. */
async function filesWithSecrets(dir: string, skip: Set<string>): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (skip.has(p) || e.isSymlink) continue;
      if (e.isDirectory) await walk(p);
      else if (e.isFile) {
        const text = await Deno.readTextFile(p).catch(() => "");
        if (SECRETS.some((s) => text.includes(s))) found.push(p);
      }
    }
  };
  await walk(dir);
  return found;
}

async function assertNoSecrets(env: DaemonEnv, output: string, when: string): Promise<void> {
  assert.deepEqual(await filesWithSecrets(env.dir, new Set([env.configFile])), [], `files ${when}`);
  for (const s of SECRETS) assert.ok(!output.includes(s), `daemon output ${when}`);
}

/** The pid of the `execute` process of task `id`. */
function executePid(id: string): number {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const argv = (() => {
      try {
        return Deno.readTextFileSync(`/proc/${e.name}/cmdline`).split("\0");
      } catch {
        return [];
      }
    })();
    if (argv.includes("execute") && argv.includes(id)) return Number(e.name);
  }
  throw new Error(`No execute process of task ${id}`);
}

function alive(pid: number): boolean {
  try {
    return !/^\S+ \S+ Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`).replace(/\(.*\)/, "x"));
  } catch {
    return false;
  }
}

function runFolders(env: DaemonEnv): string[] {
  try {
    return [...Deno.readDirSync(join(env.dir, "venvs", "runs"))].map((e) => e.name);
  } catch {
    return [];
  }
}

/** The runs' output files in the daemon's state folder (its run folders, and the top level). */
function outputFiles(env: DaemonEnv): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (
      const e of (() => {
        try {
          return [...Deno.readDirSync(dir)];
        } catch {
          return [];
        }
      })()
    ) {
      if (e.isDirectory && depth > 0) walk(join(dir, e.name), depth - 1);
      else if (e.isFile && /output/.test(e.name)) found.push(join(dir, e.name));
    }
  };
  walk(env.stateDir, 2);
  return found;
}

async function startRun(env: DaemonEnv, queue: string) {
  const q = await env.queue(queue);
  const id = await env.createTask(TASK);
  await env.enqueue(id, q);
  const d = env.daemon(["--queue", queue, "--foreground"]);
  const m = await d.waitFor(/^pid (\d+)$/m, 120_000);
  assert.ok(d.output().includes(`env ${ENV_HASH}`), "the environment {} value reached the task");
  return { id, d, taskPid: Number(m[1]) };
}

async function assertLines(env: DaemonEnv, id: string, upTo: number): Promise<void> {
  const lines = taskOutput(await env.logLines(id));
  for (let i = 0; i < upTo; i++) assert.ok(lines.includes(`line ${i}`), `line ${i} reached the server`);
}

Deno.test("fault matrix: daemon kill -9 mid-task", async () => {
  const env = await startDaemonEnv({ agent: AGENT, top: TOP });
  try {
    const { id, d, taskPid } = await startRun(env, "fm_daemon");
    await assertNoSecrets(env, d.output(), "while the task runs");
    assert.equal(outputFiles(env).length, 1, "the run's output file is in the state folder");
    await d.stop("SIGKILL");
    await assertNoSecrets(env, d.output(), "after the daemon was killed");
    const next = env.daemon(["--queue", "fm_daemon", "--foreground"]);
    await next.waitFor(/Listening to queues/);
    const t = await env.task(id);
    assert.equal(t.status, "failed");
    assert.equal(t.status_reason, "agent restarted");
    for (let i = 0; i < 50 && alive(taskPid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alive(taskPid), `the run's processes are gone: ${next.output()}`);
    assert.deepEqual(runFolders(env), [], "the dead run's folder is gone");
    assert.deepEqual(outputFiles(env), [], "the dead run's output file is gone");
    await assertLines(env, id, 5);
    await assertNoSecrets(env, next.output(), "after the restart");
  } finally {
    await env.close();
  }
});

Deno.test("fault matrix: execute kill -9 mid-task", async () => {
  const env = await startDaemonEnv({ agent: AGENT, top: TOP });
  try {
    const { id, d } = await startRun(env, "fm_execute");
    Deno.kill(executePid(id), "SIGKILL");
    const t = await env.waitTask(id, ended, 30_000);
    assert.equal(t.status, "failed");
    await d.waitFor(/DONE: Running task/);
    assert.deepEqual(runFolders(env), [], "the killed execute's run folder is gone");
    await assertLines(env, id, 5);
    await assertNoSecrets(env, d.output(), "after execute was killed");
  } finally {
    await env.close();
  }
});

Deno.test("fault matrix: abort ending with SIGKILL", async () => {
  const env = await startDaemonEnv({ agent: AGENT, top: TOP });
  try {
    const { id, d } = await startRun(env, "fm_abort");
    await env.client.call("tasks.stop", { task: id });
    const t = await env.waitTask(id, ended, 30_000);
    assert.equal(t.status, "stopped");
    await d.waitFor(/DONE: Running task/);
    assert.deepEqual(runFolders(env), [], "the run folder of the SIGKILLed execute is gone");
    await assertLines(env, id, 5);
    await assertNoSecrets(env, d.output(), "after the abort");
  } finally {
    await env.close();
  }
});

Deno.test("fault matrix: server kill -9 while a task prints", async () => {
  const data = await Deno.makeTempDir({ prefix: "fm_server_" });
  let server = await spawnServerProcess(data);
  const env = await startDaemonEnv({ agent: AGENT, top: TOP, url: server.url });
  try {
    const { id, d } = await startRun(env, "fm_server");
    await server.stop("SIGKILL");
    // The task prints on while the server is away: those lines wait in the spool.
    await d.waitFor(/^line 12$/m, 30_000);
    await assertNoSecrets(env, d.output(), "while the server is down");
    server = await spawnServerProcess(data, { args: ["--port", String(server.port)] });
    await env.client.call("tasks.stop", { task: id });
    const t = await env.waitTask(id, ended, 60_000);
    assert.notEqual(t.status, "in_progress");
    await assertLines(env, id, 13);
    await assertNoSecrets(env, d.output(), "after the server came back");
  } finally {
    await env.close();
    await server.stop("SIGTERM").catch(() => 0);
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
});

Deno.test("fault matrix: docker run killed", async () => {
  const env = await startDockerEnv(AGENT, { ...TOP, files: { note: { path: NOTE, contents: "written inside" } } });
  try {
    const q = await env.queue("fm_docker");
    const id = await env.createFull({ name: "fm docker", type: "training", script: scriptTask(TASK) });
    await env.enqueue(id, q);
    const d = env.dockerDaemon("fm_docker");
    await d.waitFor(/^pid (\d+)$/m, 180_000);
    assert.ok(d.output().includes(`env ${ENV_HASH}`), "the environment {} value reached the task");
    assert.match(d.output(), /^note written inside$/m, "files {} was written inside the container");
    await assertNoSecrets(env, d.output(), "while the container runs");
    const [container] = await env.leftovers();
    assert.ok(container, "the task's container runs");
    await new Deno.Command("docker", { args: ["kill", "--signal", "KILL", container], stdout: "null" }).output();
    const t = await env.waitTask(id, ended, 60_000);
    assert.equal(t.status, "failed");
    await d.waitFor(/DONE: Running task/);
    await assertLines(env, id, 5);
    await assertNoSecrets(env, d.output(), "after the container was killed");
    assert.deepEqual([...Deno.readDirSync(join(env.stateDir, "containers"))], [], "no run folder left");
  } finally {
    await env.close();
    await Deno.remove(NOTE).catch(() => {});
  }
});
