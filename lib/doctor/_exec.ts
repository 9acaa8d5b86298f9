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
  const timeoutMs = options.timeoutMs ?? 10_000;
  const signal = AbortSignal.timeout(timeoutMs);
  const late = () => new Error(`"${program}" did not finish in ${timeoutMs} ms`);
  try {
    const out = await new Deno.Command(program, {
      args: [...args],
      env: { PATH: options.path },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
    // On the deadline Deno kills the child (SIGTERM) and the run ends with its signal status.
    if (signal.aborted) throw late();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (err) {
    if (signal.aborted) throw late();
    throw err;
  }
}
