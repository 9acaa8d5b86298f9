/**
 * What a local git checkout says about itself, for `task create --folder/--script/--repo PATH`: its root, remote
 * URL, branch, commit, the uncommitted diff of tracked files (staged or not) and the untracked files, which a
 * task cannot carry. Runs the `git` binary; no credentials are ever stored (they are stripped from the remote
 * URL).
 *
 * @module
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** A local checkout's state. */
export interface LocalRepo {
  /** The checkout's top folder. */
  root: string;
  /** The remote URL (credentials removed), or `file://<root>` when the checkout has no remote. */
  repository: string;
  /** False when `repository` is the local path (only this machine can clone it). */
  hasRemote: boolean;
  /** The checked-out branch; empty on a detached HEAD. */
  branch: string;
  commit: string;
  /** `git diff HEAD` of tracked files (staged and unstaged); empty when clean. */
  diff: string;
  /** Untracked files that are not ignored, relative to `root`. */
  untracked: string[];
}

async function git(cwd: string, args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  let res: Deno.CommandOutput;
  try {
    res = await new Deno.Command("git", {
      args: ["-c", "core.quotepath=off", ...args],
      cwd,
      env: { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new Error(`Cannot run git: ${(err as Error).message}`, { cause: err });
  }
  const dec = new TextDecoder();
  return { ok: res.success, out: dec.decode(res.stdout), err: dec.decode(res.stderr).trim() };
}

/** The top folder of the git checkout containing `dir`, or undefined when `dir` is not in one. */
export async function findRepoRoot(dir: string): Promise<string | undefined> {
  const res = await git(dir, ["rev-parse", "--show-toplevel"]);
  return res.ok ? res.out.trim() : undefined;
}

/** True for a URL git can clone: `scheme://...` (http, https, ssh, git, file) or scp-like `user@host:path`. */
export function isGitUrl(text: string): boolean {
  if (/^(https?|ssh|git|git\+ssh|file):\/\/\S+$/i.test(text)) return true;
  return /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)\S+$/.test(text);
}

function stripUrlCredentials(url: string): string {
  if (!/^https?:\/\//i.test(url)) return url;
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url;
  }
}

async function remoteUrl(root: string): Promise<string | undefined> {
  const origin = await git(root, ["remote", "get-url", "origin"]);
  if (origin.ok && origin.out.trim()) return origin.out.trim();
  const remotes = await git(root, ["remote"]);
  const first = remotes.ok ? remotes.out.split("\n").map((l) => l.trim()).find(Boolean) : undefined;
  if (!first) return undefined;
  const url = await git(root, ["remote", "get-url", first]);
  return url.ok && url.out.trim() ? url.out.trim() : undefined;
}

/** Inspect the checkout whose top folder is `root`. Throws when it has no commit yet. */
export async function inspectLocalRepo(root: string): Promise<LocalRepo> {
  const head = await git(root, ["rev-parse", "--verify", "HEAD"]);
  if (!head.ok) throw new Error(`Git checkout "${root}" has no commit yet: commit the code first`);
  const branchRes = await git(root, ["rev-parse", "--abbrev-ref", "HEAD"]);
  const branch = branchRes.ok && branchRes.out.trim() !== "HEAD" ? branchRes.out.trim() : "";
  const diff = await git(root, ["diff", "HEAD", "--binary", "--no-color", "--no-ext-diff", "--submodule=diff"]);
  if (!diff.ok) throw new Error(`Cannot read the uncommitted changes of "${root}": ${diff.err}`);
  const others = await git(root, ["ls-files", "--others", "--exclude-standard", "-z"]);
  const remote = await remoteUrl(root);
  return {
    root,
    repository: remote ? stripUrlCredentials(remote) : pathToFileURL(resolve(root)).href,
    hasRemote: remote !== undefined,
    branch,
    commit: head.out.trim(),
    diff: diff.out,
    untracked: others.ok ? others.out.split("\0").filter(Boolean) : [],
  };
}

/** True when `file` (absolute) is tracked in the checkout at `root` (or staged to be). */
export async function isTracked(root: string, file: string): Promise<boolean> {
  const res = await git(root, ["ls-files", "--error-unmatch", "--", file]);
  return res.ok;
}
