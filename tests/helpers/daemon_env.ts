/**
 * An environment for daemon tests: the embedded server (in this process, or given), a config file pointing the
 * agent at it with its caches, state and temp dir (pid files) in a private folder, helpers to create and enqueue
 * single-script Python tasks and to wait for their status, and real `clearml-agent daemon` processes started
 * through the CLI (`agentCommand`), whose output is collected.
 *
 * The venv cache is shared by every environment of a test process, so only the first task builds a venv.
 *
 * @module
 */

import { join } from "node:path";
import { ApiClient } from "../../lib/api/client.ts";
import { agentCommand, ROOT } from "./cli.ts";
import { startTestServer, TEST_ACCESS_KEY, TEST_SECRET_KEY, type TestServer } from "./server.ts";

const SHARED_VENV_CACHE = join(Deno.env.get("HOME") ?? "/root", ".clearml", "test-venvs-cache");

/** A running daemon process. */
export interface DaemonProcess {
  pid: number;
  /** Everything printed so far. */
  output(): string;
  /** Resolve when the output matches (rejects after `timeoutMs` or if the daemon exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Send a signal (default SIGTERM) and wait for the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** The exit code, once it exited. */
  status: Promise<Deno.CommandStatus>;
}

/** A test environment. */
export interface DaemonEnv {
  dir: string;
  /** The private temp dir (pid files, daemon logs). */
  tmpDir: string;
  stateDir: string;
  configFile: string;
  url: string;
  client: ApiClient;
  /** Environment of agent processes (config file, temp dir). */
  env: Record<string, string>;
  /** Start `clearml-agent daemon <args>` (foreground unless `--detached`/no `--foreground` is wanted). */
  daemon(args: string[], extraEnv?: Record<string, string>): DaemonProcess;
  /** Run the CLI to completion. */
  cli(args: string[], extraEnv?: Record<string, string>): Promise<{ code: number; out: string }>;
  queue(name: string): Promise<string>;
  /** Create a single-script Python task (`script` is the file's text); resolves to its id. */
  createTask(script: string, name?: string): Promise<string>;
  enqueue(task: string, queue: string): Promise<void>;
  task(id: string): Promise<Record<string, unknown>>;
  /** Poll until `pred(task)` holds (every 100 ms, at most `timeoutMs`); resolves to the task. */
  waitTask(
    id: string,
    pred: (t: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** The task's log, split into lines (without the trailing empty one of each event). */
  logLines(id: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Options of `startDaemonEnv`. */
export interface DaemonEnvOptions {
  /** Extra `agent { ... }` keys. */
  agent?: Record<string, unknown>;
  /** Use this server instead of starting one (its lifetime is the caller's). */
  url?: string;
  /** Top-level sections (`environment`, `files`) of the config. */
  top?: Record<string, unknown>;
}

/** Start an environment. */
export async function startDaemonEnv(options: DaemonEnvOptions = {}): Promise<DaemonEnv> {
  const dir = await Deno.makeTempDir({ prefix: "clearml_daemon_test_" });
  let server: TestServer | undefined;
  const url = options.url ?? (server = await startTestServer()).url;
  const tmpDir = join(dir, "tmp");
  const stateDir = join(dir, "state");
  await Deno.mkdir(tmpDir);
  const config = {
    api: { api_server: url, credentials: { access_key: TEST_ACCESS_KEY, secret_key: TEST_SECRET_KEY } },
    agent: {
      worker_name: "testhost",
      venvs_dir: join(dir, "venvs"),
      venvs_cache: { path: SHARED_VENV_CACHE },
      vcs_cache: { path: join(dir, "vcs") },
      package_manager: { type: "uv" },
      state_dir: stateDir,
      status_report_s: 0.5,
      abort_grace_s: 1,
      queue_long_poll_s: 1,
      ...options.agent,
    },
    ...options.top,
  };
  const configFile = join(dir, "clearml.conf");
  await Deno.writeTextFile(configFile, JSON.stringify(config, null, 2));
  const env: Record<string, string> = {
    TMPDIR: tmpDir,
    CLEARML_CONFIG_FILE: configFile,
    CLEARML_AGENT_TOOLS_DIR: Deno.env.get("CLEARML_AGENT_TOOLS_DIR") ??
      join(Deno.env.get("HOME") ?? "/root", ".clearml", "tools"),
  };
  const client = new ApiClient({ host: url, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY });
  const daemons: DaemonProcess[] = [];

  const self: DaemonEnv = {
    dir,
    tmpDir,
    stateDir,
    configFile,
    url,
    client,
    env,
    daemon(args, extraEnv = {}) {
      const d = spawnDaemon(["daemon", ...args], { ...env, ...extraEnv });
      daemons.push(d);
      return d;
    },
    async cli(args, extraEnv = {}) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: agentCommand(args),
        cwd: ROOT,
        env: { ...env, ...extraEnv },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
    },
    async queue(name) {
      const found = await client.call<{ queues: { id: string; name: string }[] }>("queues.get_all", { name });
      const q = found.queues.find((x) => x.name === name);
      if (q) return q.id;
      return (await client.call<{ id: string }>("queues.create", { name })).id;
    },
    async createTask(script, name = "daemon test task") {
      const data = await client.call<{ id: string }>("tasks.create", {
        name,
        type: "training",
        script: { entry_point: "run.py", diff: script, binary: "python3", requirements: { pip: "" } },
      });
      return data.id;
    },
    async enqueue(task, queue) {
      await client.call("tasks.enqueue", { task, queue });
    },
    async task(id) {
      return (await client.call<{ task: Record<string, unknown> }>("tasks.get_by_id", { task: id })).task;
    },
    async waitTask(id, pred, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const t = await self.task(id);
        if (pred(t)) return t;
        if (Date.now() > end) {
          throw new Error(`Task ${id} did not reach the expected state in ${timeoutMs} ms: ${JSON.stringify(t)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async logLines(id) {
      const data = await client.call<{ events: { msg: string }[] }>("events.get_task_log", {
        task: id,
        navigate_earlier: false,
        batch_size: 100_000,
      });
      return data.events.flatMap((e) => e.msg.replace(/\n$/, "").split("\n"));
    },
    async close() {
      await Promise.all(daemons.map(async (d) => {
        const timer = setTimeout(() => d.stop("SIGKILL"), 20_000);
        await d.stop("SIGTERM");
        clearTimeout(timer);
      }));
      await server?.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  return self;
}

/** Start the agent CLI with `args` and collect its output. */
export function spawnDaemon(args: string[], env: Record<string, string>): DaemonProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: agentCommand(args),
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const listeners = new Set<() => void>();
  const dec = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      out += dec.decode(chunk, { stream: true });
      for (const l of listeners) l();
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await pumps;
    for (const l of listeners) l();
    return s;
  });
  return {
    pid: child.pid,
    output: () => out,
    status,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) return done(() => resolve(m));
          if (exited) return done(() => reject(new Error(`Daemon exited before printing ${pattern}:\n${out}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`Daemon did not print ${pattern} in ${timeoutMs} ms:\n${out}`))),
          timeoutMs,
        );
        const done = (fn: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          fn();
        };
        listeners.add(check);
        check();
      });
    },
    async stop(signal: Deno.Signal = "SIGTERM") {
      if (!exited) {
        try {
          child.kill(signal);
        } catch {
          // exited meanwhile
        }
      }
      return (await status).code;
    },
  };
}
