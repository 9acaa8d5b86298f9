/**
 * The task's command line (agent-reference §6.8a): `<venv python> -u [-O..] <entry.py | -m module ...> [args]`
 * for Python tasks, `$SHELL <script>` / `$SHELL -c "..."` for shell tasks, run in `<repo>/<working_dir>`.
 *
 * @module
 */

import { isAbsolute, join, relative, resolve } from "node:path";
import { shlexSplit } from "../config/shlex.ts";
import { SetupError } from "../../executors/executor.ts";
import type { ExecutionInfo } from "./task_info.ts";
import { binaryKind } from "./task_info.ts";
import { isFile as fileExists } from "../fs_exists.ts";

/** Options of `buildRunCommand`. */
export interface RunCommandOptions {
  info: ExecutionInfo;
  /** Root of the code (repository checkout or the single-script folder). */
  codeRoot: string;
  /** The venv's interpreter. */
  python: string;
  /** `-O` count. */
  optimization: number;
  /** Extra command-line arguments (the `Args` section when the task asks for it). */
  args: string[];
  /** `$SHELL` (default `/bin/bash`). */
  shell?: string;
  /** Environment used to expand `$VARS` in a `-m` entry point. */
  env?: Record<string, string | undefined>;
  /** File existence check (tests). */
  exists?: (path: string) => boolean;
}

/** A command ready to run. */
export interface RunCommand {
  argv: string[];
  cwd: string;
}

/** The folder the task runs in; throws when `working_dir` leaves the code root. */
export function scriptDir(codeRoot: string, workingDir: string): string {
  const dir = resolve(codeRoot, workingDir || ".");
  const rel = relative(codeRoot, dir);
  if (rel.startsWith("..") || isAbsolute(rel)) {
    throw new SetupError("start", `Working directory "${workingDir}" escapes the repository`);
  }
  return dir;
}

function expandVars(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a, b) => env[a ?? b] ?? m);
}

/** Build the task's command; throws `SetupError("start")` for a missing entry point. */
export function buildRunCommand(o: RunCommandOptions): RunCommand {
  const cwd = scriptDir(o.codeRoot, o.info.workingDir);
  const exists = o.exists ?? fileExists;
  const entry = o.info.entryPoint;
  if (!entry) throw new SetupError("start", "The task has no entry point");
  if (binaryKind(o.info.binary) === "shell") {
    const shell = o.shell || "/bin/bash";
    if (entry.startsWith("-c")) return { argv: [shell, "-c", entry.slice(2).trim(), ...o.args], cwd };
    const path = resolve(cwd, entry);
    if (!exists(path)) throw new SetupError("start", `Entry point "${entry}" not found in "${o.info.workingDir}"`);
    return { argv: [shell, path, ...o.args], cwd };
  }
  const py = [o.python, "-u", ...(o.optimization > 0 ? [`-${"O".repeat(o.optimization)}`] : [])];
  if (entry.startsWith("-m ") || entry.startsWith("-c ")) {
    const words = shlexSplit(expandVars(entry, o.env ?? {}));
    return { argv: [...py, ...words, ...o.args], cwd };
  }
  if (entry.endsWith(".ipynb")) {
    throw new SetupError("start", `Notebook entry points ("${entry}") are not supported yet`);
  }
  const path = join(cwd, entry);
  if (!exists(path)) throw new SetupError("start", `Entry point "${entry}" not found in "${o.info.workingDir}"`);
  return { argv: [...py, entry, ...o.args], cwd };
}
