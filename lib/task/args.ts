/**
 * The `Args` hyperparameter section as the task tools write it: `--args name=value ...` pairs parsed, then merged
 * into a task's `hyperparams` (the `clearml-task` CLI's `Args` section; server-api §4.2.7 item shape
 * `{section, name, value, type?, description?}`). Pure.
 *
 * @module
 */

import type { HyperParam } from "../api/types.ts";

/** One `name=value` pair. */
export interface ArgPair {
  name: string;
  value: string;
}

/** The hyperparameter section `--args` writes. */
export const ARGS_SECTION = "Args";

/**
 * Parse `name=value` words (the value may contain `=` and be empty; a leading `--` on the name is dropped).
 * Throws naming the first bad word.
 */
export function parseArgPairs(words: readonly string[]): ArgPair[] {
  const out: ArgPair[] = [];
  for (const word of words) {
    const eq = word.indexOf("=");
    const name = (eq < 0 ? word : word.slice(0, eq)).trim().replace(/^--?/, "");
    if (eq < 0 || name === "") {
      throw new Error(`"${word}" is not a name=value pair, e.g. lr=0.5`);
    }
    out.push({ name, value: word.slice(eq + 1) });
  }
  return out;
}

/**
 * A copy of `hyperparams` with the `Args` items of `pairs` set: existing items keep their type and description,
 * new ones are added (in the given order); other sections are untouched.
 */
export function withArgs(
  hyperparams: Record<string, Record<string, HyperParam>> | undefined,
  pairs: readonly ArgPair[],
): Record<string, Record<string, HyperParam>> {
  const out = structuredClone(hyperparams ?? {});
  if (pairs.length === 0) return out;
  const section = out[ARGS_SECTION] ?? {};
  for (const { name, value } of pairs) {
    section[name] = { ...(section[name] ?? {}), section: ARGS_SECTION, name, value };
  }
  out[ARGS_SECTION] = section;
  return out;
}
