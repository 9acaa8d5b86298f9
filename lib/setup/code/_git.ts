/**
 * Running git through an executor: one helper that collects output and turns a failure into a `SetupError` with
 * git's own last error line.
 *
 * @module
 */

import { type Executor, SetupError } from "../../../executors/executor.ts";
import { redact } from "../../secrets/redact.ts";

/** Context of git commands. */
export interface GitContext {
  executor: Executor;
  /** Environment for git (askpass, prompts off). */
  env: Record<string, string>;
  signal?: AbortSignal;
}

/** The last meaningful line of git's stderr (`fatal: ...`, `error: ...`). */
export function gitErrorLine(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const fatal = lines.filter((l) => /^(fatal|error):/.test(l));
  return redact((fatal.at(-1) ?? lines.at(-1) ?? "").replace(/^(fatal|error):\s*/, ""));
}

/** Run `git args` in `cwd`; resolves to stdout, throws `SetupError(phase)` with `what` and git's error. */
export async function git(
  ctx: GitContext,
  args: string[],
  options: { cwd?: string; what: string; phase?: string; stdin?: string },
): Promise<string> {
  const res = await ctx.executor.capture(
    { argv: ["git", ...args], cwd: options.cwd, env: ctx.env, stdin: options.stdin },
    ctx.signal,
  );
  if (res.code !== 0) {
    throw new SetupError(options.phase ?? "git", `${options.what}: ${gitErrorLine(res.stderr) || `exit ${res.code}`}`);
  }
  return res.stdout;
}

/** Run git and report only whether it succeeded. */
export async function gitOk(ctx: GitContext, args: string[], cwd?: string): Promise<boolean> {
  const res = await ctx.executor.capture({ argv: ["git", ...args], cwd, env: ctx.env }, ctx.signal);
  return res.code === 0;
}
