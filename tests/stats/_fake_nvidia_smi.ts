/**
 * A fake `nvidia-smi` for tests.
 *
 * @module
 */

/** A folder holding a fake `nvidia-smi` whose body is `script`; every run appends a line to `calls`. */
export async function fakeNvidiaSmi(script: string): Promise<{ dir: string; calls: () => number }> {
  const dir = await Deno.makeTempDir({ prefix: "fake-nvidia-smi-" });
  await Deno.writeTextFile(`${dir}/nvidia-smi`, `#!/bin/sh\necho "$@" >> "${dir}/calls"\n${script}\n`);
  await Deno.chmod(`${dir}/nvidia-smi`, 0o755);
  const calls = () => {
    try {
      return Deno.readTextFileSync(`${dir}/calls`).split("\n").filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  return { dir, calls };
}
