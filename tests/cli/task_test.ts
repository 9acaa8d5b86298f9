/**
 * `clearml-agent task` end to end against the embedded server, with real git and Python: create from a local
 * checkout with an uncommitted change, enqueue, a daemon runs it while `task logs --follow` shows it live; clone
 * with an `Args` override, enqueue the clone, and the daemon runs it with the new value.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createGitFixture } from "../helpers/git_repo.ts";
import { startUserEnv } from "./_user_env.ts";
import { type DaemonProcess, spawnDaemon } from "../helpers/daemon_env.ts";

const SCRIPT = 'import sys\nprint("patched run", " ".join(sys.argv[1:]))\n';

Deno.test("task create from a local checkout runs with its uncommitted change; clone --args reaches the program", async (t) => {
  const env = await startUserEnv();
  let daemon: DaemonProcess | undefined;
  try {
    const fx = await createGitFixture(env.dir);
    await Deno.writeTextFile(join(fx.dir, "src", "app.py"), SCRIPT);
    let id = "";

    await t.step("create --queue records the checkout and the diff, and queues the task", async () => {
      const res = await env.cli([
        "task",
        "create",
        "--project",
        "Demo project",
        "--name",
        "local run",
        "--folder",
        fx.dir,
        "--script",
        "src/app.py",
        "--args",
        "lr=0.1",
        "epochs=2",
        "--queue",
        "default",
        "--json",
      ]);
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout);
      id = out.id;
      assert.match(id, /^[0-9a-f]{32}$/);
      assert.match(res.stderr, /has no remote: the task records its local path/);
      const show = await env.cli(["task", "show", id, "--json"]);
      assert.equal(show.code, 0, show.stderr);
      const task = JSON.parse(show.stdout);
      assert.equal(task.status, "queued");
      assert.equal(task.name, "local run");
      assert.equal(task.script.repository, `file://${fx.dir}`);
      assert.equal(task.script.branch, "main");
      assert.equal(task.script.version_num, fx.main);
      assert.equal(task.script.entry_point, "app.py");
      assert.equal(task.script.working_dir, "src");
      assert.match(task.script.diff, /\+print\("patched run"/);
      assert.deepEqual(task.runtime, { _CLEARML_TASK: true, _args_as_cli: true });
      assert.deepEqual(
        Object.values(task.hyperparams.Args).map((p) => [(p as { name: string }).name, (p as { value: string }).value]),
        [["lr", "0.1"], ["epochs", "2"]],
      );
      assert.equal(task.execution.queue, out.queue);
    });

    await t.step("logs --follow prints the run's output live and returns when the task completes", async () => {
      const follow = env.cli(["task", "logs", id, "--follow", "--poll-interval", "200"]);
      daemon = spawnDaemon(["daemon", "--queue", "default", "--foreground"], env.env);
      const logs = await follow;
      assert.equal(logs.code, 0, logs.stderr);
      const lines = logs.stdout.split("\n");
      assert.ok(lines.includes("patched run --lr=0.1 --epochs=2"), logs.stdout);
      assert.ok(lines.includes("Applying uncommitted changes"), logs.stdout);
      assert.equal(lines.filter((l) => l.startsWith("patched run")).length, 1, "no line twice");
      assert.equal(lines.filter(Boolean).at(-1), "Process completed successfully");
      const again = await env.cli(["task", "logs", id]);
      assert.equal(again.stdout, logs.stdout, "the whole log, once, without --follow");
    });

    await t.step("clone --args lr=0.5 then enqueue: the program receives lr=0.5", async () => {
      const clone = await env.cli(["task", "clone", id, "--args", "lr=0.5"]);
      assert.equal(clone.code, 0, clone.stderr);
      const cloneId = clone.stdout.trim();
      assert.match(cloneId, /^[0-9a-f]{32}$/);
      assert.notEqual(cloneId, id);
      const enqueue = await env.cli(["task", "enqueue", cloneId, "--queue", "default"]);
      assert.equal(enqueue.code, 0, enqueue.stderr);
      assert.equal(enqueue.stdout, `Task ${cloneId} queued in "default"\n`);
      const logs = await env.cli(["task", "logs", cloneId, "--follow", "--poll-interval", "200"]);
      assert.equal(logs.code, 0, logs.stderr + daemon?.output());
      assert.ok(logs.stdout.split("\n").includes("patched run --lr=0.5 --epochs=2"), logs.stdout);
      const show = await env.cli(["task", "show", cloneId]);
      assert.match(show.stdout, /^name: +Clone of local run$/m);
      assert.match(show.stdout, /^status: +completed/m);
      assert.match(show.stdout, /^args: +lr=0\.5 epochs=2$/m);
    });

    await t.step("clone --packages replaces the requirements; --no-args-as-cli leaves Args to the SDK", async () => {
      const clone = await env.cli(["task", "clone", id, "--name", "with six", "--packages", "six==1.16.0", "--json"]);
      assert.equal(clone.code, 0, clone.stderr);
      const task = JSON.parse((await env.cli(["task", "show", JSON.parse(clone.stdout).id, "--json"])).stdout);
      assert.equal(task.name, "with six");
      assert.equal(task.script.requirements.pip, "six==1.16.0\n");
      assert.equal(task.runtime._args_as_cli, true);
      const sdk = await env.cli([
        "task",
        "create",
        "--project",
        "Demo project",
        "--name",
        "sdk args",
        "--script",
        join(fx.dir, "src", "helper.py"),
        "--args",
        "x=1",
        "--no-args-as-cli",
      ]);
      assert.equal(sdk.code, 0, sdk.stderr);
      const sdkTask = JSON.parse((await env.cli(["task", "show", sdk.stdout.trim(), "--json"])).stdout);
      assert.deepEqual(sdkTask.runtime, { _CLEARML_TASK: true });
      assert.equal(sdkTask.status, "created");
    });
  } finally {
    if (daemon) assert.equal(await daemon.stop(), 0, daemon.output());
    await env.close();
  }
});
