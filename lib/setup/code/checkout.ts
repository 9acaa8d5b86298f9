/**
 * A task's working copy, made from the repository cache with `git clone --shared` (no network, no object copy),
 * checked out at the task's commit, tag or branch, with submodules. Without a cache (`vcs_cache.enabled: false`)
 * it clones straight from the remote.
 *
 * @module
 */

import { git, type GitContext } from "./_git.ts";
import type { Revision } from "./vcs_cache.ts";
import { SetupError } from "../../../executors/executor.ts";

/** Options of `checkoutRepository`. */
export interface CheckoutOptions {
  /** Where to clone from: the cache mirror, or the remote URL. */
  source: string;
  /** The clean remote URL recorded as `origin`. */
  url: string;
  /** The working copy folder (must not exist). */
  dest: string;
  revision: Revision;
  /** True when `source` is a local mirror (clone with `--shared`). */
  fromMirror: boolean;
  say: (line: string) => void;
}

/** The result: the checked-out commit and branch. */
export interface CheckoutResult {
  commit: string;
  branch: string;
}

function describe(revision: Revision): string {
  if (revision.commit) return `commit "${revision.commit}"`;
  if (revision.tag) return `tag "${revision.tag}"`;
  if (revision.branch) return `branch "${revision.branch}"`;
  return "the default branch";
}

/** Clone and check out; throws `SetupError("git")` naming the missing revision. */
export async function checkoutRepository(ctx: GitContext, options: CheckoutOptions): Promise<CheckoutResult> {
  const { dest, revision, url } = options;
  const cloneArgs = options.fromMirror
    ? ["clone", "--shared", "--no-checkout", "--quiet", options.source, dest]
    : ["clone", "--no-checkout", "--quiet", options.source, dest];
  await git(ctx, cloneArgs, { what: `Cannot clone repository "${url}"` });
  await git(ctx, ["remote", "set-url", "origin", url], { cwd: dest, what: "Cannot set the origin URL" });
  const branch = revision.branch?.replace(/^origin\//, "") ?? "";
  let target: string;
  if (revision.commit) target = revision.commit;
  else if (revision.tag) target = `refs/tags/${revision.tag}`;
  else if (branch) target = `refs/remotes/origin/${branch}`;
  else target = "refs/remotes/origin/HEAD";
  const sha = (await git(ctx, ["rev-parse", "-q", "--verify", `${target}^{commit}`], {
    cwd: dest,
    what: `Cannot find ${describe(revision)} in repository "${url}"`,
  }).catch((err) => {
    if (err instanceof SetupError) {
      throw new SetupError("git", `Cannot find ${describe(revision)} in repository "${url}"`);
    }
    throw err;
  })).trim();
  const checkoutArgs = branch && !revision.commit && !revision.tag
    ? ["checkout", "--force", "--quiet", "-B", branch, sha]
    : ["checkout", "--force", "--quiet", sha];
  await git(ctx, checkoutArgs, { cwd: dest, what: `Cannot check out ${describe(revision)}` });
  try {
    await Deno.stat(`${dest}/.gitmodules`);
    options.say("updating submodules");
    await git(ctx, ["submodule", "update", "--init", "--recursive", "--quiet"], {
      cwd: dest,
      what: "Cannot update submodules",
    });
  } catch (err) {
    if (err instanceof SetupError) throw err;
  }
  options.say(`checked out ${describe(revision)} at ${sha}`);
  return { commit: sha, branch };
}
