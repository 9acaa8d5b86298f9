/**
 * Benchmark: wall time of `clearml-agent --version` from source with a warm Deno cache, through the launcher's
 * permission set. Prints the median and p90 over N runs for the direct `deno run -P=agent main.ts` form and for the
 * full `npx deno task agent` launcher (which adds npx and the task runner).
 *
 * Usage: `npx deno run -A scripts/bench_startup.ts [runs]`
 *
 * @module
 */

import { agentCommand, ROOT } from "../tests/helpers/cli.ts";

const runs = Number(Deno.args[0] ?? 20);

async function time(cmd: string, args: string[]): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "null", stderr: "null" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${out.code}`);
  return performance.now() - start;
}

function summary(label: string, samples: number[]): void {
  const s = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(1);
  console.log(`${label}: median ${pick(0.5)} ms, p90 ${pick(0.9)} ms, min ${s[0].toFixed(1)} ms (${s.length} runs)`);
}

await time(Deno.execPath(), agentCommand(["--version"])); // warm the cache
const direct: number[] = [];
const launcher: number[] = [];
for (let i = 0; i < runs; i++) {
  direct.push(await time(Deno.execPath(), agentCommand(["--version"])));
  launcher.push(await time("npx", ["deno", "task", "-q", "agent", "--version"]));
}
summary("deno run -P=agent main.ts --version", direct);
summary("npx deno task agent --version", launcher);
