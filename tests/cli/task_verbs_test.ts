/**
 * The `task` verbs that manage tasks (list, show, enqueue, dequeue, abort, reset, delete, create from a remote
 * URL or a single script) and the bad-input lines: unknown project, queue or task, a `--repo` that is neither a
 * URL nor a checkout, untracked-only changes, malformed flags. Nothing is written by a failed command.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createGitFixture } from "../helpers/git_repo.ts";
import { errorLine, startUserEnv, type UserEnv } from "./_user_env.ts";

async function taskCount(env: UserEnv): Promise<number> {
  const res = await env.cli(["task", "list", "--json", "--limit", "500"]);
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout).length;
}

Deno.test("task verbs manage tasks; bad input is one line, a non-zero exit and nothing written", async (t) => {
  const env = await startUserEnv();
  try {
    const fx = await createGitFixture(env.dir);
    const script = join(env.dir, "single.py");
    await Deno.writeTextFile(script, 'print("single")\n');
    const ids: Record<string, string> = {};
    const create = async (name: string, ...flags: string[]) => {
      const res = await env.cli(["task", "create", "--project", "Team/Verbs", "--name", name, ...flags]);
      assert.equal(res.code, 0, res.stderr);
      ids[name] = res.stdout.trim();
      return ids[name];
    };

    await t.step("create from a remote URL, a single script and with container flags", async () => {
      await create(
        "remote task",
        "--repo",
        "https://github.com/example/project.git",
        "--branch",
        "dev",
        "--script",
        "train.py",
        "--docker",
        "python:3.11",
        "--docker_args",
        "--shm-size=1g -e A=1",
        "--docker_bash_setup_script",
        "apt-get update",
        "--tags",
        "a",
        "b",
        "--task-type",
        "testing",
        "--output-uri",
        "s3://bucket/out",
      );
      await create("single script", "--script", script, "--packages", "six", "tqdm>=4");
      const remote = JSON.parse((await env.cli(["task", "show", ids["remote task"], "--json"])).stdout);
      assert.equal(remote.script.repository, "https://github.com/example/project.git");
      assert.equal(remote.script.branch, "dev");
      assert.deepEqual(remote.container, {
        image: "python:3.11",
        arguments: "--shm-size=1g -e A=1",
        setup_shell_script: "apt-get update",
      });
      assert.deepEqual(remote.tags, ["a", "b"]);
      assert.equal(remote.type, "testing");
      assert.equal(remote.output.destination, "s3://bucket/out");
      const single = JSON.parse((await env.cli(["task", "show", ids["single script"], "--json"])).stdout);
      assert.equal(single.script.repository, "");
      assert.equal(single.script.entry_point, "single.py");
      assert.equal(single.script.diff, 'print("single")\n');
      assert.equal(single.script.requirements.pip, "six\ntqdm>=4\n");
    });

    await t.step("list filters by project, status and queue, as a table or JSON", async () => {
      const enqueue = await env.cli(["task", "enqueue", ids["single script"]]);
      assert.equal(enqueue.code, 0, enqueue.stderr);
      const table = await env.cli(["task", "list", "--project", "Team/Verbs"]);
      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trimEnd().split("\n");
      assert.match(lines[0], /^ID {32}NAME +PROJECT +STATUS +TYPE +QUEUE +UPDATED$/);
      assert.equal(lines.length, 3);
      assert.match(
        table.stdout,
        new RegExp(`^${ids["single script"]}  single script +Team/Verbs +queued +training +default +\\d{4}-`, "m"),
      );
      const queued = JSON.parse(
        (await env.cli(["task", "list", "--status", "queued", "--queue", "default", "--json"])).stdout,
      );
      assert.deepEqual(queued.map((x: { id: string }) => x.id), [ids["single script"]]);
      assert.equal(queued[0].queue.name, "default");
      assert.equal(queued[0].project.name, "Team/Verbs");
      const none = await env.cli(["task", "list", "--status", "failed"]);
      assert.equal(none.stdout, "No tasks\n");
    });

    await t.step("dequeue, abort, reset and delete move the task as the server's state machine says", async () => {
      const id = ids["single script"];
      const dq = await env.cli(["task", "dequeue", id, "--json"]);
      assert.equal(dq.code, 0, dq.stderr);
      assert.deepEqual(JSON.parse(dq.stdout), { id, status: "created" });
      const abortDraft = await env.cli(["task", "abort", id]);
      assert.equal(abortDraft.code, 1);
      assert.match(errorLine(abortDraft), /is not queued or running: its status is "created"/);
      assert.equal((await env.cli(["task", "enqueue", "--id", id, "--queue", "default"])).code, 0);
      const abort = await env.cli(["task", "abort", id]);
      assert.equal(abort.code, 0, abort.stderr);
      assert.equal(abort.stdout, `Task ${id} aborted (status: stopped)\n`);
      const queue = await env.api.call<{ queues: { entries: unknown[] }[] }>("queues.get_all", { name: "^default$" });
      assert.deepEqual(queue.queues[0].entries, [], "the aborted task left the queue");
      const del = await env.cli(["task", "delete", id]);
      assert.equal(del.code, 1);
      assert.match(errorLine(del), /is not a draft \(status "stopped"\): delete it with --force/);
      assert.equal((await env.cli(["task", "reset", id])).stdout, `Task ${id} reset (status: created)\n`);
      assert.equal((await env.cli(["task", "delete", id])).stdout, `Task ${id} deleted\n`);
      const gone = await env.cli(["task", "show", id]);
      assert.equal(gone.code, 1);
      assert.equal(errorLine(gone), `clearml-agent: error: Unknown task "${id}": no task has this id or name`);
      const byName = await env.cli(["task", "show", "remote task"]);
      assert.match(byName.stdout, /^repository: +https:\/\/github.com\/example\/project.git$/m);
    });

    await t.step("bad input: one line, non-zero exit, no task made", async () => {
      await Deno.writeTextFile(join(fx.dir, "untracked.py"), "x = 1\n");
      const before = await taskCount(env);
      const base = ["task", "create", "--project", "Team/Verbs", "--name", "bad one"];
      const cases: [string[], number, RegExp][] = [
        [["task", "list", "--project", "No such project"], 1, /Unknown project "No such project"/],
        [[...base, "--script", script, "--queue", "nope"], 1, /Unknown queue "nope"/],
        [["task", "enqueue", "no-such-task"], 1, /Unknown task "no-such-task"/],
        [[...base, "--repo", "not-a-repo", "--script", "x.py"], 1, /--repo "not-a-repo" is neither a git URL nor/],
        [
          [...base, "--folder", fx.dir, "--script", "src/app.py"],
          1,
          /The only changes in ".*" are untracked files, which are not included in a task: untracked.py/,
        ],
        [[...base, "--script", script, "--args", "lr"], 2, /argument --args: "lr" is not a name=value pair/],
        [[...base, "--script", script, "--task-type", "nap"], 2, /--task-type/],
        [[...base, "--script", script, "--requirements", "/no/such/file"], 1, /Cannot read requirements file/],
        [["task", "create", "--project", "Team/Verbs", "--script", script], 2, /--name is required/],
        [[...base, "--base-task-id", "x", "--script", script], 2, /--script cannot be used with --base-task-id/],
        [["task", "list", "--status", "sleeping"], 2, /invalid choice: 'sleeping'/],
        [["task", "fly"], 2, /unknown verb "fly"/],
        [["task", "show"], 2, /expected a task id or name/],
      ];
      for (const [args, code, error] of cases) {
        const res = await env.cli(args);
        assert.equal(res.code, code, `${args.join(" ")}\n${res.stderr}`);
        assert.match(errorLine(res), error, args.join(" "));
      }
      assert.equal(await taskCount(env), before, "no task was made");
      const projects = await env.api.call<{ projects: unknown[] }>("projects.get_all", { name: "^No such" });
      assert.deepEqual(projects.projects, []);
    });

    await t.step("create --base-task-id clones with overrides; task help lists the verbs", async () => {
      const res = await env.cli([
        "task",
        "create",
        "--base-task-id",
        ids["remote task"],
        "--name",
        "from base",
        "--args",
        "seed=7",
        "--requirements",
        join(fx.dir, "src", "helper.py"),
      ]);
      assert.equal(res.code, 0, res.stderr);
      const task = JSON.parse((await env.cli(["task", "show", res.stdout.trim(), "--json"])).stdout);
      assert.equal(task.name, "from base");
      assert.equal(task.script.repository, "https://github.com/example/project.git");
      assert.equal(task.hyperparams.Args.seed.value, "7");
      assert.match(task.script.requirements.pip, /^def hello\(\):/);
      assert.equal(task.runtime._args_as_cli, true);
      const help = await env.cli(["task", "--help"]);
      for (
        const verb of ["create", "enqueue", "dequeue", "list", "show", "logs", "abort", "reset", "clone", "delete"]
      ) {
        assert.match(help.stdout, new RegExp(`^  ${verb} `, "m"));
      }
      const createHelp = await env.cli(["task", "create", "--help"]);
      assert.match(createHelp.stdout, /--docker_bash_setup_script <script>/);
    });
  } finally {
    await env.close();
  }
});
