/**
 * The two agents of `bench_vs_reference.ts` side by side: our daemon (from source, through the launcher) and the
 * reference Python `clearml-agent` 3.0.3 (the cached venv of the compatibility tests, `tests/compat/_venv.ts`),
 * each with its own configuration, queue and worker id, each talking to the server through its own counting
 * proxy (so that requests are counted per daemon), on one embedded server.
 *
 * @module
 */

import { join } from "node:path";
import { agentCommand, ROOT } from "../tests/helpers/cli.ts";
import { ApiClient } from "../lib/api/client.ts";
import { TEST_ACCESS_KEY, TEST_SECRET_KEY } from "../tests/helpers/server.ts";
import { type RecordingProxy, startRecordingProxy } from "../tests/worker/_recording_proxy.ts";
import type { CompatVenv } from "../tests/compat/_venv.ts";

/** Which agent. */
export type Who = "ours" | "reference";

/** One running daemon. */
export interface BenchDaemon {
  who: Who;
  pid: number;
  queue: string;
  proxy: RecordingProxy;
  output(): string;
  stop(): Promise<void>;
}

/** What a phase's daemons are configured with. */
export interface PhaseConfig {
  /** `pip` or `uv` (the reference: pip with `uv_replace_pip`). */
  manager: "pip" | "uv";
  /** Venv cache on (warm) or off (cold). */
  cache: boolean;
  /** Extra `agent { ... }` keys for our daemon only (docker). */
  oursAgent?: Record<string, unknown>;
  /** Extra daemon arguments for ours (`--docker IMAGE`). */
  oursArgs?: string[];
}

/** The machine-wide pieces shared by every phase. */
export interface BenchWorld {
  work: string;
  venv: CompatVenv;
  indexUrl: string;
  env: Record<string, string>;
}

/** `/proc/<pid>/status` memory (MiB) and CPU ticks. */
export function procStats(pid: number): { vmRss: number; rssAnon: number; rssFile: number; ticks: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) / 1024;
  const rest = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  return {
    vmRss: kb("VmRSS"),
    rssAnon: kb("RssAnon"),
    rssFile: kb("RssFile"),
    ticks: Number(rest[11]) + Number(rest[12]),
  };
}

function spawn(
  who: Who,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  queue: string,
  proxy: RecordingProxy,
): BenchDaemon {
  const child = new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The daemons' output is kept cheaply (the last chunks, not a re-sliced string): the harness must not take CPU
  // from the tasks it measures.
  const chunks: Uint8Array[] = [];
  let kept = 0;
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) {
      chunks.push(c);
      kept += c.length;
      while (kept - chunks[0].length > 200_000) kept -= chunks.shift()!.length;
    }
  };
  const dec = new TextDecoder();
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    who,
    pid: child.pid,
    queue,
    proxy,
    output: () => chunks.map((c) => dec.decode(c)).join(""),
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 30_000);
      await child.status;
      clearTimeout(timer);
      await pumps;
      await proxy.close();
    },
  };
}

/** Start one daemon of `who` on a fresh queue of the server at `url`. */
export async function startBenchDaemon(
  world: BenchWorld,
  who: Who,
  url: string,
  client: ApiClient,
  phase: string,
  config: PhaseConfig,
): Promise<BenchDaemon> {
  const queue = `${who}-${phase}`;
  await client.call("queues.create", { name: queue });
  // Requests are counted, bodies of log batches are not kept.
  const proxy = await startRecordingProxy(url, /^(?!events\.add_batch)/);
  const dir = join(world.work, `${who}-${phase}`);
  await Deno.mkdir(dir, { recursive: true });
  const agent: Record<string, unknown> = {
    worker_id: `bench-${who}-${phase}:cpu`,
    venvs_dir: join(dir, "venvs"),
    vcs_cache: { enabled: false },
    python_binary: world.venv.basePython,
    venvs_cache: config.cache
      ? { path: join(world.work, `${who}-venv-cache-${config.manager}`) }
      : { path: "", max_entries: 0 },
    package_manager: {
      type: who === "ours" ? config.manager : "pip",
      extra_index_url: [`${world.indexUrl}/simple`],
      ...(who === "reference" && config.manager === "uv" ? { uv_replace_pip: true } : {}),
    },
    ...(who === "ours" ? config.oursAgent ?? {} : {}),
  };
  const conf = join(dir, "clearml.conf");
  await Deno.writeTextFile(
    conf,
    JSON.stringify(
      {
        api: {
          api_server: proxy.url,
          web_server: proxy.url,
          files_server: `${proxy.url}/files`,
          credentials: { access_key: TEST_ACCESS_KEY, secret_key: TEST_SECRET_KEY },
        },
        sdk: { development: { report_use_subprocess: false } },
        agent,
      },
      null,
      2,
    ),
  );
  const env = { ...world.env, CLEARML_CONFIG_FILE: conf, TMPDIR: dir };
  const d = who === "ours"
    ? spawn(
      who,
      Deno.execPath(),
      agentCommand(["daemon", "--queue", queue, "--foreground", ...(config.oursArgs ?? [])]),
      env,
      queue,
      proxy,
    )
    : spawn(
      who,
      world.venv.bin("clearml-agent"),
      ["--config-file", conf, "daemon", "--queue", queue, "--foreground"],
      env,
      queue,
      proxy,
    );
  const deadline = Date.now() + 120_000;
  while (!/Listening to queues|Running CLEARML-AGENT daemon|[Ww]orker "?[\w.:-]+"? - Listening/.test(d.output())) {
    if (Date.now() > deadline) throw new Error(`${who} daemon did not start:\n${d.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return d;
}

/** A client of the server (not through a proxy). */
export function benchClient(url: string): ApiClient {
  return new ApiClient({ host: url, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY });
}

/** The environment of the daemons: the machine's PATH and caches, a HOME of their own. */
export function benchEnv(work: string): Record<string, string> {
  const home = join(work, "home");
  Deno.mkdirSync(home, { recursive: true });
  const real = Deno.env.get("HOME") ?? "/root";
  const cache = Deno.env.get("XDG_CACHE_HOME") || join(real, ".cache");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (/^(PATH|LANG|LC_ALL|TZ|PIP_.*|UV_.*|SSL_CERT_.*|DOCKER_HOST)$/.test(k)) env[k] = v;
  }
  return {
    ...env,
    HOME: home,
    PIP_CACHE_DIR: Deno.env.get("PIP_CACHE_DIR") ?? join(cache, "pip"),
    UV_CACHE_DIR: Deno.env.get("UV_CACHE_DIR") ?? join(cache, "uv"),
    DENO_DIR: Deno.env.get("DENO_DIR") ?? join(cache, "deno"),
    CLEARML_AGENT_TOOLS_DIR: Deno.env.get("CLEARML_AGENT_TOOLS_DIR") ?? join(real, ".clearml", "tools"),
  };
}
