/**
 * Locate the shared fixtures (`shared/fixtures`, next to the repository in this workplace): walks up from the
 * repository root. Fails loudly when they cannot be found — tests never skip silently.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { ROOT } from "./cli.ts";

function findFixtures(): string {
  const override = Deno.env.get("CLEARML_AGENT_FIXTURES");
  if (override) return override;
  let dir = ROOT;
  for (let i = 0; i < 8; i++) {
    for (const candidate of [join(dir, "shared", "fixtures"), join(dir, "..", "shared", "fixtures")]) {
      try {
        if (Deno.statSync(candidate).isDirectory) return candidate;
      } catch {
        // keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(
    `Cannot find "shared/fixtures" above "${ROOT}": set CLEARML_AGENT_FIXTURES to the fixtures folder`,
  );
}

/** The fixtures folder. */
export const FIXTURES: string = findFixtures();

/** Path of a fixture file, e.g. `fixture("clearml-conf", "agent-docs-clearml.conf")`. */
export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}
