/**
 * Locate the shared fixtures: real clearml.conf files and real `nvidia-smi -q -x` captures.
 *
 * The source of truth is `shared/fixtures` next to the repository in this workplace; `tests/fixtures/shared` is a
 * byte-identical copy kept in the repository (refreshed by `scripts/sync_fixtures.sh`, checked by
 * `tests/fixtures_test.ts`) so that a clone elsewhere tests the same data. Order: `$CLEARML_AGENT_FIXTURES`, then
 * `shared/fixtures` in the repository's folder or any folder above it, then the in-repository copy.
 * Fails loudly when none exists: tests never skip silently.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** The in-repository copy of the fixtures. */
export const VENDORED_FIXTURES: string = join(ROOT, "tests", "fixtures", "shared");

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** The workplace's `shared/fixtures` above the repository, if there is one. */
export function upstreamFixtures(): string | undefined {
  for (let dir = ROOT;; dir = dirname(dir)) {
    const candidate = join(dir, "shared", "fixtures");
    if (isDir(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function findFixtures(): string {
  const override = Deno.env.get("CLEARML_AGENT_FIXTURES");
  if (override) return override;
  const found = upstreamFixtures() ?? (isDir(VENDORED_FIXTURES) ? VENDORED_FIXTURES : undefined);
  if (found) return found;
  throw new Error(`Cannot find "shared/fixtures" above "${ROOT}" nor "${VENDORED_FIXTURES}"`);
}

/** The fixtures folder. */
export const FIXTURES: string = findFixtures();

/** Path of a fixture file, e.g. `fixture("clearml-conf", "agent-docs-clearml.conf")`. */
export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

/** Names of the files in `<fixtures>/<dir>` ending with `ext`, sorted. */
export function fixtureFiles(dir: string, ext: string): string[] {
  return [...Deno.readDirSync(fixture(dir))].map((e) => e.name).filter((n) => n.endsWith(ext)).sort();
}
