/**
 * A temporary folder of small shell-script programs to put on PATH in doctor tests (`nvidia-smi`, `python3`, ...).
 *
 * @module
 */

import { join } from "node:path";

/** The folder, its PATH value, and cleanup. */
export interface FakeBin {
  dir: string;
  /** PATH: the fake folder, then /usr/bin:/bin (for `sh` and coreutils used by the scripts). */
  path: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Create the programs: name → script body (a `#!/bin/sh` line is added). A value starting with `->` is a symlink. */
export async function fakeBin(programs: Record<string, string>): Promise<FakeBin> {
  const dir = await Deno.makeTempDir({ prefix: "fake-bin-" });
  for (const [name, body] of Object.entries(programs)) {
    if (body.startsWith("->")) Deno.symlinkSync(join(dir, body.slice(2).trim()), join(dir, name));
    else Deno.writeTextFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return {
    dir,
    path: `${dir}:/usr/bin:/bin`,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
