/**
 * ClearML pipelines with the real `clearml` SDK against our server, their steps run by our daemons: a decorator
 * pipeline whose controller runs remotely on a `--services-mode` daemon, a pipeline of function steps, and a
 * pipeline of existing tasks (`add_step` with `base_task_id`). Steps are tiny pure-Python functions.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CompatEnv, scriptFolder, startCompatEnv } from "./_env.ts";
import { type AgentProcess, explain, HAS_OUR_DAEMON, startOurDaemon, taskLog, waitStatus } from "./_agents.ts";

const FINAL = ["completed", "failed", "stopped", "published"];

interface TaskRow {
  id: string;
  name: string;
  status: string;
  parent?: string;
}

/** The tasks whose parent is `parent` (a pipeline's steps). */
async function children(env: CompatEnv, parent: string): Promise<TaskRow[]> {
  const r = await env.client.ok("tasks.get_all", {
    parent,
    only_fields: ["id", "name", "status", "parent"],
    search_hidden: true,
  });
  return r.tasks;
}

/** Everything a failing pipeline scenario should show: each daemon's output and every task's log tail. */
async function explainAll(env: CompatEnv, daemons: AgentProcess[], local = ""): Promise<string> {
  const tasks = (await env.client.ok("tasks.get_all", { only_fields: ["id", "name", "status"], search_hidden: true }))
    .tasks as TaskRow[];
  const logs = await Promise.all(
    tasks.map(async (t) => `--- ${t.name} (${t.id}) ${t.status}\n${(await taskLog(env.client, t.id)).slice(-2500)}`),
  );
  return `--- local run\n${local.slice(-3000)}\n${logs.join("\n")}\n` +
    (await explain(env, undefined, daemons.map((d) => d.output().slice(-3000)).join("\n---\n")));
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    console.log(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

if (HAS_OUR_DAEMON) {
  Deno.test("SDK decorator pipeline: controller on a services-mode daemon, components on default, correct result", async () => {
    await timed("decorator pipeline", async () => {
      const env = await startCompatEnv();
      await env.client.ok("queues.create", { name: "services" });
      const daemons = [startOurDaemon(env), startOurDaemon(env, "services", { services: true })];
      try {
        const r = await env.py(["pipeline_decorator.py"]);
        assert.equal(r.code, 0, await explainAll(env, daemons, r.out));
        const controllers = (await env.client.ok("tasks.get_all", { type: ["controller"], search_hidden: true })).tasks;
        assert.equal(controllers.length, 1, await explainAll(env, daemons, r.out));
        const controller = controllers[0].id as string;
        const status = await waitStatus(env.client, controller, FINAL, 400);
        assert.equal(status, "completed", await explainAll(env, daemons, r.out));
        assert.match(await taskLog(env.client, controller), /PIPELINE RESULT 35/);
        const steps = await children(env, controller);
        assert.deepEqual(steps.map((s) => [s.name, s.status]).sort(), [["add", "completed"], ["times", "completed"]]);
        const times = steps.find((s) => s.name === "times")!;
        assert.match(await taskLog(env.client, times.id), /STEP times total=5 k=7/);
        const worker = (await env.client.ok("tasks.get_by_id", { task: controller })).task.last_worker as string;
        assert.ok(worker.startsWith("compat-services:cpu:service:"), `the controller ran on ${worker}`);
      } finally {
        for (const d of daemons) await d.stop();
        await env.close();
      }
    });
  });

  Deno.test("SDK pipeline of function steps: controller here, steps under our daemon, the result read back", async () => {
    await timed("function-step pipeline", async () => {
      const env = await startCompatEnv();
      const daemon = startOurDaemon(env);
      try {
        const dir = await scriptFolder(env, "pipeline_functions.py");
        const r = await env.py([join(dir, "pipeline_functions.py")], { cwd: dir, timeoutMs: 400_000 });
        assert.equal(r.code, 0, await explainAll(env, [daemon], r.out));
        assert.match(r.out, /PIPELINE RESULT 35/, await explainAll(env, [daemon], r.out));
        const controller = /^CONTROLLER (\w+)$/m.exec(r.out)![1];
        const steps = await children(env, controller);
        assert.deepEqual(
          steps.map((s) => [s.name, s.status]).sort(),
          [["step_one", "completed"], ["step_two", "completed"]],
        );
      } finally {
        await daemon.stop();
        await env.close();
      }
    });
  });

  Deno.test("SDK pipeline of existing tasks: two add_step clones with overrides complete under our daemon", async () => {
    await timed("pipeline from existing tasks", async () => {
      const env = await startCompatEnv();
      const daemon = startOurDaemon(env);
      try {
        const dir = await scriptFolder(env, "pipeline_tasks.py", "hello.py");
        const r = await env.py([join(dir, "pipeline_tasks.py"), join(dir, "hello.py")], {
          cwd: dir,
          timeoutMs: 400_000,
        });
        assert.equal(r.code, 0, await explainAll(env, [daemon], r.out));
        const step = (name: string) => new RegExp(`^STEP ${name} (\\w+)$`, "m").exec(r.out)?.[1];
        const [first, second] = [step("first"), step("second")];
        assert.ok(first && second, await explainAll(env, [daemon], r.out));
        for (const [id, greeting] of [[first, "first"], [second, "first-second"]]) {
          const task = (await env.client.ok("tasks.get_by_id", { task: id })).task;
          assert.equal(task.status, "completed", await explainAll(env, [daemon], r.out));
          assert.match(await taskLog(env.client, id), new RegExp(`HELLO greeting=${greeting}$`, "m"));
        }
      } finally {
        await daemon.stop();
        await env.close();
      }
    });
  });
}
