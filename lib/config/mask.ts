/**
 * Secret masking for configuration printouts (reference §12.2, §8.7), stricter than the reference: besides the
 * `agent.sanitize_config_printout` patterns, access-key ids, storage keys and credential files are masked, and every
 * registered secret value is redacted wherever it appears.
 *
 * @module
 */

import { type ConfigTree, isObject } from "./merge.ts";
import { MASK, maskUrlPasswords, redact } from "../secrets/redact.ts";
import { DOCKER_SECRET_ENV } from "../secrets/secret_names.ts";

/** The value printed in place of a hidden configuration value. */
export const HIDDEN = "****";

/** Masking rules: key-name regexes (search semantics, as the reference). */
export interface MaskRules {
  hideSecrets: readonly string[];
  hideSecretsRecursive: readonly string[];
  dontHideSecrets: readonly string[];
  dockerCommands: readonly string[];
  urls: readonly string[];
  /** Extra env names whose `-e NAME=value` is masked in docker arguments. */
  dockerExtraKeys?: readonly string[];
}

/** Patterns we always hide on top of the configured ones. */
const ALWAYS_HIDDEN = ["access_key", "^key$", "credentials_json", "password", "passwd", "private"];

function compile(patterns: readonly string[]): RegExp[] {
  return patterns.flatMap((p) => {
    try {
      return [new RegExp(p)];
    } catch {
      return [];
    }
  });
}

/** Hide every value under a secret key; numbers and booleans are settings (`token_expiration_threshold_sec`). */
function hideAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hideAll);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideAll(v)]));
  if (value === null || value === undefined || value === "") return value;
  if (typeof value === "number" || typeof value === "boolean") return value;
  return HIDDEN;
}

/** The masking patterns themselves are not secrets (the packaged `hide_secrets` names their own key). */
const PATTERN_LISTS = "sanitize_config_printout";

function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  return value;
}

/** Mask secret values in docker arguments: `-e NAME=value` for secret names, and URL passwords. */
export function sanitizeDockerArgs(args: readonly string[], extraKeys: readonly string[] = []): string[] {
  const secretNames = new Set([...DOCKER_SECRET_ENV, ...extraKeys]);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const inline = /^(-e|--env)=(.*)$/.exec(arg);
    const envValue = inline ? inline[2] : (arg === "-e" || arg === "--env") && i + 1 < args.length ? args[i + 1] : null;
    if (envValue !== null) {
      const eq = envValue.indexOf("=");
      const name = eq > 0 ? envValue.slice(0, eq) : envValue;
      const masked = eq > 0 && secretNames.has(name) ? `${name}=${MASK}` : maskUrlPasswords(envValue);
      if (inline) out.push(`${inline[1]}=${masked}`);
      else out.push(arg, masked), i++;
      continue;
    }
    out.push(maskUrlPasswords(arg));
  }
  return out.map(redact);
}

/** A masked deep copy of `tree`. */
export function maskTree(tree: ConfigTree, rules: MaskRules): ConfigTree {
  const hide = compile([...rules.hideSecrets, ...ALWAYS_HIDDEN]);
  const hideRec = compile(rules.hideSecretsRecursive);
  const keep = compile(rules.dontHideSecrets);
  const docker = compile(rules.dockerCommands);
  const urls = compile(rules.urls);
  const test = (list: RegExp[], key: string) => list.some((re) => re.test(key));

  const walk = (node: ConfigTree): ConfigTree => {
    const out: ConfigTree = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === PATTERN_LISTS && isObject(value)) out[key] = value;
      else if (test(keep, key)) out[key] = isObject(value) ? walk(value) : value;
      else if (test(hideRec, key) || test(hide, key)) out[key] = hideAll(value);
      else if (test(urls, key)) out[key] = mapStrings(value, maskUrlPasswords);
      else if (test(docker, key)) {
        out[key] = Array.isArray(value)
          ? sanitizeDockerArgs(value.map(String), rules.dockerExtraKeys)
          : mapStrings(value, (s) => sanitizeDockerArgs([s], rules.dockerExtraKeys)[0]);
      } else if (isObject(value)) out[key] = walk(value);
      else if (Array.isArray(value)) out[key] = value.map((v) => isObject(v) ? walk(v) : mapStrings(v, redact));
      else out[key] = mapStrings(value, redact);
    }
    return out;
  };
  return walk(tree);
}
