/**
 * The folder the user typed the command in. From source the launcher is a Deno task (`npx deno task agent ...`,
 * `scripts/clearml-agent`), and Deno tasks run in the folder of `deno.json` — the repository — while the caller's
 * folder is in `INIT_CWD` (as npm scripts do). So that `--script hello.py`, `--folder .`, `--config-file`, `--target`,
 * `--data-dir` and every other relative path mean the user's files, the process moves to that folder first. Only
 * when it runs from source in the repository root (where the task put it): a compiled binary, or a process started
 * anywhere else, keeps its working folder. `INIT_CWD` is then removed from the environment so that processes this one
 * starts (daemons, tasks) are not moved again.
 *
 * @module
 */

import { resolve } from "node:path";
import { isCompiled, sourceRoot } from "../process/self_command.ts";
import { UsageError } from "./errors.ts";

/** Inputs of `enterUserFolder` (tests inject them). */
export interface UserFolderInput {
  env?: { get(name: string): string | undefined; delete(name: string): void };
  cwd?: string;
  root?: string;
  compiled?: boolean;
  chdir?: (dir: string) => void;
}

/** Move to the caller's folder when launched through a Deno/npm task; resolves to that folder, or `undefined`. */
export function enterUserFolder(input: UserFolderInput = {}): string | undefined {
  const env = input.env ?? Deno.env;
  const initCwd = env.get("INIT_CWD");
  if (!initCwd) return undefined;
  if (input.compiled ?? isCompiled()) return undefined;
  const cwd = resolve(input.cwd ?? Deno.cwd());
  if (cwd !== resolve(input.root ?? sourceRoot())) return undefined;
  env.delete("INIT_CWD");
  const target = resolve(initCwd);
  if (target === cwd) return undefined;
  try {
    (input.chdir ?? Deno.chdir)(target);
  } catch (err) {
    throw new UsageError(
      `Cannot work in the folder the command was typed in "${target}" (INIT_CWD): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return target;
}
