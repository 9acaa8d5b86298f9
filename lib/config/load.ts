/**
 * Configuration loading, in the reference's order (§2.1), later wins:
 * built-in defaults < `CLEARML_CONFIG_PATH` folder < `~/trains.conf` < `~/clearml.conf`
 * (or only `--config-file` / `CLEARML_CONFIG_FILE`, exclusive) < `CLEARML_AGENT__SECTION__KEY` variables
 * < mapped variables (`CLEARML_API_HOST`, ...). Then derived values: `api.api_server` ↔ `api.host`,
 * `agent.worker_name` defaults to the host name.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { parseHocon } from "./hocon.ts";
import { ConfigError } from "./errors.ts";
import { type ConfigTree, deepMerge, isObject, leaves } from "./merge.ts";
import { getPath, Key, packagedDefaults, type SectionShape, setPath } from "./schema.ts";
import { type AgentConfig, SCHEMA } from "./config_schema.ts";
import { applyGenericOverrides, applyMappedVariables, type EnvLookup, firstSet } from "./env.ts";
import { coerce } from "./coerce.ts";
import { isFile as exists } from "../fs_exists.ts";

/** Options of `loadConfig`. */
export interface LoadConfigOptions {
  /** `--config-file`: use only this file; it must exist. */
  configFile?: string;
  /** The environment (default: the process environment). */
  env?: Record<string, string>;
  /** Home folder for `~/clearml.conf` and `~` expansion (default: `$HOME`). */
  home?: string;
  /** Host name for the default worker name (default: `Deno.hostname()`). */
  hostname?: string;
}

/** The result of loading. */
export interface LoadedConfig {
  /** The merged configuration tree, as files and variables gave it (unknown keys kept). */
  tree: ConfigTree;
  /** Every schema key with its coerced value, packaged default or fallback. */
  typed: AgentConfig;
  /** Files read, in order. */
  files: string[];
  /** "The" configuration file, for display (the explicit one, else the first existing default file). */
  configFile?: string;
  /** Where each leaf's value came from (`path` → file or `$VARIABLE`); defaults are absent. */
  sources: Map<string, string>;
  /** Human messages, e.g. which variables overrode keys. */
  notes: string[];
}

function readConf(path: string, env: EnvLookup): ConfigTree {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    throw new ConfigError(`Could not open configuration file "${resolve(path)}": ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseHocon(text, { filename: path, env });
}

function expandHome(path: string, home: string): string {
  return path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path;
}

function record(sources: Map<string, string>, tree: ConfigTree, source: string): void {
  for (const [path] of leaves(tree)) sources.set(path, source);
}

/** The files `loadConfig` reads, and the one it reports, for these options. */
export function configFiles(options: { configFile?: string; env: EnvLookup; home: string }): {
  files: string[];
  explicit: boolean;
} {
  if (options.configFile) return { files: [resolve(expandHome(options.configFile, options.home))], explicit: true };
  const fromEnv = firstSet(options.env, ["CLEARML_CONFIG_FILE", "TRAINS_CONFIG_FILE"]);
  if (fromEnv) return { files: [expandHome(fromEnv.value, options.home)], explicit: true };
  return {
    files: [join(options.home, "trains.conf"), join(options.home, "clearml.conf")].filter(exists),
    explicit: false,
  };
}

function typedView(shape: SectionShape, tree: ConfigTree, sources: Map<string, string>, prefix = ""): ConfigTree {
  const out: ConfigTree = {};
  for (const [name, spec] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (spec instanceof Key) {
      const raw = getPath(tree, path);
      const value = coerce(spec.kind, raw, { path, source: sources.get(path) });
      out[name] = value ?? spec.options.fallback ?? spec.options.packaged;
    } else {
      out[name] = typedView(spec, tree, sources, path);
    }
  }
  return out;
}

/** Load the effective configuration. Throws `ConfigError` for a missing explicit file, a syntax or type error. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const envRecord = options.env ?? Deno.env.toObject();
  const env: EnvLookup = (name) => envRecord[name];
  const home = options.home ?? envRecord.HOME ?? "/root";
  const sources = new Map<string, string>();
  const notes: string[] = [];
  let tree = packagedDefaults(SCHEMA);

  const extraDir = firstSet(env, ["CLEARML_CONFIG_PATH", "TRAINS_CONFIG_PATH"]);
  if (extraDir) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(extraDir.value)].filter((e) => e.isFile && e.name.endsWith(".conf"));
    } catch (err) {
      throw new ConfigError(`Could not read configuration folder "${extraDir.value}" (from $${extraDir.name})`, {
        cause: err,
      });
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const file = join(extraDir.value, entry.name);
      const layer = { [entry.name.slice(0, -".conf".length)]: readConf(file, env) };
      record(sources, layer, file);
      tree = deepMerge(tree, layer);
    }
  }

  const { files, explicit } = configFiles({ configFile: options.configFile, env, home });
  for (const file of files) {
    if (explicit && !exists(file)) throw new ConfigError(`Could not open configuration file "${file}": not found`);
    const layer = readConf(file, env);
    record(sources, layer, file);
    tree = deepMerge(tree, layer);
  }

  const generic = applyGenericOverrides(tree, envRecord);
  tree = generic.tree;
  for (const o of generic.applied) record(sources, { [o.path]: getPath(tree, o.path) }, `$${o.variable}`);
  const mapped = applyMappedVariables(tree, SCHEMA, env);
  tree = mapped.tree;
  for (const o of mapped.applied) {
    sources.set(o.path, `$${o.variable}`);
    notes.push(`Using environment variable ${o.variable} for ${o.path}`);
  }

  deriveValues(tree, options.hostname);
  const typed = typedView(SCHEMA, tree, sources) as unknown as AgentConfig;
  return { tree, typed, files, configFile: files[0], sources, notes };
}

function deriveValues(tree: ConfigTree, hostname?: string): void {
  const api = isObject(tree.api) ? tree.api : {};
  const server = (api.api_server || api.host) as string | undefined;
  if (typeof server === "string" && server !== "") {
    const clean = server.replace(/\/+$/, "");
    setPath(tree, "api.api_server", clean);
    setPath(tree, "api.host", clean);
  }
  if (!getPath(tree, "agent.worker_name")) {
    let host = hostname;
    if (host === undefined) {
      try {
        host = Deno.hostname();
      } catch {
        host = "localhost";
      }
    }
    setPath(tree, "agent.worker_name", host);
  }
}
