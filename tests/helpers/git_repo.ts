/**
 * A local git repository fixture for execute tests: `main` with two commits (tag `v1` on the first), a `feature`
 * branch, a script that prints its version and a `requirements.txt`.
 *
 * @module
 */

import { join } from "node:path";

/** The fixture's facts. */
export interface GitFixture {
  /** Folder of the (non-bare) repository. */
  dir: string;
  /** `file://` URL. */
  url: string;
  /** Commit of tag `v1` (first commit on main). */
  v1: string;
  /** Head of main. */
  main: string;
  /** Head of branch `feature`. */
  feature: string;
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.email=t@example.com", "-c", "user.name=test", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`git ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout).trim();
}

/** Create the fixture repository under `parent`. */
export async function createGitFixture(parent: string, name = "project"): Promise<GitFixture> {
  const dir = join(parent, name);
  await Deno.mkdir(join(dir, "src"), { recursive: true });
  await git(dir, "init", "-q", "-b", "main");
  await Deno.writeTextFile(join(dir, "src", "app.py"), 'import helper\nprint("version one")\nhelper.hello()\n');
  await Deno.writeTextFile(join(dir, "src", "helper.py"), 'def hello():\n    print("hello from helper")\n');
  await Deno.writeTextFile(join(dir, "run.sh"), 'echo "shell says hi"\n');
  await git(dir, "add", ".");
  await git(dir, "commit", "-qm", "first");
  await git(dir, "tag", "v1");
  const v1 = await git(dir, "rev-parse", "HEAD");
  await Deno.writeTextFile(join(dir, "src", "app.py"), 'import helper\nprint("version two")\nhelper.hello()\n');
  await git(dir, "commit", "-qam", "second");
  const main = await git(dir, "rev-parse", "HEAD");
  await git(dir, "checkout", "-q", "-b", "feature");
  await Deno.writeTextFile(join(dir, "src", "app.py"), 'import helper\nprint("feature version")\nhelper.hello()\n');
  await git(dir, "commit", "-qam", "feature");
  const feature = await git(dir, "rev-parse", "HEAD");
  await git(dir, "checkout", "-q", "main");
  return { dir, url: `file://${dir}`, v1, main, feature };
}

/** A diff against `main` that edits `src/app.py` and adds `src/extra.py` (made with real git, then undone). */
export async function makeDiff(fixture: GitFixture): Promise<string> {
  const app = join(fixture.dir, "src", "app.py");
  const original = await Deno.readTextFile(app);
  await Deno.writeTextFile(app, original.replace("version two", "version two, patched"));
  await Deno.writeTextFile(join(fixture.dir, "src", "extra.py"), 'print("extra file")\n');
  await git(fixture.dir, "add", "-N", "src/extra.py");
  const diff = await git(fixture.dir, "diff");
  await git(fixture.dir, "reset", "-q");
  await git(fixture.dir, "checkout", "-q", "--", "src/app.py");
  await Deno.remove(join(fixture.dir, "src", "extra.py"));
  return diff + "\n";
}
