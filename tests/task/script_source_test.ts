/**
 * `resolveScriptSource()` with real git repositories: local checkouts (diff, untracked files, working folder),
 * remote URLs, single scripts, modules, and the bad-input lines.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveScriptSource } from "../../lib/task/script_source.ts";
import { createGitFixture } from "../helpers/git_repo.ts";

async function git(cwd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("git", { args, cwd, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

Deno.test("resolveScriptSource() reads local checkouts, remote URLs, single scripts and modules", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "script_source_" });
  try {
    const fx = await createGitFixture(dir);
    const app = join(fx.dir, "src", "app.py");

    await t.step("a checkout with an uncommitted change records repo, branch, commit and the diff", async () => {
      await Deno.writeTextFile(app, 'import helper\nprint("edited")\n');
      const src = await resolveScriptSource({ folder: fx.dir, script: "src/app.py" });
      assert.equal(src.kind, "checkout");
      assert.equal(src.script.repository, `file://${fx.dir}`);
      assert.equal(src.script.branch, "main");
      assert.equal(src.script.version_num, fx.main);
      assert.equal(src.script.entry_point, "app.py");
      assert.equal(src.script.working_dir, "src");
      assert.equal(src.script.binary, "python3");
      assert.match(src.script.diff, /^diff --git a\/src\/app.py b\/src\/app.py\n/);
      assert.match(src.script.diff, /\+print\("edited"\)/);
      assert.ok(src.notes.some((n) => n.includes("has no remote")), src.notes.join("\n"));
    });

    await t.step("the script may be a path of its own; --cwd sets the working folder", async () => {
      const src = await resolveScriptSource({ script: app, cwd: "." });
      assert.equal(src.kind, "checkout");
      assert.equal(src.script.entry_point, "src/app.py");
      assert.equal(src.script.working_dir, ".");
    });

    await t.step("staged new files are part of the diff; untracked ones are named in a warning", async () => {
      await Deno.writeTextFile(join(fx.dir, "src", "staged.py"), "x = 1\n");
      await git(fx.dir, "add", "src/staged.py");
      await Deno.writeTextFile(join(fx.dir, "notes.txt"), "scratch\n");
      const src = await resolveScriptSource({ folder: fx.dir, script: "src/app.py" });
      assert.match(src.script.diff, /diff --git a\/src\/staged.py b\/src\/staged.py\nnew file mode/);
      assert.ok(src.notes.includes("Untracked files are not included in the task: notes.txt"), src.notes.join("\n"));
      await git(fx.dir, "reset", "-q");
      await git(fx.dir, "checkout", "-q", "--", ".");
      await Deno.remove(join(fx.dir, "src", "staged.py"));
    });

    await t.step("untracked-only changes and an untracked script are errors that say so", async () => {
      await assert.rejects(
        resolveScriptSource({ folder: fx.dir, script: "src/app.py" }),
        /The only changes in ".*" are untracked files, which are not included in a task: notes\.txt/,
      );
      await assert.rejects(
        resolveScriptSource({ folder: fx.dir, script: "notes.txt" }),
        /Script "notes.txt" is not tracked by git .*untracked files are not included/,
      );
      await Deno.remove(join(fx.dir, "notes.txt"));
      const clean = await resolveScriptSource({ folder: fx.dir, script: "src/app.py", branch: "feature" });
      assert.equal(clean.script.diff, "");
      assert.equal(clean.script.branch, "feature");
      assert.equal(clean.script.version_num, "", "--branch means the latest commit of the branch");
    });

    await t.step("a remote URL keeps the flags as given, relative to --cwd", async () => {
      const src = await resolveScriptSource({
        repo: "https://github.com/example/project.git",
        script: "./src/train.py",
        cwd: "src",
        commit: "abc123",
      });
      assert.deepEqual(src.script, {
        repository: "https://github.com/example/project.git",
        branch: "",
        version_num: "abc123",
        entry_point: "train.py",
        working_dir: "src",
        diff: "",
        binary: "python3",
      });
      const scp = await resolveScriptSource({ repo: "git@github.com:example/project.git", module: "pkg.main" });
      assert.equal(scp.script.entry_point, "-m pkg.main");
    });

    await t.step("a script outside any checkout becomes a single-script task", async () => {
      const plain = join(dir, "plain");
      await Deno.mkdir(plain);
      await Deno.writeTextFile(join(plain, "job.sh"), "echo hi\n");
      const src = await resolveScriptSource({ script: join(plain, "job.sh") });
      assert.equal(src.kind, "single-script");
      assert.deepEqual(
        { ...src.script },
        {
          repository: "",
          branch: "",
          version_num: "",
          entry_point: "job.sh",
          working_dir: ".",
          diff: "echo hi\n",
          binary: "bash",
        },
      );
      const inFolder = await resolveScriptSource({ folder: plain, script: "job.sh", binary: "sh" });
      assert.equal(inFolder.script.binary, "sh");
      const mod = await resolveScriptSource({ module: "http.server" });
      assert.equal(mod.script.entry_point, "-m http.server");
    });

    await t.step("bad input is one clear error", async () => {
      const cases: [Parameters<typeof resolveScriptSource>[0], RegExp][] = [
        [{ repo: "not a repo", script: "x.py" }, /--repo "not a repo" is neither a git URL nor a local git checkout/],
        [{ repo: join(dir, "plain"), script: "job.sh" }, /is neither a git URL nor a local git checkout/],
        [{ script: join(dir, "missing.py") }, /Script file ".*missing.py" not found/],
        [{ folder: join(dir, "nope"), script: "x.py" }, /Folder ".*nope" not found/],
        [{ repo: fx.url, folder: fx.dir, script: "x.py" }, /either --repo or --folder/],
        [{ script: app, module: "m" }, /either --script or --module/],
        [{ script: app, branch: "main", commit: "abc" }, /either --branch or --commit/],
        [{}, /--script FILE or --module NAME/],
        [{ folder: fx.dir, script: "src/app.py", cwd: join(dir, "plain") }, /is outside the git checkout/],
      ];
      for (const [flags, error] of cases) {
        await assert.rejects(resolveScriptSource(flags), error, JSON.stringify(flags));
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
