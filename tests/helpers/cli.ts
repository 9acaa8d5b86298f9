/**
 * Run the CLI from source exactly as the launcher contract does (`deno run -P=agent main.ts`), with the
 * permission set of `deno.json`, and capture its output.
 *
 * @module
 */

import { sourceLauncher } from "../../lib/process/self_command.ts";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** Result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for `runCli`. */
export interface RunCliOptions {
  /** Environment added to (or, with `clearEnv`, replacing) the parent's. */
  env?: Record<string, string>;
  /** Start from an empty environment plus `env` (PATH and HOME are kept unless given). */
  clearEnv?: boolean;
  cwd?: string;
  stdin?: string;
  signal?: AbortSignal;
}

// `deno task test` sets INIT_CWD (the folder it was typed in); agent processes started by tests run in the folder the
// test chooses, not through a task, so they must not inherit it (lib/cli/user_folder.ts would move them there).
Deno.env.delete("INIT_CWD");

/** The argv that runs the agent from source with the launcher's permission set. */
export function agentCommand(args: readonly string[]): string[] {
  return [...sourceLauncher(Deno.execPath(), ROOT).slice(1), ...args];
}

/** Run `clearml-agent <args>` from source and collect stdout, stderr and the exit code. */
export async function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const env = options.clearEnv
    ? { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: Deno.env.get("HOME") ?? "/root", ...options.env }
    : options.env;
  const child = new Deno.Command(Deno.execPath(), {
    args: agentCommand(args),
    cwd: options.cwd ?? ROOT,
    env,
    clearEnv: options.clearEnv ?? false,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: options.signal,
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
