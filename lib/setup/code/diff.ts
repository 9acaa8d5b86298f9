/**
 * Applying a task's uncommitted changes (`script.diff`) with `git apply`, falling back to a three-way merge;
 * diffs recorded without `a/`/`b/` prefixes (`diff.noprefix`) are applied with `-p0`. A diff that does not apply
 * fails with the names of the files that conflict.
 *
 * @module
 */

import type { GitContext } from "./_git.ts";
import { SetupError } from "../../../executors/executor.ts";

/** True when the diff's headers carry no `a/` `b/` prefixes. */
export function isNoPrefixDiff(diff: string): boolean {
  const header = /^diff --git (\S+) (\S+)$/m.exec(diff);
  if (header) return !(header[1].startsWith("a/") && header[2].startsWith("b/"));
  const minus = /^--- (\S+)/m.exec(diff);
  return minus !== null && minus[1] !== "/dev/null" && !minus[1].startsWith("a/");
}

/** File names git complained about in its output. */
export function conflictingFiles(output: string): string[] {
  const files = new Set<string>();
  const patterns = [
    /^error: patch failed: (.+?):\d+$/gm,
    /^error: (.+?): (?:does not exist in index|already exists in working directory|patch does not apply|does not match index)$/gm,
    /^U (.+)$/gm,
    /^CONFLICT \(.+?\): .*? in (.+)$/gm,
    /^Applied patch to '(.+?)' with conflicts\.$/gm,
  ];
  for (const re of patterns) for (const m of output.matchAll(re)) files.add(m[1]);
  return [...files].sort();
}

/** Apply `diff` in `repoRoot`; throws `SetupError("diff")` listing conflicting files. */
export async function applyDiff(ctx: GitContext, repoRoot: string, diff: string): Promise<void> {
  const strip = isNoPrefixDiff(diff) ? ["-p0"] : [];
  const text = diff.endsWith("\n") ? diff + "\n" : diff + "\n\n";
  const run = (args: string[]) =>
    ctx.executor.capture({
      argv: ["git", "apply", "--whitespace=nowarn", "--unidiff-zero", ...strip, ...args],
      cwd: repoRoot,
      env: ctx.env,
      stdin: text,
    }, ctx.signal);
  const plain = await run([]);
  if (plain.code === 0) return;
  const threeWay = await run(["--3way"]);
  if (threeWay.code === 0) {
    const conflicts = conflictingFiles(threeWay.stderr + threeWay.stdout);
    if (conflicts.length === 0) return;
    throw new SetupError("diff", `Uncommitted changes conflict in ${conflicts.map((f) => `"${f}"`).join(", ")}`);
  }
  const files = conflictingFiles(plain.stderr + "\n" + threeWay.stderr);
  const where = files.length ? ` in ${files.map((f) => `"${f}"`).join(", ")}` : "";
  const detail = (threeWay.stderr || plain.stderr).split("\n").find((l) => l.startsWith("error:")) ?? "";
  throw new SetupError("diff", `Uncommitted changes do not apply${where}${where ? "" : `: ${detail}`}`);
}
