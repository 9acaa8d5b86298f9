/**
 * The agents of the compatibility scenarios, and waiting on the server.
 *
 * - Our agent runs a queued task through our `daemon` when this branch has one (`lib/worker/daemon.ts`), else
 *   through `clearml-agent execute --id T` (the command a daemon runs per task; it takes the task off its queue).
 *   `OUR_AGENT_MODE` says which, and the tests put it in their names: nothing is skipped silently.
 * - The Python `clearml-agent` (the reference) runs `execute --id` or `daemon --queue` against our server.
 *
 * @module
 */

import { join } from "node:path";
import { agentCommand, ROOT } from "../helpers/cli.ts";
import type { ApiClient } from "../helpers/server.ts";
import { type CompatEnv, runProcess, type RunResult } from "./_env.ts";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** True when our daemon is part of this checkout. */
export const HAS_OUR_DAEMON = exists(join(ROOT, "lib", "worker", "daemon.ts"));
/** How our agent picks up queued tasks in these tests. */
export const OUR_AGENT_MODE = HAS_OUR_DAEMON ? "daemon" : "execute --id";

const FINAL = ["completed", "failed", "stopped", "published"];

/** Poll a task's status every 500 ms until it is one of `want` or `seconds` pass; resolves to the last status. */
export async function waitStatus(client: ApiClient, task: string, want: string[], seconds: number): Promise<string> {
  let status = "";
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    status = (await client.ok("tasks.get_by_id", { task })).task.status;
    if (want.includes(status)) return status;
    await new Promise((r) => setTimeout(r, 500));
  }
  return status;
}

/** A task's console log (oldest first) as one text. */
export async function taskLog(client: ApiClient, task: string): Promise<string> {
  const log = await client.ok("events.get_task_log", { task, navigate_earlier: false, batch_size: 10000 });
  return log.events.map((e: { msg: string }) => e.msg).join("\n");
}

/** What a test prints when a scenario fails: the agent's output, the task log and the server's wire trace tail. */
export async function explain(env: CompatEnv, task: string | undefined, output: string): Promise<string> {
  const log = task ? await taskLog(env.client, task).catch((e) => `(no log: ${e.message})`) : "";
  return `--- agent output\n${output.slice(-6000)}\n--- task log\n${log.slice(-6000)}\n` +
    `--- server wire trace (tail)\n${env.server.output().slice(-4000)}`;
}

/** A background agent process (a daemon); `stop()` ends it and returns its output. */
export interface AgentProcess {
  stop(): Promise<string>;
  output(): string;
}

function spawnCollected(cmd: string, args: string[], env: Record<string, string>, cwd: string): AgentProcess {
  const child = new Deno.Command(cmd, {
    args,
    env,
    cwd,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const dec = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) out += dec.decode(c);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    output: () => out,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      // Stop policy: SIGTERM, then SIGKILL after 20 s.
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 20_000);
      await child.status;
      clearTimeout(timer);
      await pumps;
      return out;
    },
  };
}

/**
 * Start our daemon on `queue` (only when `HAS_OUR_DAEMON`); `services` runs it with `--services-mode` under a worker
 * id of its own, so that it can run next to the `default` one.
 */
export function startOurDaemon(env: CompatEnv, queue = "default", options: { services?: boolean } = {}): AgentProcess {
  if (!HAS_OUR_DAEMON) throw new Error("Our daemon is not part of this checkout (lib/worker/daemon.ts)");
  const services = options.services ? ["--services-mode"] : [];
  const worker: Record<string, string> = options.services ? { CLEARML_WORKER_ID: "compat-services:cpu" } : {};
  return spawnCollected(
    Deno.execPath(),
    agentCommand(["daemon", "--queue", queue, ...services, "--foreground"]),
    { ...env.env, ...worker, CLEARML_AGENT_DEBUG_WIRE: "1" },
    ROOT,
  );
}

/**
 * Let our agent run a queued task to a final status (daemon, or `execute --id`); resolves to the final status and
 * what the agent printed.
 */
export async function runQueuedWithOurAgent(
  env: CompatEnv,
  task: string,
  timeoutS = 300,
): Promise<{ status: string; output: string }> {
  if (HAS_OUR_DAEMON) {
    const daemon = startOurDaemon(env);
    let status: string;
    try {
      status = await waitStatus(env.client, task, FINAL, timeoutS);
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    return { status, output: await daemon.stop() };
  }
  const r = await runOurAgent(env, ["execute", "--id", task], timeoutS);
  const status = await waitStatus(env.client, task, FINAL, 10);
  return { status, output: r.out };
}

/** Run our agent (`clearml-agent <args>`) from source in the scenario's environment (wire trace on by default). */
export function runOurAgent(env: CompatEnv, args: string[], timeoutS = 300, trace = true): Promise<RunResult> {
  return runProcess(Deno.execPath(), agentCommand(args), {
    cwd: ROOT,
    env: { ...env.env, ...(trace ? { CLEARML_AGENT_DEBUG_WIRE: "1" } : {}) },
    timeoutMs: timeoutS * 1000,
  });
}

/** The Python agent's environment: its own config file. */
function pyAgentEnv(env: CompatEnv): Record<string, string> {
  return { ...env.env, CLEARML_CONFIG_FILE: env.pyAgentConf };
}

/** Run the Python `clearml-agent execute --id T` (reference agent) against our server. */
export function runPythonAgentExecute(env: CompatEnv, task: string, timeoutS = 300): Promise<RunResult> {
  return env.tool("clearml-agent", ["--config-file", env.pyAgentConf, "execute", "--id", task], {
    env: { CLEARML_CONFIG_FILE: env.pyAgentConf },
    timeoutMs: timeoutS * 1000,
  });
}

/** Start the Python `clearml-agent daemon --queue Q --foreground` against our server. */
export function startPythonAgentDaemon(env: CompatEnv, queue = "default"): AgentProcess {
  return spawnCollected(
    env.venv.bin("clearml-agent"),
    ["--config-file", env.pyAgentConf, "daemon", "--queue", queue, "--foreground"],
    pyAgentEnv(env),
    env.work,
  );
}
