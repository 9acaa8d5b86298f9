/**
 * What a task's configuration file may hold, and what goes to the task by environment instead: the API
 * credentials (`CLEARML_API_ACCESS_KEY` / `CLEARML_API_SECRET_KEY`, which the SDK and this agent read before the
 * file), the git password (`CLEARML_AGENT_GIT_PASS`) and the `environment {}` values never reach the disk; the
 * file keeps the rest. An `execute` run writes the file for the task process; a container run writes it for
 * the agent inside (with `files {}` kept: the agent inside writes those files where the task runs).
 *
 * @module
 */

import type { AgentConfig } from "./config_schema.ts";
import { type ConfigTree, isObject } from "./merge.ts";
import { environmentSection } from "./config_sections.ts";

/** A configuration split in two: the tree to write, and the variables that carry what was taken out. */
export interface SplitConfig {
  tree: ConfigTree;
  env: Record<string, string>;
}

function take(tree: ConfigTree, path: string[]): unknown {
  let node: unknown = tree;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  if (!isObject(node)) return undefined;
  const last = path[path.length - 1];
  const value = node[last];
  delete node[last];
  return value;
}

/** The secrets taken out of the file, and the variable that carries each (its value as the agent resolved it). */
const MOVED: { path: string[]; name: string; value: (c: AgentConfig) => string | undefined }[] = [
  {
    path: ["api", "credentials", "access_key"],
    name: "CLEARML_API_ACCESS_KEY",
    value: (c) => c.api.credentials.access_key,
  },
  {
    path: ["api", "credentials", "secret_key"],
    name: "CLEARML_API_SECRET_KEY",
    value: (c) => c.api.credentials.secret_key,
  },
  { path: ["agent", "git_pass"], name: "CLEARML_AGENT_GIT_PASS", value: (c) => c.agent.git_pass },
];

/**
 * Split `tree` (not modified): secrets and `environment {}` (when `agent.apply_environment`) go to variables;
 * `files {}` is dropped unless `keepFiles` (the agent that applies them reads them from the file).
 */
export function splitTaskConfig(
  tree: ConfigTree,
  config: AgentConfig,
  options: { keepFiles?: boolean } = {},
): SplitConfig {
  const out = structuredClone(tree);
  const env: Record<string, string> = config.agent.apply_environment ? environmentSection(out) : {};
  delete out.environment;
  if (!options.keepFiles) delete out.files;
  for (const { path, name, value } of MOVED) {
    take(out, path);
    const resolved = value(config);
    if (resolved) env[name] = resolved;
  }
  return { tree: out, env };
}
