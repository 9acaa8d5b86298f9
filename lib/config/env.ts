/**
 * Environment overrides of the configuration (reference §2.1 step 4 and §3.1):
 * - `CLEARML_AGENT__SECTION__KEY=value` → `section.key`, the value parsed as HOCON, in sorted variable order;
 * - the mapped variables declared on schema keys (`CLEARML_API_HOST` → `api.api_server`, ...), first non-empty
 *   name wins, an empty value counts as unset;
 * - `AZURE_STORAGE_ACCOUNT` + `AZURE_STORAGE_KEY` → an entry appended to `sdk.azure.storage.containers`.
 *
 * @module
 */

import { parseHocon } from "./hocon.ts";
import { ConfigError } from "./errors.ts";
import { type ConfigTree, deepMerge } from "./merge.ts";
import { getPath, schemaEntries, type SectionShape, setPath } from "./schema.ts";
import { coerce } from "./coerce.ts";

/** A read-only view of the environment. */
export type EnvLookup = (name: string) => string | undefined;

/** One applied override, for provenance and printing. */
export interface EnvOverride {
  variable: string;
  path: string;
}

const PREFIX = "CLEARML_AGENT__";

/** Apply every `CLEARML_AGENT__A__B=value` variable to `tree`; returns the new tree and what was applied. */
export function applyGenericOverrides(
  tree: ConfigTree,
  env: Record<string, string>,
): { tree: ConfigTree; applied: EnvOverride[] } {
  const applied: EnvOverride[] = [];
  let out = tree;
  for (const name of Object.keys(env).filter((n) => n.startsWith(PREFIX)).sort()) {
    const parts = name.slice(PREFIX.length).split("__").map((p) => p.toLowerCase());
    if (parts.some((p) => p === "" || !/^[a-z0-9_-]+$/.test(p))) {
      throw new ConfigError(`Invalid configuration variable "${name}": expected CLEARML_AGENT__SECTION__KEY`);
    }
    const path = parts.join(".");
    let parsed: ConfigTree;
    try {
      parsed = parseHocon(`${path}: ${env[name]}`, { filename: `$${name}`, env: (n) => env[n] });
    } catch (err) {
      throw new ConfigError(`Invalid value in variable "${name}": ${(err as Error).message}`, { cause: err });
    }
    out = deepMerge(out, parsed);
    applied.push({ variable: name, path });
  }
  return { tree: out, applied };
}

/** The first non-empty variable among `names`. */
export function firstSet(env: EnvLookup, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env(name);
    if (value !== undefined && value !== "") return { name, value };
  }
  return undefined;
}

/** Apply the schema's mapped variables (and the Azure pair) to `tree`, coercing each value to its key's kind. */
export function applyMappedVariables(
  tree: ConfigTree,
  schema: SectionShape,
  env: EnvLookup,
): { tree: ConfigTree; applied: EnvOverride[] } {
  const out = structuredClone(tree);
  const applied: EnvOverride[] = [];
  for (const { path, key } of schemaEntries(schema)) {
    if (!key.options.env) continue;
    const hit = firstSet(env, key.options.env);
    if (!hit) continue;
    setPath(out, path, coerce(key.kind, hit.value, { path, source: `$${hit.name}`, fromEnv: true }));
    applied.push({ variable: hit.name, path });
  }
  const account = env("AZURE_STORAGE_ACCOUNT");
  const accountKey = env("AZURE_STORAGE_KEY");
  if (account || accountKey) {
    const path = "sdk.azure.storage.containers";
    const prev = getPath(out, path);
    const containers = Array.isArray(prev) ? [...prev] : [];
    containers.push({ account_name: account ?? "", account_key: accountKey ?? "" });
    setPath(out, path, containers);
    applied.push({ variable: "AZURE_STORAGE_ACCOUNT", path });
  }
  return { tree: out, applied };
}
