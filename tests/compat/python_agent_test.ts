/**
 * The reference Python `clearml-agent` 3.0.3 against our server: `execute --id` and `daemon --queue` run an SDK
 * task to `completed` with its log on the server — our server speaks the protocol the reference agent uses.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CompatEnv, PY_DIR, startCompatEnv } from "./_env.ts";
import { runPythonAgentExecute, startPythonAgentDaemon, taskLog, waitStatus } from "./_agents.ts";

/** A local SDK run, cloned with `Args/lr` overridden and enqueued; resolves to the clone's id. */
async function queuedClone(env: CompatEnv): Promise<string> {
  const local = await env.py(["train.py"]);
  assert.equal(local.code, 0, local.out);
  const id = /^TASK (\w+)$/m.exec(local.out)![1];
  const r = await env.py([join(PY_DIR, "clone_edit.py"), id, "default", "tinypkg==0.1"]);
  assert.equal(r.code, 0, r.out);
  return /^CLONE (\w+)$/m.exec(r.out)![1];
}

async function assertRanToCompletion(env: CompatEnv, task: string, output: string): Promise<void> {
  const status = await waitStatus(env.client, task, ["completed", "failed", "stopped"], 5);
  const why = () => `${output.slice(-6000)}\n--- server trace\n${env.server.output().slice(-3000)}`;
  assert.equal(status, "completed", why());
  const log = await taskLog(env.client, task);
  assert.match(log, /ARGS lr=0\.7 epochs=2/, why());
  assert.match(log, /GENERAL batch=64 optimizer=sgd/);
  assert.match(log, /TINYPKG 0\.1/);
  // The reference agent writes the frozen packages back as a list of lines.
  const pip = (await env.client.ok("tasks.get_by_id", { task })).task.script.requirements.pip;
  assert.match(Array.isArray(pip) ? pip.join("\n") : String(pip), /^tinypkg==0\.1$/m);
}

Deno.test("Python clearml-agent 3.0.3 execute --id runs an SDK task from our server to completed", async () => {
  const env = await startCompatEnv();
  try {
    const task = await queuedClone(env);
    const r = await runPythonAgentExecute(env, task);
    assert.equal(r.code, 0, r.out);
    await assertRanToCompletion(env, task, r.out);
  } finally {
    await env.close();
  }
});

Deno.test("Python clearml-agent 3.0.3 daemon --queue pulls an SDK task from our server and completes it", async () => {
  const env = await startCompatEnv();
  const daemon = startPythonAgentDaemon(env);
  let output = "";
  try {
    const task = await queuedClone(env);
    const status = await waitStatus(env.client, task, ["completed", "failed", "stopped"], 300);
    output = daemon.output();
    assert.equal(status, "completed", output.slice(-6000));
    await assertRanToCompletion(env, task, output);
    const workers = await env.client.ok("workers.get_all", {});
    assert.ok(
      workers.workers.some((w: { id: string }) => w.id === "compat-python-agent:cpu"),
      JSON.stringify(workers.workers),
    );
  } finally {
    await daemon.stop();
    await env.close();
  }
});
