/**
 * `runTask()` — the daemon side of one task — with a real `execute` child against the embedded server.
 */
import assert from "node:assert/strict";
import { runTask, type TaskRunnerOptions } from "../../lib/job/runner.ts";
import { selfCommand } from "../../lib/process/self_command.ts";
import { type DaemonEnv, startDaemonEnv } from "../helpers/daemon_env.ts";

function options(env: DaemonEnv, taskId: string, extra: Partial<TaskRunnerOptions> = {}): TaskRunnerOptions {
  const printed: string[] = [];
  return {
    client: env.client,
    taskId,
    workerId: "runner-test",
    self: selfCommand(),
    env: { ...env.env, CLEARML_WORKER_ID: "runner-test" },
    workDir: env.stateDir,
    spoolRoot: `${env.stateDir}/spool`,
    graceMs: 1_000,
    pingIntervalMs: 200,
    stdout: () => {},
    say: (line) => printed.push(line),
    ...extra,
  };
}

async function started(env: DaemonEnv, script: string): Promise<string> {
  const id = await env.createTask(script);
  await env.client.call("tasks.started", { task: id, force: true, status_message: "pulled by agent" });
  return id;
}

Deno.test("runTask() streams the output in order and maps the exit code, the signal and setup failures to reasons", async (t) => {
  const env = await startDaemonEnv();
  try {
    await t.step("exit code 3 → failed, worker execution exit code 3", async () => {
      const id = await started(env, `import sys\nfor i in range(300): print("line", i)\nsys.exit(3)`);
      const out = await runTask(options(env, id));
      assert.equal(out.exitCode, 3);
      assert.equal(out.logsDelivered, true);
      const task = await env.task(id);
      assert.deepEqual([task.status, task.status_reason], ["failed", "worker execution exit code 3"]);
      const lines = (await env.logLines(id)).filter((l) => l.startsWith("line "));
      assert.deepEqual(lines, Array.from({ length: 300 }, (_, i) => `line ${i}`));
      assert.equal((await env.logLines(id)).at(-1), "Process failed, exit code 3");
    });

    await t.step("a task killed by SIGKILL → failed, killed by signal 9", async () => {
      const id = await started(
        env,
        `import os, signal\nprint("bye", flush=True)\nos.kill(os.getpid(), signal.SIGKILL)`,
      );
      const out = await runTask(options(env, id));
      assert.equal(out.final.reason, "killed by signal 9");
      assert.equal((await env.task(id)).status_reason, "killed by signal 9");
    });

    await t.step("a setup failure → failed, setup failure: <why>", async () => {
      const { id } = await env.client.call<{ id: string }>("tasks.create", {
        name: "bad repo",
        type: "training",
        script: { repository: "file:///nonexistent/repo.git", branch: "main", entry_point: "x.py", binary: "python3" },
      });
      await env.client.call("tasks.started", { task: id, force: true });
      const out = await runTask(options(env, id));
      const task = await env.task(id);
      assert.equal(task.status, "failed");
      assert.match(String(task.status_reason), /^setup failure: /);
      assert.equal(out.final.call, "failed");
    });

    await t.step("shutdown → stopped, agent shutdown; the abort callback runs only on a user abort", async () => {
      const id = await started(env, `import time\nprint("up", flush=True)\ntime.sleep(60)`);
      const shutdown = new AbortController();
      const run = runTask(options(env, id, {
        shutdown: shutdown.signal,
        abortCallbackCmd: "echo callback ran for $CLEARML_TASK_ID",
      }));
      for (let i = 0; i < 100 && !(await env.logLines(id)).includes("up"); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      shutdown.abort();
      const out = await run;
      assert.equal(out.stopCause, "agent shutdown");
      const task = await env.task(id);
      assert.deepEqual([task.status, task.status_reason], ["stopped", "agent shutdown"]);
      assert.ok(!(await env.logLines(id)).some((l) => l.startsWith("callback ran")));
    });

    await t.step("a user abort runs CLEARML_AGENT_ABORT_CALLBACK_CMD, then stops the task: user abort", async () => {
      const id = await started(env, `import time\nprint("up", flush=True)\ntime.sleep(60)`);
      const run = runTask(options(env, id, { abortCallbackCmd: "echo callback ran for $CLEARML_TASK_ID" }));
      for (let i = 0; i < 100 && !(await env.logLines(id)).includes("up"); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await env.client.call("tasks.stop", { task: id });
      const out = await run;
      assert.equal(out.stopCause, "user abort");
      const lines = await env.logLines(id);
      assert.ok(lines.includes(`callback ran for ${id}`), lines.join("\n"));
      assert.deepEqual([(await env.task(id)).status, (await env.task(id)).status_reason], ["stopped", "user abort"]);
    });
  } finally {
    await env.close();
  }
});
