/**
 * The stats tests' view of the shared fixtures (see `tests/helpers/fixtures.ts`).
 *
 * @module
 */

import { fixture, fixtureFiles as files } from "../helpers/fixtures.ts";

/** Absolute path of `<fixtures>/<rel>`. */
export function fixturePath(rel: string): string {
  return fixture(rel);
}

/** Names of the files in `<fixtures>/<dir>` ending with `ext`, sorted. */
export function fixtureFiles(dir: string, ext: string): string[] {
  return files(dir, ext);
}
