/**
 * Locate `shared/fixtures` by walking up from the repository root. Fails loudly when it is not there: a test
 * that needs a fixture must never be skipped silently.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

function findFixtures(): string {
  for (let dir = ROOT;; dir = dirname(dir)) {
    const candidate = join(dir, "shared", "fixtures");
    try {
      if (Deno.statSync(candidate).isDirectory) return candidate;
    } catch {
      // keep walking up
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(`Cannot find "shared/fixtures" in "${ROOT}" or any folder above it`);
}

/** Absolute path of `shared/fixtures/<rel>`. */
export function fixturePath(rel: string): string {
  return join(findFixtures(), rel);
}

/** Names of the files in `shared/fixtures/<dir>` ending with `ext`, sorted. */
export function fixtureFiles(dir: string, ext: string): string[] {
  return [...Deno.readDirSync(fixturePath(dir))].map((e) => e.name).filter((n) => n.endsWith(ext)).sort();
}
