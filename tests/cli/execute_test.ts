/**
 * End-to-end `clearml-agent execute` against the embedded server, with real git, Python and uv.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createGitFixture, makeDiff } from "../helpers/git_repo.ts";
import { serveGitHttp } from "../helpers/git_http_server.ts";
import { makeTinyIndex, serveFolder, startExecuteEnv } from "../helpers/execute_env.ts";

function after(lines: string[], marker: string): string[] {
  const at = lines.lastIndexOf(marker);
  return at < 0 ? [] : lines.slice(at + 1);
}

Deno.test("execute runs tasks end to end and fails bad input with one reason", async (t) => {
  const env = await startExecuteEnv({ git_user: "alice", git_pass: "git-pa55-e2e" });
  const fixture = await createGitFixture(env.dir);
  const diff = await makeDiff(fixture);
  const gitServer = serveGitHttp(env.dir, "alice", "git-pa55-e2e");
  const indexDir = join(env.dir, "index");
  await makeTinyIndex(indexDir);
  const index = serveFolder(indexDir);
  const script = { repository: fixture.url, entry_point: "app.py", working_dir: "src", binary: "python3" };
  try {
    await t.step("a branch task with a diff completes with its output on the server in order", async () => {
      const id = await env.createTask({ ...script, branch: "main", diff, requirements: { pip: "" } });
      const res = await env.execute(["--id", id]);
      assert.equal(res.code, 0, res.stdout + res.stderr);
      const task = await env.task(id);
      assert.equal(task.status, "completed");
      const lines = after(await env.logLines(id), "Starting Task Execution:").filter((l) => l.trim());
      assert.deepEqual(lines.slice(0, 2), ["version two, patched", "hello from helper"]);
      assert.equal(lines.at(-1), "Process completed successfully");
    });

    await t.step("tag and commit tasks check out the pinned revision", async () => {
      for (
        const [rev, want] of [[{ tag: "v1" }, "version one"], [{ version_num: fixture.feature }, "feature version"]]
      ) {
        const id = await env.createTask({ ...script, ...rev as Record<string, string>, requirements: { pip: "" } });
        const res = await env.execute(["--id", id]);
        assert.equal(res.code, 0, res.stderr);
        assert.ok(res.stdout.includes(want as string), res.stdout);
      }
    });

    await t.step("requirements from a local index and PyPI install once, then the venv cache is reused", async () => {
      const pip = `--extra-index-url ${index.url}/simple\ntinypkg==0.1\nsix==1.16.0\n`;
      const id = await env.createTask({
        repository: fixture.url,
        branch: "main",
        entry_point: '-c "import tinypkg, six; print(tinypkg.greet(), six.__version__)"',
        binary: "python3",
        requirements: { pip },
      });
      const first = await env.execute(["--id", id]);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(first.stdout, /tinypkg says hi 1\.16\.0/);
      assert.match(first.stdout, /Adding venv into cache/);
      const task = await env.task(id) as { script: { requirements: { pip: string[]; org_pip: string } } };
      assert.ok(Array.isArray(task.script.requirements.pip), "frozen requirements are a list, as the reference");
      assert.match(task.script.requirements.pip.join("\n"), /tinypkg==0\.1/);
      assert.equal(task.script.requirements.org_pip, pip);
      const second = await env.execute(["--id", id]);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /::: Using Cached environment /);
      assert.doesNotMatch(second.stdout, /Installing \d+ requirement/);
      assert.match(second.stdout, /no fetch needed|Using cached repository/);
    });

    await t.step(
      "a private HTTP repository is cloned with askpass; the password is in no argv and no log",
      async () => {
        const id = await env.createTask({
          repository: `${gitServer.url}/project`,
          branch: "main",
          entry_point:
            "-c \"import subprocess; print(subprocess.run(['ps','-eo','args'],capture_output=True,text=True).stdout)\"",
          binary: "python3",
          requirements: { pip: "" },
        });
        const res = await env.execute(["--id", id]);
        assert.equal(res.code, 0, res.stdout + res.stderr);
        assert.match(res.stdout, /execute --id/);
        assert.ok(!res.stdout.includes("git-pa55-e2e"), "password visible in ps output or stdout");
        assert.ok(!(await env.logLines(id)).join("\n").includes("git-pa55-e2e"));
        const task = JSON.stringify(await env.task(id));
        assert.ok(!task.includes("git-pa55-e2e"));
      },
    );

    await t.step("bad input ends the task failed with one reason and a non-zero exit", async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ ...script, branch: "no-such-branch" }, /Cannot find branch "no-such-branch"/],
        [{ ...script, version_num: "f".repeat(40) }, /Cannot find commit "f{40}"/],
        [{ ...script, repository: `${gitServer.url}/missing` }, /Cannot clone repository/],
        [{ ...script, branch: "feature", diff }, /Uncommitted changes (conflict|do not apply) in "src\/app.py"/],
        [
          { ...script, branch: "main", requirements: { pip: "no-such-package-xyz-123==9.9" } },
          /install failed: no matching distribution for no-such-package-xyz-123/,
        ],
        [{ ...script, branch: "main", binary: "python3.4" }, /Python 3.4 requested by the task was not found/],
        [
          { ...script, branch: "main", entry_point: "nope.py", requirements: { pip: "" } },
          /Entry point "nope.py" not found/,
        ],
        [
          { ...script, branch: "main", working_dir: "../..", requirements: { pip: "" } },
          /Working directory "..\/.." escapes the repository/,
        ],
      ];
      for (const [s, reason] of cases) {
        const id = await env.createTask(s);
        const res = await env.execute(["--id", id]);
        assert.notEqual(res.code, 0, JSON.stringify(s));
        assert.match(res.stderr, reason, res.stdout + res.stderr);
        const task = await env.task(id);
        assert.equal(task.status, "failed", JSON.stringify(s));
        assert.match(String(task.status_reason), reason);
      }
      const entries = [...Deno.readDirSync(join(env.dir, "venvs-cache"))].map((e) => e.name);
      assert.ok(!entries.some((n) => n.startsWith("_temp.")), entries.join(","));
      const unknown = await env.execute(["--id", "0".repeat(32)]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /Could not find task id=0{32}/);
      const notQueued = await env.createTask({ ...script, branch: "main" });
      const rq = await env.execute(["--id", notQueued, "--require-queue"]);
      assert.equal(rq.code, 1);
      assert.match(rq.stderr, /not queued/);
    });

    await t.step("a failing task propagates its exit code and ends failed", async () => {
      const id = await env.createTask({
        ...script,
        branch: "main",
        entry_point: '-c "import sys; sys.exit(3)"',
        requirements: { pip: "" },
      });
      const res = await env.execute(["--id", id]);
      assert.equal(res.code, 3);
      const task = await env.task(id);
      assert.equal(task.status, "failed");
      assert.equal(task.status_reason, "worker execution exit code 3");
    });
  } finally {
    await index.close();
    await gitServer.close();
    await env.close();
  }
});
