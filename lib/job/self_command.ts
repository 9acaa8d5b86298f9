/**
 * The command line that runs this agent again (the daemon's `execute` children, `--detached`): the compiled
 * binary is `Deno.execPath()` itself; from source it is `deno run -P=agent --quiet --config <repo>/deno.json
 * <repo>/main.ts`, the launcher contract's permission set.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** True when running as a `deno compile` binary. */
export function isCompiled(mainModule: string = Deno.mainModule): boolean {
  return mainModule.includes("/deno-compile-") || mainModule.includes("\\deno-compile-");
}

/** The repository root when running from source. */
export function sourceRoot(): string {
  return fileURLToPath(new URL("../../", import.meta.url)).replace(/[\\/]$/, "");
}

/** `[program, ...args]` that starts this agent; append the subcommand and its arguments. */
export function selfCommand(options: { compiled?: boolean; execPath?: string; root?: string } = {}): string[] {
  const exec = options.execPath ?? Deno.execPath();
  if (options.compiled ?? isCompiled()) return [exec];
  const root = options.root ?? sourceRoot();
  return [exec, "run", "-P=agent", "--quiet", "--config", `${root}/deno.json`, `${root}/main.ts`];
}
