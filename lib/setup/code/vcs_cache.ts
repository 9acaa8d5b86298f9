/**
 * The per-repository cache: a bare mirror under `agent.vcs_cache.path`, one per clean repository URL, refreshed
 * with `git fetch` only when the wanted revision is not already there. A new mirror is cloned aside and renamed
 * into place, so a failed clone never leaves a half-written entry; a lock file serializes agents on one mirror.
 *
 * @module
 */

import { join } from "node:path";
import { git, type GitContext, gitOk } from "./_git.ts";
import { repoCacheName } from "./git_url.ts";
import { SetupError } from "../../../executors/executor.ts";
import { exists } from "../../fs_exists.ts";

/** What revision a task wants. */
export interface Revision {
  commit?: string;
  tag?: string;
  branch?: string;
}

/** Options of `ensureMirror`. */
export interface MirrorOptions {
  /** The clean repository URL (no credentials). */
  url: string;
  /** `agent.vcs_cache.path` (expanded). */
  root: string;
  revision: Revision;
  /** `agent.vcs_cache.clone_on_pull_fail`. */
  cloneOnPullFail?: boolean;
  /** A message for the task log. */
  say: (line: string) => void;
}

/** True when the mirror already has what `revision` names (a branch always needs a fetch: it moves). */
async function hasRevision(ctx: GitContext, mirror: string, revision: Revision): Promise<boolean> {
  if (revision.commit) return await gitOk(ctx, ["cat-file", "-e", `${revision.commit}^{commit}`], mirror);
  if (revision.tag) {
    return await gitOk(ctx, ["rev-parse", "-q", "--verify", `refs/tags/${revision.tag}^{commit}`], mirror);
  }
  return false;
}

async function cloneMirror(ctx: GitContext, url: string, dir: string, say: (l: string) => void): Promise<void> {
  const tmp = `${dir}._tmp.${crypto.randomUUID().slice(0, 8)}`;
  say(`cloning: ${url}`);
  try {
    await git(ctx, ["clone", "--mirror", "--quiet", url, tmp], { what: `Cannot clone repository "${url}"` });
    await git(ctx, ["config", "gc.auto", "0"], { cwd: tmp, what: "Cannot configure the repository cache" });
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, dir);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** Hold the mirror's lock while `fn` runs. */
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const file = await Deno.open(path, { create: true, write: true });
  try {
    await file.lock(true);
    return await fn();
  } finally {
    file.close();
  }
}

/** Make sure a mirror of `url` holding `revision` exists; resolves to its path. */
export async function ensureMirror(ctx: GitContext, options: MirrorOptions): Promise<string> {
  const { url, root, revision, say } = options;
  await Deno.mkdir(root, { recursive: true });
  const name = repoCacheName(url);
  const dir = join(root, name);
  return await withLock(join(root, `${name}.lock`), async () => {
    if (!exists(join(dir, "HEAD"))) {
      await cloneMirror(ctx, url, dir, say);
      return dir;
    }
    say(`Using cached repository in "${dir}"`);
    if (await hasRevision(ctx, dir, revision)) {
      say("cached repository already has the requested revision, no fetch needed");
      return dir;
    }
    say("pulling git");
    try {
      await git(ctx, ["fetch", "--prune", "--tags", "--quiet", "origin"], {
        cwd: dir,
        what: `Cannot fetch repository "${url}"`,
      });
    } catch (err) {
      if (!options.cloneOnPullFail || !(err instanceof SetupError)) throw err;
      say(`fetch failed (${err.message}); cloning again`);
      await cloneMirror(ctx, url, dir, say);
    }
    say("pulling git completed");
    return dir;
  });
}
