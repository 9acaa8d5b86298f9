/**
 * One compatibility scenario's world: a fresh `clearml-agent server` process (`--debug-wire`, its trace kept for
 * failure reports), a home folder with a `clearml.conf` for the SDK and our agent (the `api` section the server
 * printed, pasted as is; SDK reporting without a subprocess so that runs end promptly) and one for the Python agent, a git
 * project pushed to a bare origin with an uncommitted change, a tiny package index, and runners for the Python
 * clients and our agent. Child processes get a clean environment (no `CLEARML_*` from the machine), with the
 * machine's pip/uv/Deno caches kept so that installs are reused between runs. With `CLEARML_COMPAT_TRACE_DIR` set,
 * each scenario's server wire trace is saved there.
 *
 * @module
 */

import { join } from "node:path";
import { ApiClient, type ServerProcess, spawnServerProcess } from "../helpers/server.ts";
import { makeTinyIndex, serveFolder } from "../helpers/execute_env.ts";
import { COMPAT_DIR, compatCacheDir, type CompatVenv, compatVenv } from "./_venv.ts";

/** Output of a process. */
export interface RunResult {
  code: number;
  out: string;
}

/** Options of one Python run. */
export interface PyOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** The world of one scenario. */
export interface CompatEnv {
  work: string;
  venv: CompatVenv;
  server: ServerProcess;
  client: ApiClient;
  /** `clearml.conf` of the SDK and our agent. */
  conf: string;
  /** `clearml.conf` of the Python agent. */
  pyAgentConf: string;
  /** The git project (uncommitted change applied) and its bare origin's URL. */
  project: string;
  originUrl: string;
  /** Base environment of child processes. */
  env: Record<string, string>;
  /** Run a script from `tests/compat/py/` (or any argv after `python`) with the venv's interpreter. */
  py(args: string[], options?: PyOptions): Promise<RunResult>;
  /** Run a console script of the venv (`clearml-task`, `clearml-agent`). */
  tool(name: string, args: string[], options?: PyOptions): Promise<RunResult>;
  close(): Promise<void>;
}

/** Scripts of the scenarios. */
export const PY_DIR = join(COMPAT_DIR, "py");

const PASS_ENV =
  /^(PATH|LANG|LC_ALL|TMPDIR|TZ|PIP_.*|UV_.*|SSL_CERT_.*|REQUESTS_CA_BUNDLE|PYENV_.*|https?_proxy|no_proxy)$/i;

function baseEnv(home: string, conf: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) if (PASS_ENV.test(k)) env[k] = v;
  const realHome = Deno.env.get("HOME") ?? "/root";
  const cache = Deno.env.get("XDG_CACHE_HOME") || join(realHome, ".cache");
  return {
    ...env,
    HOME: home,
    CLEARML_CONFIG_FILE: conf,
    PIP_CACHE_DIR: Deno.env.get("PIP_CACHE_DIR") ?? join(cache, "pip"),
    UV_CACHE_DIR: Deno.env.get("UV_CACHE_DIR") ?? join(cache, "uv"),
    DENO_DIR: Deno.env.get("DENO_DIR") ?? join(cache, "deno"),
    CLEARML_AGENT_TOOLS_DIR: Deno.env.get("CLEARML_AGENT_TOOLS_DIR") ?? join(realHome, ".clearml", "tools"),
    PYTHONUNBUFFERED: "1",
    PYTHONDONTWRITEBYTECODE: "1",
  };
}

/** Run a command with a deadline; output is stdout and stderr interleaved as they came. */
export async function runProcess(
  cmd: string,
  args: string[],
  options: { cwd?: string; env: Record<string, string>; timeoutMs?: number },
): Promise<RunResult> {
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", 'exec "$@" 2>&1', "sh", cmd, ...args],
    cwd: options.cwd,
    env: options.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(options.timeoutMs ?? 180_000),
  }).output();
  return { code: out.code, out: new TextDecoder().decode(out.stdout) };
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await runProcess("git", ["-c", "user.email=compat@example.com", "-c", "user.name=compat", ...args], {
    cwd,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: cwd },
  });
  if (r.code !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.out}`);
  return r.out.trim();
}

/** The project: `train.py` (and friends) committed and pushed; the uncommitted change makes the diff. */
async function makeProject(work: string): Promise<{ project: string; originUrl: string }> {
  const origin = join(work, "origin.git");
  const project = join(work, "project");
  await Deno.mkdir(project);
  await git(work, "init", "-q", "--bare", "-b", "main", origin);
  await git(project, "init", "-q", "-b", "main");
  for (const name of ["train.py", "remote.py", "long.py", "pipeline_decorator.py"]) {
    await Deno.copyFile(join(PY_DIR, name), join(project, name));
  }
  // As real repositories do: the agent's fallback when a task arrives with no requirements. The SDK can send none:
  // a task that enqueues itself before logging anything (the decorator pipeline's controller) closes with its
  // package analysis still running, and the SDK then drops it rather than wait (clearml 2.1.12, Task.close()).
  await Deno.writeTextFile(join(project, "requirements.txt"), "clearml==2.1.12\n");
  await git(project, "add", ".");
  await git(project, "commit", "-qm", "compat project");
  await git(project, "remote", "add", "origin", `file://${origin}`);
  await git(project, "push", "-q", "origin", "main");
  await Deno.writeTextFile(join(project, "train.py"), 'print("DIFF applied")\n', { append: true });
  return { project, originUrl: `file://${origin}` };
}

/** A `clearml.conf`: the server's `api` section, then the other sections (JSON is HOCON). */
function confText(api: string, sections: Record<string, unknown>): string {
  return api + Object.entries(sections).map(([k, v]) => `${k}: ${JSON.stringify(v, null, 2)}\n`).join("");
}

/** A folder outside any git repository (`<work>/scripts`) with copies of the given scripts of `tests/compat/py/`. */
export async function scriptFolder(env: CompatEnv, ...names: string[]): Promise<string> {
  const dir = join(env.work, "scripts");
  await Deno.mkdir(dir, { recursive: true });
  for (const name of names) await Deno.copyFile(join(PY_DIR, name), join(dir, name));
  return dir;
}

/** Start a scenario's world (the venv is built on first use). */
export async function startCompatEnv(): Promise<CompatEnv> {
  const venv = await compatVenv();
  const work = await Deno.makeTempDir({ prefix: "clearml-compat-" });
  const cleanups: (() => Promise<unknown>)[] = [() => Deno.remove(work, { recursive: true })];
  try {
    const server = await spawnServerProcess(join(work, "server"), { args: ["--debug-wire"] });
    cleanups.unshift(() => server.stop());
    const index = join(work, "index");
    await makeTinyIndex(index);
    const indexServer = serveFolder(index);
    cleanups.unshift(() => indexServer.close());
    const client = new ApiClient(server.url);
    const home = join(work, "home");
    await Deno.mkdir(home);
    // The `api { ... }` section exactly as the server printed it: the SDK must work with it as pasted.
    const api = await Deno.readTextFile(join(server.dataDir, "clearml.conf.snippet"));
    const sdk = { development: { report_use_subprocess: false, worker: { report_period_sec: 2 } } };
    const agentCommon = {
      worker_id: "compat-worker:cpu",
      venvs_dir: join(work, "venvs"),
      vcs_cache: { enabled: false },
      python_binary: venv.basePython,
    };
    const conf = join(home, "clearml.conf");
    await Deno.writeTextFile(
      conf,
      confText(api, {
        sdk,
        agent: {
          ...agentCommon,
          venvs_cache: { path: await compatCacheDir("our-agent-venvs") },
          package_manager: { type: "uv", extra_index_url: [`${indexServer.url}/simple`] },
        },
      }),
    );
    const pyAgentConf = join(home, "py-agent.conf");
    await Deno.writeTextFile(
      pyAgentConf,
      confText(api, {
        sdk,
        agent: {
          ...agentCommon,
          worker_id: "compat-python-agent:cpu",
          venvs_cache: { path: await compatCacheDir("python-agent-venvs") },
          package_manager: { type: "pip", extra_index_url: [`${indexServer.url}/simple`] },
        },
      }),
    );
    const { project, originUrl } = await makeProject(work);
    const env = baseEnv(home, conf);
    const py = (args: string[], o: PyOptions = {}) =>
      runProcess(venv.python, args, { cwd: o.cwd ?? project, env: { ...env, ...o.env }, timeoutMs: o.timeoutMs });
    const tool = (name: string, args: string[], o: PyOptions = {}) =>
      runProcess(venv.bin(name), args, { cwd: o.cwd ?? project, env: { ...env, ...o.env }, timeoutMs: o.timeoutMs });
    return {
      work,
      venv,
      server,
      client,
      conf,
      pyAgentConf,
      project,
      originUrl,
      env,
      py,
      tool,
      close: async () => {
        for (const c of cleanups) await c().catch(() => {});
        // Debugging aid: keep each scenario's server wire trace.
        const keep = Deno.env.get("CLEARML_COMPAT_TRACE_DIR");
        if (keep) {
          await Deno.mkdir(keep, { recursive: true });
          await Deno.writeTextFile(join(keep, `${work.split("/").pop()}.trace.log`), server.output());
        }
      },
    };
  } catch (err) {
    for (const c of cleanups) await c().catch(() => {});
    throw err;
  }
}
