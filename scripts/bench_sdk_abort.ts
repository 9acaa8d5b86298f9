/**
 * How long an aborted `clearml` SDK task takes to disappear under our daemon, default configuration
 * (`agent.abort_grace_s` 10). Each round sends `tests/compat/py/long.py` to the `default` queue with
 * `execute_remotely`, waits until our daemon runs it and it prints, stops it with the SDK's `mark_stopped()`, and
 * measures from the moment just before that call until no process of the task's tree is left (processes
 * whose environment has the task's `CLEARML_TASK_ID`; the process table is read every 10 ms). Needs the compatibility venv (`tests/compat/_venv.ts`, built on first use).
 *
 * Usage: `npx deno run -A scripts/bench_sdk_abort.ts [--rounds 3]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { PY_DIR, startCompatEnv } from "../tests/compat/_env.ts";
import { startOurDaemon, taskLog, waitStatus } from "../tests/compat/_agents.ts";

const { values } = parseArgs({ args: Deno.args, options: { rounds: { type: "string", default: "3" } } });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  throw new Error(`--rounds must be a positive integer, not "${values.rounds}"`);
}

/** Pids of live processes whose environment names the task (`CLEARML_TASK_ID`): the executor and the program. */
function treeOf(task: string): number[] {
  const marker = `CLEARML_TASK_ID=${task}\0`;
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (Deno.readTextFileSync(`/proc/${e.name}/environ`).includes(marker)) pids.push(Number(e.name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const env = await startCompatEnv();
const daemon = startOurDaemon(env);
const figures: number[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const r = await env.py(["long.py"]);
    if (r.code !== 0) throw new Error(`long.py failed:\n${r.out}`);
    const task = /^TASK (\w+)$/m.exec(r.out)![1];
    if (await waitStatus(env.client, task, ["in_progress"], 180) !== "in_progress") {
      throw new Error(`Task "${task}" did not start:\n${daemon.output().slice(-3000)}`);
    }
    for (let i = 0; i < 600 && !/^tick 3$/m.test(await taskLog(env.client, task)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (treeOf(task).length === 0) throw new Error(`No process of task "${task}" found`);
    const stopping = env.py([join(PY_DIR, "stop.py"), task]);
    const deadline = Date.now() + 120_000;
    while (treeOf(task).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const gone = Date.now();
    const stop = await stopping;
    if (stop.code !== 0) throw new Error(`stop.py failed:\n${stop.out}`);
    if (gone >= deadline) throw new Error(`The tree of task "${task}" outlived the stop by 120 s`);
    const stopped = (await env.client.ok("tasks.get_by_id", { task })).task;
    const ms = gone - Math.round(Number(/^STOPPING at ([\d.]+)$/m.exec(stop.out)![1]) * 1000);
    figures.push(ms);
    console.log(`round ${round}: status ${stopped.status}, process tree gone ${ms} ms after the stop`);
  }
} finally {
  await daemon.stop();
  await env.close();
}
figures.sort((a, b) => a - b);
console.log(
  `SDK task abort → process tree gone: median ${figures[Math.floor(figures.length / 2)]} ms, ` +
    `max ${figures[figures.length - 1]} ms over ${figures.length} rounds (abort_grace_s 10)`,
);
