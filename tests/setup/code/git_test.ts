import assert from "node:assert/strict";
import { join } from "node:path";
import { VenvExecutor } from "../../../executors/venv.ts";
import type { CapturedResult, CommandExit, ExecCommand, OutputSink } from "../../../executors/executor.ts";
import { SetupError } from "../../../executors/executor.ts";
import { checkoutRepository } from "../../../lib/setup/code/checkout.ts";
import { applyDiff, conflictingFiles, isNoPrefixDiff } from "../../../lib/setup/code/diff.ts";
import { GitAuth, gitBaseEnv } from "../../../lib/setup/code/git_auth.ts";
import { ensureMirror } from "../../../lib/setup/code/vcs_cache.ts";
import { createGitFixture, type GitFixture, makeDiff } from "../../helpers/git_repo.ts";
import { serveGitHttp } from "../../helpers/git_http_server.ts";

/** An executor that records every argv it runs. */
class RecordingExecutor extends VenvExecutor {
  argvs: string[][] = [];
  override run(command: ExecCommand, output: OutputSink, signal?: AbortSignal): Promise<CommandExit> {
    this.argvs.push(command.argv);
    return super.run(command, output, signal);
  }
  override capture(command: ExecCommand, signal?: AbortSignal): Promise<CapturedResult> {
    return super.capture(command, signal);
  }
}

const tmp = await Deno.makeTempDir({ prefix: "clearml_git_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));
const fixture: GitFixture = await createGitFixture(tmp);
const diff = await makeDiff(fixture);
let counter = 0;

async function checkout(
  revision: { commit?: string; tag?: string; branch?: string },
  url = fixture.url,
  env = gitBaseEnv(),
) {
  const executor = new RecordingExecutor();
  const ctx = { executor, env };
  const said: string[] = [];
  const mirror = await ensureMirror(ctx, { url, root: join(tmp, "vcs"), revision, say: (l) => said.push(l) });
  const dest = join(tmp, `co${counter++}`);
  const result = await checkoutRepository(ctx, {
    source: mirror,
    url,
    dest,
    revision,
    fromMirror: true,
    say: () => {},
  });
  return { dest, result, said, executor, mirror };
}

Deno.test("checkoutRepository() checks out a branch, a tag and a commit from the mirror", async () => {
  const branch = await checkout({ branch: "feature" });
  assert.equal(branch.result.commit, fixture.feature);
  assert.match(await Deno.readTextFile(join(branch.dest, "src/app.py")), /feature version/);
  const tag = await checkout({ tag: "v1" });
  assert.equal(tag.result.commit, fixture.v1);
  const commit = await checkout({ commit: fixture.main });
  assert.equal(commit.result.commit, fixture.main);
  assert.match(await Deno.readTextFile(join(commit.dest, "src/app.py")), /version two/);
  assert.ok(commit.said.some((l) => l.includes("no fetch needed")), commit.said.join("\n"));
});

Deno.test("checkoutRepository() fails with the missing revision named", async () => {
  const err = await checkout({ commit: "0123456789abcdef0123456789abcdef01234567" }).catch((e) => e);
  assert.ok(err instanceof SetupError);
  assert.match(err.message, /Cannot find commit "0123456789abcdef0123456789abcdef01234567" in repository/);
  const missingBranch = await checkout({ branch: "nope" }).catch((e) => e);
  assert.match(missingBranch.message, /Cannot find branch "nope"/);
});

Deno.test("applyDiff() adds and edits files, and names conflicting files", async () => {
  const { dest } = await checkout({ commit: fixture.main });
  const ctx = { executor: new VenvExecutor(), env: gitBaseEnv() };
  await applyDiff(ctx, dest, diff);
  assert.match(await Deno.readTextFile(join(dest, "src/app.py")), /version two, patched/);
  assert.equal(await Deno.readTextFile(join(dest, "src/extra.py")), 'print("extra file")\n');
  const other = await checkout({ commit: fixture.feature });
  const err = await applyDiff(ctx, other.dest, diff).catch((e) => e);
  assert.ok(err instanceof SetupError);
  assert.match(err.message, /src\/app\.py/);
});

Deno.test("applyDiff() applies noprefix diffs", async () => {
  const { dest } = await checkout({ commit: fixture.main });
  const noprefix = diff.replace(/ a\//g, " ").replace(/ b\//g, " ").replace(/^--- a\//gm, "--- ").replace(
    /^\+\+\+ b\//gm,
    "+++ ",
  );
  assert.equal(isNoPrefixDiff(noprefix), true);
  assert.equal(isNoPrefixDiff(diff), false);
  await applyDiff({ executor: new VenvExecutor(), env: gitBaseEnv() }, dest, noprefix);
  assert.match(await Deno.readTextFile(join(dest, "src/app.py")), /patched/);
});

Deno.test("conflictingFiles() reads git apply's complaints", () => {
  assert.deepEqual(
    conflictingFiles("error: patch failed: src/a.py:3\nerror: src/a.py: patch does not apply\nU src/b.py\n"),
    ["src/a.py", "src/b.py"],
  );
});

Deno.test("GitAuth passes basic-auth credentials through GIT_ASKPASS, never in argv or the stored remote", async () => {
  const server = serveGitHttp(tmp, "alice", "pa55-word-xyz");
  try {
    const url = `${server.url}/project`;
    const denied = await checkout({ branch: "main" }, url).catch((e) => e);
    assert.ok(denied instanceof SetupError, String(denied));
    assert.match(denied.message, /Cannot clone repository/);
    const auth = await GitAuth.create("alice", "pa55-word-xyz");
    try {
      const ok = await checkout({ tag: "v1" }, url, { ...gitBaseEnv(), ...auth.env() });
      assert.equal(ok.result.commit, fixture.v1);
      assert.ok(server.users.length > 0);
      for (const argv of ok.executor.argvs) assert.ok(!argv.join(" ").includes("pa55-word-xyz"), argv.join(" "));
      const config = await Deno.readTextFile(join(ok.mirror, "config"));
      assert.ok(!config.includes("pa55"), config);
      assert.ok(!(await Deno.readTextFile(join(ok.dest, ".git/config"))).includes("pa55"));
    } finally {
      await auth.dispose();
    }
  } finally {
    await server.close();
  }
});
