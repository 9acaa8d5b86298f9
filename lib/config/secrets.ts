/**
 * Registers the secret values of a loaded configuration with the redactor, so that they are masked in every
 * later line the agent prints or ships (logs, errors, command lines).
 *
 * @module
 */

import { registerSecret } from "../secrets/redact.ts";
import { schemaEntries } from "./schema.ts";
import { SCHEMA } from "./config_schema.ts";
import { getPath } from "./schema.ts";
import type { LoadedConfig } from "./load.ts";
import { isObject } from "./merge.ts";

const SECRET_KEY_NAMES = /secret|pass|token|account_key|access_key|^key$|password/i;
/** Sections that hold masking rules (key-name patterns such as "secret"), not secrets. */
const RULE_SECTIONS = new Set(["sanitize_config_printout", "hide_docker_command_env_vars"]);

function walk(value: unknown, key: string): void {
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) if (!RULE_SECTIONS.has(k)) walk(v, k);
  } else if (Array.isArray(value)) {
    for (const v of value) walk(v, key);
  } else if (typeof value === "string" && SECRET_KEY_NAMES.test(key)) {
    registerSecret(value);
  }
}

/** Register every secret value found in `loaded` (schema secrets and secret-looking keys anywhere). */
export function registerConfigSecrets(loaded: LoadedConfig): void {
  for (const { path, key } of schemaEntries(SCHEMA)) {
    if (!key.options.secret) continue;
    const value = getPath(loaded.tree, path);
    if (typeof value === "string") registerSecret(value);
  }
  walk(loaded.tree, "");
}
