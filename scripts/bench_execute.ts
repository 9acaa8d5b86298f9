/**
 * Benchmark of `clearml-agent execute` (a measurement, not a test):
 * 1. warm caches: a one-line script task (repository in the vcs cache, venv in the venv cache), time from process
 *    start to its first output line, median of 5 runs;
 * 2. cold environment with 5 small real packages (uv, empty venv cache, warm uv download cache) vs a bare
 *    `uv venv` + `uv pip install` of the same set.
 *
 * Run: `npx deno run -A scripts/bench_execute.ts` (needs the embedded server, git, python3, uv via the tools dir).
 *
 * @module
 */

import { join } from "node:path";
import { agentCommand } from "../tests/helpers/cli.ts";
import { startExecuteEnv } from "../tests/helpers/execute_env.ts";
import { createGitFixture } from "../tests/helpers/git_repo.ts";
import { findUv } from "../lib/setup/python/installer.ts";

const PACKAGES = ["six==1.16.0", "idna==3.7", "attrs==23.2.0", "packaging==24.0", "tomli==2.0.1"];

async function timeToFirstLine(argv: string[], env: Record<string, string>, marker: string): Promise<number> {
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), { args: argv, env, stdout: "piped", stderr: "null" }).spawn();
  let seen = -1;
  let text = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (seen < 0 && text.includes(marker)) seen = performance.now() - start;
  }
  await child.status;
  if (seen < 0) throw new Error(`marker "${marker}" never printed:\n${text}`);
  return seen;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const env = await startExecuteEnv();
try {
  const fixture = await createGitFixture(env.dir);
  const baseEnv = {
    CLEARML_CONFIG_FILE: env.configFile,
    CLEARML_API_DEFAULT_REQ_METHOD: "POST",
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "/root",
  };
  const warmId = await env.createTask({
    repository: fixture.url,
    version_num: fixture.main,
    entry_point: "-c \"print('first ' + 'output line')\"",
    binary: "python3",
    requirements: { pip: "six==1.16.0" },
  });
  const argv = agentCommand(["execute", "--id", warmId]);
  await timeToFirstLine(argv, baseEnv, "first output line"); // fills the caches
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push(await timeToFirstLine(argv, baseEnv, "first output line"));
  console.log(
    `warm execute to first output line: median ${median(warm).toFixed(0)} ms (runs: ${
      warm.map((v) => v.toFixed(0)).join(", ")
    })`,
  );

  const uv = findUv(join(baseEnv.HOME, ".clearml", "tools"));
  if (!uv) throw new Error("uv not found (run an execute with package_manager.type uv first)");
  const python = "python3";
  const bare: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = await Deno.makeTempDir();
    const t0 = performance.now();
    await new Deno.Command(uv, { args: ["venv", "--quiet", "--python", python, join(dir, "v")] }).output();
    const out = await new Deno.Command(uv, {
      args: ["pip", "install", "--quiet", "--python", join(dir, "v", "bin", "python"), ...PACKAGES],
    }).output();
    if (!out.success) throw new Error("bare uv install failed");
    bare.push(performance.now() - t0);
    await Deno.remove(dir, { recursive: true });
  }
  const cold: number[] = [];
  for (let i = 0; i < 3; i++) {
    await Deno.remove(join(env.dir, "venvs-cache"), { recursive: true }).catch(() => {});
    const id = await env.createTask({
      repository: fixture.url,
      version_num: fixture.main,
      entry_point: "-c \"print('cold env ' + 'ready')\"",
      binary: "python3",
      requirements: { pip: PACKAGES.join("\n") },
    });
    cold.push(await timeToFirstLine(agentCommand(["execute", "--id", id]), baseEnv, "cold env ready"));
  }
  console.log(`bare uv venv + uv pip install of 5 packages: median ${median(bare).toFixed(0)} ms`);
  console.log(`cold execute (5 packages) to first output line: median ${median(cold).toFixed(0)} ms`);
  console.log(`ratio cold execute / bare uv: ${(median(cold) / median(bare)).toFixed(2)}`);
} finally {
  await env.close();
}
