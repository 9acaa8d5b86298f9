/**
 * Finding programs on a PATH and running them with a deadline, for the doctor checks.
 *
 * @module
 */

import { join } from "node:path";

/** The first executable file called `name` in the folders of `path` (a PATH value). */
export function findExecutable(name: string, path: string): string | undefined {
  for (const dir of path.split(":")) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && (info.mode === null || (info.mode & 0o111) !== 0)) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** What a program printed and how it exited. */
export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `program args` with PATH set to `path`, stdin closed, and a deadline (the child is killed when it passes).
 * Throws when the program cannot start or runs past the deadline.
 */
export async function runWithDeadline(
  program: string,
  args: readonly string[],
  options: { path: string; timeoutMs?: number },
): Promise<RunOutput> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  try {
    const out = await new Deno.Command(program, {
      args: [...args],
      env: { PATH: options.path },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (err) {
    if (signal.aborted) throw new Error(`"${program}" did not finish in ${options.timeoutMs ?? 10_000} ms`);
    throw err;
  }
}
