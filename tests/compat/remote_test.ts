/**
 * Remote execution with the real `clearml` SDK against our server, run by our agent: `execute_remotely`,
 * `Task.create` + `Task.enqueue`, the `clearml-task` CLI, and an abort through the SDK (`mark_stopped`).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CompatEnv, PY_DIR, scriptFolder, startCompatEnv } from "./_env.ts";
import {
  explain,
  HAS_OUR_DAEMON,
  OUR_AGENT_MODE,
  runQueuedWithOurAgent,
  startOurDaemon,
  taskLog,
  waitStatus,
} from "./_agents.ts";

async function assertRunsUnderOurAgent(env: CompatEnv, task: string, expectLog: RegExp): Promise<void> {
  const queued = (await env.client.ok("tasks.get_by_id", { task })).task;
  assert.equal(queued.status, "queued", JSON.stringify(queued.execution));
  const { status, output } = await runQueuedWithOurAgent(env, task);
  assert.equal(status, "completed", await explain(env, task, output));
  assert.match(await taskLog(env.client, task), expectLog, await explain(env, task, output));
}

Deno.test(`SDK execute_remotely() hands a local run to our agent (${OUR_AGENT_MODE}), which completes it`, async () => {
  const env = await startCompatEnv();
  try {
    const r = await env.py(["remote.py"]);
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /REMOTE running/, "execute_remotely() ended the local process");
    const task = /^TASK (\w+)$/m.exec(r.out)![1];
    await assertRunsUnderOurAgent(env, task, /REMOTE running where=local/);
  } finally {
    await env.close();
  }
});

Deno.test(`SDK Task.create() + Task.enqueue() of a single script completes under our agent (${OUR_AGENT_MODE})`, async () => {
  const env = await startCompatEnv();
  try {
    const dir = await scriptFolder(env, "hello.py");
    const r = await env.py([join(PY_DIR, "create_enqueue.py"), join(dir, "hello.py"), "default"], { cwd: dir });
    assert.equal(r.code, 0, r.out);
    const task = /^CREATED (\w+)$/m.exec(r.out)![1];
    const created = (await env.client.ok("tasks.get_by_id", { task })).task;
    assert.equal(created.hyperparams.Args.greeting.value, "created");
    assert.match(created.script.diff, /Task\.init|argparse/);
    await assertRunsUnderOurAgent(env, task, /HELLO greeting=created/);
  } finally {
    await env.close();
  }
});

Deno.test(`clearml-task CLI creates and enqueues a task that completes under our agent (${OUR_AGENT_MODE})`, async () => {
  const env = await startCompatEnv();
  try {
    const dir = await scriptFolder(env, "hello.py");
    const r = await env.tool("clearml-task", [
      "--project",
      "Compat",
      "--name",
      "clearml-task cli",
      "--script",
      "hello.py",
      "--args",
      "greeting=from-cli",
      "--packages",
      "clearml==2.1.12",
      "--queue",
      "default",
    ], { cwd: dir });
    assert.equal(r.code, 0, r.out);
    const task = /[Tt]ask id=(\w+)/.exec(r.out)?.[1];
    assert.ok(task, `clearml-task printed no task id:\n${r.out}`);
    await assertRunsUnderOurAgent(env, task, /HELLO greeting=from-cli/);
  } finally {
    await env.close();
  }
});

/** The `tick N` numbers in a task's log. */
async function ticks(env: CompatEnv, task: string): Promise<number[]> {
  return [...(await taskLog(env.client, task)).matchAll(/^tick (\d+)$/gm)].map((m) => Number(m[1]));
}

// The abort needs our daemon's abort watch (a plain `execute` has none): this test exists only on a checkout with
// our daemon, and the report of the branch says so.
if (HAS_OUR_DAEMON) {
  Deno.test("SDK mark_stopped() of a running task stops it through our daemon", async () => {
    const env = await startCompatEnv();
    const daemon = startOurDaemon(env);
    try {
      const r = await env.py(["long.py"]);
      assert.equal(r.code, 0, r.out);
      const task = /^TASK (\w+)$/m.exec(r.out)![1];
      assert.equal(await waitStatus(env.client, task, ["in_progress"], 120), "in_progress", daemon.output());
      // Wait (up to 60 s) until the program is really running, then stop it through the SDK.
      for (let i = 0; i < 120 && (await ticks(env, task)).length < 3; i++) await new Promise((r) => setTimeout(r, 500));
      assert.ok((await ticks(env, task)).length >= 3, await explain(env, task, daemon.output()));
      const stop = await env.py([join(PY_DIR, "stop.py"), task]);
      assert.equal(stop.code, 0, stop.out);
      assert.equal((await env.client.ok("tasks.get_by_id", { task })).task.status, "stopped");
      // The daemon notices within its status poll and kills the program: the ticks end, the status stays.
      let last = -1;
      let still = 0;
      for (let i = 0; i < 60 && still < 6; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const now = Math.max(-1, ...(await ticks(env, task)));
        still = now === last ? still + 1 : 0;
        last = now;
      }
      assert.ok(
        still >= 6,
        `the program kept printing after mark_stopped():\n${await explain(env, task, daemon.output())}`,
      );
      const log = await taskLog(env.client, task);
      assert.doesNotMatch(log, /LONG finished/);
      assert.equal((await env.client.ok("tasks.get_by_id", { task })).task.status, "stopped");
    } finally {
      await daemon.stop();
      await env.close();
    }
  });
}
