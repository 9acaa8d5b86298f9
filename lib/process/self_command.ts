/**
 * The command line that runs this agent again (the daemon's `execute` children, `--detached`, the service unit,
 * containers): the compiled binary is `Deno.execPath()` itself; from source it is
 * `deno run <LAUNCHER_FLAGS> --config <repo>/deno.json <repo>/main.ts`, the launcher contract. `LAUNCHER_FLAGS` is the
 * one list of run flags: the `agent` task of deno.json uses the same (checked by a test) and the compile script
 * bakes the same V8 flags into the binary.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/**
 * V8 flags of every agent process. A 1 MiB young generation instead of V8's default 16 MiB: the agent's processes
 * are long-lived and mostly idle, and it keeps an idle daemon about 20 MB smaller without slowing the server
 * (`scripts/bench_server.ts` measured the same throughput). `--expose-gc`: the daemon's rare full GC while idle
 * (`idle_gc.ts`), without which its memory creeps up.
 */
export const V8_FLAGS = "--max-semi-space-size=1,--expose-gc";

/** Flags of `deno run` from source: the permission set `agent` of deno.json, quiet, the V8 flags. */
export const LAUNCHER_FLAGS: readonly string[] = ["-P=agent", "--quiet", `--v8-flags=${V8_FLAGS}`];

/** `[deno, "run", ...flags, "--config", <root>/deno.json, <root>/main.ts]`: the source launcher. */
export function sourceLauncher(deno: string, root: string, configRoot = root): string[] {
  return [deno, "run", ...LAUNCHER_FLAGS, "--config", `${configRoot}/deno.json`, `${root}/main.ts`];
}

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
  return sourceLauncher(exec, root);
}
