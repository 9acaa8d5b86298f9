/**
 * Benchmark of lock-file task environments (a measurement, not a test): for a uv project (`uv.lock`) and a poetry
 * project (`poetry.lock`), each depending on 5 small wheels from a local index,
 * - cold: `clearml-agent execute` of a one-line task with an empty venv cache (the tools' own download caches
 *   warm), time from process start to the task's first output line, median of 3;
 * - warm: the same with the venv in the venv cache, median of 5;
 * - bare: `uv sync --locked` / `poetry install -n` in a fresh copy of the project (each makes its own `.venv`),
 *   median of 3.
 *
 * Run: `npx deno run -A scripts/bench_python_env.ts` (needs the embedded server, git, python3; uv and poetry are
 * installed into the tools folder on first use).
 *
 * @module
 */

import { join } from "node:path";
import { agentCommand } from "../tests/helpers/cli.ts";
import { serveFolder, startExecuteEnv } from "../tests/helpers/execute_env.ts";
import { addWheels, pyproject, runTool, toolCommand } from "../tests/helpers/wheel_index.ts";

const WHEELS = ["alpha", "bravo", "charlie", "delta", "echo"].map((name) => ({ name: `bench${name}`, version: "1.0" }));
const MARKER = "first output line";

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The agent's own "Setup timings" line of the last run (where the time went). */
let lastTimings = "";

async function timeToMarker(argv: string[], env: Record<string, string>): Promise<number> {
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), { args: argv, env, stdout: "piped", stderr: "piped" }).spawn();
  let seen = -1;
  let text = "";
  const errors = new Response(child.stderr).text();
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (seen < 0 && text.includes(MARKER)) seen = performance.now() - start;
  }
  await child.status;
  lastTimings = /Setup timings: .*/.exec(text)?.[0] ?? lastTimings;
  if (seen < 0) throw new Error(`marker never printed:\n${text}\n${await errors}`);
  return seen;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function show(label: string, runs: number[]): string {
  return `${label} median ${median(runs).toFixed(0)} ms (runs: ${runs.map((v) => v.toFixed(0)).join(", ")})`;
}

const env = await startExecuteEnv();
const server = serveFolder(join(env.dir, "index"));
try {
  await addWheels(join(env.dir, "index", "simple"), WHEELS);
  const index = `${server.url}/simple/`;
  const poetryCache = join(env.dir, "poetry-cache");
  const runEnv = {
    CLEARML_CONFIG_FILE: env.configFile,
    CLEARML_API_DEFAULT_REQ_METHOD: "POST",
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "/root",
    UV_INDEX_URL: index,
    PIP_INDEX_URL: index,
    POETRY_CACHE_DIR: poetryCache,
  };
  const toml = pyproject(
    index,
    WHEELS.map((w) => `${w.name}>=1.0`),
    "[tool.poetry]\npackage-mode = false\n",
    "bench",
  );
  for (const manager of ["uv", "poetry"] as const) {
    const tool = await toolCommand(manager);
    const repo = join(env.dir, `${manager}-project`);
    await Deno.mkdir(repo, { recursive: true });
    await Deno.writeTextFile(join(repo, "pyproject.toml"), toml);
    await runTool([...tool, "lock", ...(manager === "poetry" ? ["-n"] : ["--quiet"])], repo, runEnv);
    const git = ["git", "-c", "user.email=b@example.com", "-c", "user.name=bench"];
    await runTool([...git, "init", "-q", "-b", "main"], repo);
    await runTool([...git, "add", "."], repo);
    await runTool([...git, "commit", "-qm", "bench"], repo);

    const conf = JSON.parse(await Deno.readTextFile(env.configFile));
    conf.agent.package_manager = { type: manager };
    await Deno.writeTextFile(env.configFile, JSON.stringify(conf));
    const id = await env.createTask({
      repository: `file://${repo}`,
      branch: "main",
      entry_point: `-c "import benchalpha; print('first ' + 'output line')"`,
      binary: "python3",
    });
    const argv = agentCommand(["execute", "--id", id]);
    const cache = join(env.dir, "venvs-cache");
    await timeToMarker(argv, runEnv); // fills the tools' download caches
    const cold: number[] = [];
    for (let i = 0; i < 3; i++) {
      await Deno.remove(cache, { recursive: true }).catch(() => {});
      cold.push(await timeToMarker(argv, runEnv));
    }
    const coldTimings = lastTimings;
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push(await timeToMarker(argv, runEnv));

    const bare: number[] = [];
    for (let i = 0; i < 3; i++) {
      const copy = await Deno.makeTempDir({ dir: env.dir });
      for (const f of ["pyproject.toml", manager === "uv" ? "uv.lock" : "poetry.lock"]) {
        await Deno.copyFile(join(repo, f), join(copy, f));
      }
      const args = manager === "uv" ? ["sync", "--locked", "--quiet"] : ["install", "-n", "--quiet"];
      bare.push(
        await timed(() => runTool([...tool, ...args], copy, { ...runEnv, POETRY_VIRTUALENVS_IN_PROJECT: "true" })),
      );
    }
    console.log(`${manager} project, cold task start (empty venv cache): ${show("", cold)}; last: ${coldTimings}`);
    console.log(`${manager} project, warm task start (venv cache hit):   ${show("", warm)}`);
    console.log(
      `bare \`${manager === "uv" ? "uv sync --locked" : "poetry install"}\` into a fresh .venv:  ${show("", bare)}`,
    );
  }
} finally {
  await server.close();
  await env.close();
}
