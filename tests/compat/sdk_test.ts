/**
 * The real `clearml` SDK against our server: a local run, then its clone with overrides under our agent.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CompatEnv, PY_DIR, startCompatEnv } from "./_env.ts";
import { explain, OUR_AGENT_MODE, runOurAgent, runQueuedWithOurAgent, taskLog } from "./_agents.ts";

/** Run `train.py` locally in the project; resolves to the task id. */
async function localRun(env: CompatEnv): Promise<{ id: string; out: string }> {
  const r = await env.py(["train.py", "--lr", "0.3"]);
  assert.equal(r.code, 0, `train.py failed:\n${r.out}\n${env.server.output().slice(-3000)}`);
  const id = /^TASK (\w+)$/m.exec(r.out)?.[1];
  assert.ok(id, `train.py printed no task id:\n${r.out}`);
  return { id, out: r.out };
}

Deno.test("SDK local run stores script info, hyperparameters, configuration, logs, scalars, plots and an artifact, and reads them back", async () => {
  const env = await startCompatEnv();
  try {
    const { id, out } = await localRun(env);
    assert.match(out, /ARGS lr=0\.3 epochs=2/);
    const task = (await env.client.ok("tasks.get_by_id", { task: id })).task;
    assert.equal(task.status, "completed");
    // Script info: repository, commit, uncommitted diff, entry point, requirements.
    const head = (await new Deno.Command("git", { args: ["rev-parse", "HEAD"], cwd: env.project }).output()).stdout;
    assert.equal(task.script.repository, env.originUrl);
    assert.equal(task.script.version_num, new TextDecoder().decode(head).trim());
    assert.equal(task.script.entry_point, "train.py");
    assert.match(task.script.diff, /\+print\("DIFF applied"\)/);
    assert.match(task.script.requirements.pip, /^clearml\s*==\s*2\.1\.12$/m);
    // Hyperparameters: argparse → Args/*, connect(dict) → General/*; configuration.
    assert.equal(task.hyperparams.Args.lr.value, "0.3");
    assert.equal(task.hyperparams.Args.epochs.value, "2");
    assert.equal(task.hyperparams.General.batch.value, "32");
    assert.equal(task.hyperparams.General.optimizer.value, "sgd");
    assert.equal(task.configuration.model_cfg.type, "dictionary");
    assert.match(task.configuration.model_cfg.value, /layers\s*=\s*2/);
    // Console output and scalars.
    assert.match(await taskLog(env.client, id), /GENERAL batch=32 optimizer=sgd/);
    const loss = Object.values(task.last_metrics as Record<string, Record<string, { metric: string; value: number }>>)
      .flatMap((m) => Object.values(m)).find((v) => v.metric === "loss");
    assert.equal(loss?.value, 0.5);
    assert.equal(task.last_iteration, 1);
    const scalars = await env.client.ok("events.get_task_events", { task: id, event_type: "training_stats_scalar" });
    assert.deepEqual(scalars.events.map((e: { iter: number; value: number }) => [e.iter, e.value]), [[0, 1], [1, 0.5]]);
    // The artifact went to our files server and can be read back.
    const stats = task.execution.artifacts.find((a: { key: string }) => a.key === "stats");
    assert.ok(stats?.uri?.startsWith(`${env.server.url}/files/`), JSON.stringify(stats));
    const blob = await fetch(stats.uri, { headers: { authorization: env.client.basicHeader() } });
    assert.deepEqual(await blob.json(), { rows: 10, lr: 0.3 });
    // And the SDK reads it all back.
    const back = await env.py([join(PY_DIR, "readback.py"), id]);
    assert.equal(back.code, 0, back.out);
    assert.match(back.out, /SCALARS loss\/train x=\[0, 1\] y=\[1(\.0)?, 0\.5\]/);
    assert.match(back.out, /PLOTS \['histogram'\]/);
    assert.match(back.out, /CONSOLE has ARGS: True/);
    assert.match(back.out, /ARTIFACT stats=\{'lr': 0\.3, 'rows': 10\}/); // downloaded from our files server
  } finally {
    await env.close();
  }
});

Deno.test(`SDK clone with overridden Args/lr, General/batch and requirements runs under our agent (${OUR_AGENT_MODE})`, async () => {
  const env = await startCompatEnv();
  try {
    const { id } = await localRun(env);
    const r = await env.py([join(PY_DIR, "clone_edit.py"), id, "default", "tinypkg==0.1"]);
    assert.equal(r.code, 0, r.out);
    const clone = /^CLONE (\w+)$/m.exec(r.out)![1];
    const queued = (await env.client.ok("tasks.get_by_id", { task: clone })).task;
    assert.equal(queued.status, "queued");
    assert.equal(queued.hyperparams.Args.lr.value, "0.7");
    const { status, output } = await runQueuedWithOurAgent(env, clone);
    assert.equal(status, "completed", await explain(env, clone, output));
    const log = await taskLog(env.client, clone);
    // The SDK inside our agent read the overrides back from the server.
    assert.match(log, /ARGS lr=0\.7 epochs=2/, await explain(env, clone, output));
    assert.match(log, /GENERAL batch=64 optimizer=sgd/);
    assert.match(log, /CONFIG layers=2/);
    // The uncommitted change of the local run was applied, and the edited requirements were installed.
    assert.match(log, /DIFF applied/);
    assert.match(log, /TINYPKG 0\.1/);
    const done = (await env.client.ok("tasks.get_by_id", { task: clone })).task;
    // Frozen back as the reference writes it: a list of lines.
    assert.ok(Array.isArray(done.script.requirements.pip), "frozen requirements are a list");
    const frozen = done.script.requirements.pip.join("\n");
    assert.match(frozen, /^tinypkg==0\.1$/m);
    assert.match(frozen, /^clearml==2\.1\.12$/m);
  } finally {
    await env.close();
  }
});

Deno.test(`our task clone overrides Args and packages of an SDK task, which completes under our agent (${OUR_AGENT_MODE})`, async () => {
  const env = await startCompatEnv();
  try {
    const { id } = await localRun(env);
    const r = await runOurAgent(
      env,
      [
        "task",
        "clone",
        id,
        "--args",
        "lr=0.9",
        "--packages",
        "clearml==2.1.12",
        "tinypkg==0.1",
        "--queue",
        "default",
        "--json",
      ],
      120,
      false,
    );
    assert.equal(r.code, 0, r.out);
    // stdout's JSON object; the notes on stderr come through the same pipe.
    const clone = JSON.parse(r.out.slice(r.out.search(/^\{/m), r.out.lastIndexOf("}") + 1)).id as string;
    const { status, output } = await runQueuedWithOurAgent(env, clone);
    assert.equal(status, "completed", await explain(env, clone, output));
    const log = await taskLog(env.client, clone);
    assert.match(log, /ARGS lr=0\.9 epochs=2/, await explain(env, clone, output));
    assert.match(log, /GENERAL batch=32 optimizer=sgd/);
    assert.match(log, /TINYPKG 0\.1/);
  } finally {
    await env.close();
  }
});
