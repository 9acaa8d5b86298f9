/**
 * Where a new task's code comes from, worked out from the `clearml-task` style flags into the task's `script`
 * fields (server-api §7 (iv)):
 * - `--repo URL`: a remote repository; `--script` is a path inside it (relative to `--cwd`, default the root);
 * - `--repo PATH`, `--folder PATH`, or a `--script` file inside a git checkout: the checkout's remote, branch,
 *   commit and uncommitted diff of tracked files; untracked files cannot travel with the task (an error when they
 *   are the only change, a warning otherwise);
 * - a `--script` file outside any checkout (or in a plain `--folder`): a single-script task, the file's text in
 *   `script.diff` (the agent writes it back out and runs it);
 * - `--module NAME` instead of `--script`: the entry point `-m NAME`.
 *
 * @module
 */

import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { findRepoRoot, inspectLocalRepo, isGitUrl, isTracked } from "./local_repo.ts";
import { isDir, isFile } from "../fs_exists.ts";

/** The code flags of `task create`. */
export interface SourceFlags {
  repo?: string;
  branch?: string;
  commit?: string;
  folder?: string;
  script?: string;
  module?: string;
  binary?: string;
  cwd?: string;
}

/** The task's `script` fields (requirements aside) and what the user should be told. */
export interface ScriptSource {
  script: {
    repository: string;
    branch: string;
    version_num: string;
    entry_point: string;
    working_dir: string;
    diff: string;
    binary: string;
  };
  /** How the code was found: `remote`, `checkout`, `single-script`, `module`. */
  kind: "remote" | "checkout" | "single-script" | "module";
  /** Warnings for stderr. */
  notes: string[];
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

function posixRelative(from: string, to: string): string {
  return relative(from, to).split("\\").join("/") || ".";
}

function defaultBinary(flags: SourceFlags, entry: string): string {
  if (flags.binary) return flags.binary;
  return /\.(sh|bash)$/.test(entry) ? "bash" : "python3";
}

function entryOf(flags: SourceFlags): string {
  return flags.module ? `-m ${flags.module}` : "";
}

/** Normalise a path inside a remote repository: no `./`, no empty parts, forward slashes. */
function cleanRepoPath(path: string): string {
  return path.split(/[\\/]/).filter((p) => p && p !== ".").join("/");
}

function remoteSource(flags: SourceFlags): ScriptSource {
  const cwd = cleanRepoPath(flags.cwd ?? ".");
  if (flags.cwd && isAbsolute(flags.cwd)) {
    throw new Error(`--cwd "${flags.cwd}" must be relative to the repository root`);
  }
  let entry = flags.module ? entryOf(flags) : cleanRepoPath(flags.script ?? "");
  if (!flags.module && cwd && entry.startsWith(cwd + "/")) entry = entry.slice(cwd.length + 1);
  return {
    kind: "remote",
    notes: [],
    script: {
      repository: flags.repo!,
      branch: flags.branch ?? "",
      version_num: flags.commit ?? "",
      entry_point: entry,
      working_dir: cwd || ".",
      diff: "",
      binary: defaultBinary(flags, entry),
    },
  };
}

function scriptPath(flags: SourceFlags, base: string | undefined): string | undefined {
  if (!flags.script) return undefined;
  const direct = resolve(flags.script);
  if (isFile(direct)) return direct;
  const fromBase = base ? resolve(base, flags.script) : undefined;
  if (fromBase && isFile(fromBase)) return fromBase;
  throw new Error(
    `Script file "${flags.script}" not found: looked for "${direct}"${fromBase ? ` and "${fromBase}"` : ""}`,
  );
}

async function checkoutSource(flags: SourceFlags, root: string, script: string | undefined): Promise<ScriptSource> {
  const repo = await inspectLocalRepo(root);
  const notes: string[] = [];
  if (script) {
    if (!inside(root, script)) throw new Error(`Script "${script}" is outside the git checkout "${root}"`);
    if (!await isTracked(root, script)) {
      throw new Error(
        `Script "${posixRelative(root, script)}" is not tracked by git in "${root}": untracked files are not ` +
          "included in a task; git add it",
      );
    }
  }
  if (repo.untracked.length > 0) {
    const list = repo.untracked.slice(0, 5).join(", ") + (repo.untracked.length > 5 ? ", ..." : "");
    if (repo.diff === "") {
      throw new Error(
        `The only changes in "${root}" are untracked files, which are not included in a task: ${list}; ` +
          "git add them (or ignore them) first",
      );
    }
    notes.push(`Untracked files are not included in the task: ${list}`);
  }
  if (!repo.hasRemote) {
    notes.push(`Git checkout "${root}" has no remote: the task records its local path ${repo.repository}`);
  }
  let workDir = script ? dirname(script) : root;
  if (flags.cwd) {
    // Relative to the repository root first (the flag's documented meaning), else to this process's folder.
    const cwd = !isAbsolute(flags.cwd) && isDir(resolve(root, flags.cwd))
      ? resolve(root, flags.cwd)
      : resolve(flags.cwd);
    if (!isDir(cwd)) throw new Error(`Working directory "${flags.cwd}" not found`);
    if (!inside(root, cwd)) throw new Error(`Working directory "${flags.cwd}" is outside the git checkout "${root}"`);
    workDir = cwd;
  }
  const entry = flags.module ? entryOf(flags) : script ? posixRelative(workDir, script) : "";
  return {
    kind: "checkout",
    notes,
    script: {
      repository: repo.repository,
      branch: flags.branch ?? repo.branch,
      version_num: flags.commit ?? (flags.branch ? "" : repo.commit),
      entry_point: entry,
      working_dir: posixRelative(root, workDir),
      diff: repo.diff,
      binary: defaultBinary(flags, entry),
    },
  };
}

async function singleScript(flags: SourceFlags, script: string): Promise<ScriptSource> {
  if (flags.cwd) throw new Error(`--cwd "${flags.cwd}" needs a repository: a single script runs in its own folder`);
  const text = await Deno.readTextFile(script);
  const entry = basename(script);
  return {
    kind: "single-script",
    notes: [],
    script: {
      repository: "",
      branch: "",
      version_num: "",
      entry_point: entry,
      working_dir: ".",
      diff: text,
      binary: defaultBinary(flags, entry),
    },
  };
}

/** Work out the task's code from the flags (reads local files and runs git for local checkouts). */
export async function resolveScriptSource(flags: SourceFlags): Promise<ScriptSource> {
  if (!flags.script && !flags.module) throw new Error("Give the entry point: --script FILE or --module NAME");
  if (flags.script && flags.module) throw new Error("Give either --script or --module, not both");
  if (flags.branch && flags.commit) throw new Error("Give either --branch or --commit, not both");
  if (flags.repo && flags.folder) throw new Error("Give either --repo or --folder, not both");
  if (flags.repo && isGitUrl(flags.repo)) return remoteSource(flags);
  const local = flags.repo ?? flags.folder;
  if (local !== undefined) {
    const dir = resolve(local);
    const root = isDir(dir) ? await findRepoRoot(dir) : undefined;
    if (flags.repo !== undefined && !root) {
      throw new Error(`--repo "${flags.repo}" is neither a git URL nor a local git checkout`);
    }
    if (!isDir(dir)) throw new Error(`Folder "${local}" not found: looked for "${dir}"`);
    const script = scriptPath(flags, dir);
    if (root) return await checkoutSource(flags, root, script);
    if (!script) throw new Error(`Folder "${local}" is not a git checkout: --module needs a repository`);
    return await singleScript(flags, script);
  }
  if (flags.module) {
    return {
      kind: "module",
      notes: [],
      script: {
        repository: "",
        branch: "",
        version_num: "",
        entry_point: entryOf(flags),
        working_dir: ".",
        diff: "",
        binary: flags.binary ?? "python3",
      },
    };
  }
  const script = scriptPath(flags, undefined)!;
  const root = await findRepoRoot(dirname(script));
  return root ? await checkoutSource(flags, root, script) : await singleScript(flags, script);
}
