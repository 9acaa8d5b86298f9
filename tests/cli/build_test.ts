/**
 * `clearml-agent build --id T --target DIR`: the task's code and venv built into DIR without running the task;
 * DIR's python runs the entry point. Bad input leaves no DIR. `--docker` waits for docker mode.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createGitFixture } from "../helpers/git_repo.ts";
import { makeTinyIndex, serveFolder } from "../helpers/execute_env.ts";
import { errorLine, finalErrorLine, startUserEnv } from "./_user_env.ts";

Deno.test("build --target makes a folder whose venv python runs the entry point", async (t) => {
  const env = await startUserEnv();
  const indexDir = join(env.dir, "index");
  await makeTinyIndex(indexDir);
  const index = serveFolder(indexDir);
  try {
    const fx = await createGitFixture(env.dir);
    await Deno.writeTextFile(
      join(fx.dir, "src", "app.py"),
      'import sys, tinypkg\nprint("built run", tinypkg.greet(), sys.prefix)\n',
    );
    const created = await env.cli([
      "task",
      "create",
      "--project",
      "Build project",
      "--name",
      "to build",
      "--folder",
      fx.dir,
      "--script",
      "src/app.py",
      "--packages",
      `--extra-index-url ${index.url}/simple`,
      "tinypkg==0.1",
    ]);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    const target = join(env.dir, "built");

    await t.step("the venv is the target, the code is in task_repository, the diff is applied", async () => {
      const res = await env.cli(["build", "--id", id, "--target", target]);
      assert.equal(res.code, 0, res.stdout + res.stderr);
      const code = join(target, "task_repository", "project");
      assert.match(res.stdout, new RegExp(`^Restoring running environment of task id \\[${id}\\]:\\n`));
      assert.match(res.stdout, /^ {2}tinypkg==0\.1$/m);
      assert.ok(res.stdout.includes(`Virtual environment: ${join(target, "bin")}\n`), res.stdout);
      assert.ok(res.stdout.includes(`Source code: ${code}\n`), res.stdout);
      assert.ok(res.stdout.includes(`Entry point: ${join(code, "src", "app.py")}\n`), res.stdout);
      const run = await new Deno.Command(join(target, "bin", "python"), {
        args: ["-u", "app.py"],
        cwd: join(code, "src"),
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
      assert.equal(new TextDecoder().decode(run.stdout), `built run tinypkg says hi ${target}\n`);
      const task = JSON.parse((await env.cli(["task", "show", id, "--json"])).stdout);
      assert.equal(task.status, "created", "build does not run the task");
      assert.equal(
        task.script.requirements.pip,
        `--extra-index-url ${index.url}/simple\ntinypkg==0.1\n`,
        "no write-back",
      );
      const siblings = [...Deno.readDirSync(env.dir)].map((e) => e.name).filter((n) => n.includes(".built.build-"));
      assert.deepEqual(siblings, [], "no staging folder left");
    });

    await t.step("--install-globally uses the system interpreter and makes no venv", async () => {
      const script = join(env.dir, "plain.py");
      await Deno.writeTextFile(script, 'print("plain")\n');
      const made = await env.cli([
        "task",
        "create",
        "--project",
        "Build project",
        "--name",
        "plain",
        "--script",
        script,
      ]);
      assert.equal(made.code, 0, made.stderr);
      const dir = join(env.dir, "global");
      const res = await env.cli(["build", "--id", made.stdout.trim(), "--target", dir, "--install-globally"]);
      assert.equal(res.code, 0, res.stderr);
      const python = /^Python: (\S+)$/m.exec(res.stdout)?.[1];
      assert.ok(python, res.stdout);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["task_repository"]);
      const run = await new Deno.Command(python, { args: [join(dir, "task_repository", "plain.py")], stdout: "piped" })
        .output();
      assert.equal(new TextDecoder().decode(run.stdout), "plain\n");
    });

    await t.step("bad input is one line and leaves no folder", async () => {
      const again = await env.cli(["build", "--id", id, "--target", target]);
      assert.equal(again.code, 1);
      assert.match(errorLine(again), /Target folder ".*built" already exists and is not empty/);
      const other = join(env.dir, "other");
      const cases: [string[], RegExp][] = [
        [
          ["build", "--id", id, "--target", other, "--python-version", "3.1"],
          /Python 3.1 requested by the task was not found/,
        ],
        [["build", "--id", "no-such-task", "--target", other], /Unknown task "no-such-task"/],
        [
          [
            "build",
            "--id",
            id,
            "--docker",
            "clearml-agent-test/no-such-image:0",
            "--force-docker",
            "--target",
            "img:1",
          ],
          /Cannot build task ".*": Docker image "clearml-agent-test\/no-such-image:0" is not available locally and cannot be pulled/,
        ],
      ];
      for (const [args, error] of cases) {
        const res = await env.cli(args);
        assert.equal(res.code, 1, res.stderr);
        assert.match(finalErrorLine(res), error);
      }
      assert.equal(await Deno.stat(other).then(() => true, () => false), false);
      const usage = await env.cli(["build", "--id", id, "--entry-point", "reuse_task"]);
      assert.equal(usage.code, 2);
    });
  } finally {
    await index.close();
    await env.close();
  }
});
