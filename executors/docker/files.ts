/**
 * What a task container gets from the host besides caches: its configuration (agent-reference §2.6: the agent's
 * effective configuration with container paths for the caches and folders, and the interpreter left to be found
 * inside), mounted as a 0600 file at `/tmp/clearml.conf`; the secret env file (0600, removed as soon as the
 * container started — the bind mount keeps it readable inside); and a run folder mounted read-write for the
 * entry script, the "agent started" marker and the agent's exit info. Everything lives in one 0700 folder per
 * run on the host, removed after the run.
 *
 * @module
 */

import { join } from "node:path";
import type { AgentConfig } from "../../lib/config/config_schema.ts";
import { type ConfigTree, isObject } from "../../lib/config/merge.ts";
import { envFileText } from "./spec.ts";
import { makeRunFolder } from "../../lib/process/run_folders.ts";

/** Container paths of the per-run files. */
export const CONTAINER_PATHS = {
  config: "/tmp/clearml.conf",
  envFile: "/opt/clearml/secrets.env",
  runDir: "/opt/clearml/run",
  entry: "/opt/clearml/run/entry.sh",
  exitInfo: "/opt/clearml/run/exit.json",
  started: "/opt/clearml/run/started",
  tools: "/opt/clearml/tools",
} as const;

function setPath(tree: ConfigTree, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as ConfigTree;
  }
  node[keys.at(-1)!] = value;
}

/** Options of `containerConfigTree`. */
export interface ContainerConfigOptions {
  config: AgentConfig;
  /** The host has a venv cache (its mount exists). */
  venvCache: boolean;
  /** The CUDA version the host detected, when the configuration gives none. */
  cuda?: string;
  /** `CLEARML_AGENT_FORCE_SYSTEM_SITE_PACKAGES` (default true in containers). */
  systemSitePackages: boolean;
}

/** The configuration the agent inside the container reads (a copy of `tree` with container paths). */
export function containerConfigTree(tree: ConfigTree, o: ContainerConfigOptions): ConfigTree {
  const out = structuredClone(tree);
  const m = o.config.agent.docker_internal_mounts;
  setPath(out, "sdk.storage.cache.default_base_dir", m.sdk_cache);
  setPath(out, "agent.pip_download_cache.path", m.pip_download);
  setPath(out, "agent.vcs_cache.path", m.vcs_cache);
  setPath(out, "agent.venvs_dir", m.venv_build);
  setPath(out, "agent.venvs_cache.path", o.venvCache ? m.venvs_cache : "");
  setPath(out, "agent.state_dir", "~/.clearml/agent");
  setPath(out, "agent.default_python", "");
  setPath(out, "agent.python_binary", "");
  if (!o.config.agent.cuda_version && o.cuda) setPath(out, "agent.cuda_version", o.cuda);
  setPath(out, "agent.package_manager.system_site_packages", o.systemSitePackages);
  return out;
}

/** Host paths of one run's files. */
export interface RunFiles {
  /** The run's folder (0700). */
  dir: string;
  config: string;
  envFile: string;
  /** Mounted read-write at `CONTAINER_PATHS.runDir`. */
  runDir: string;
  exitInfo: string;
  started: string;
}

/** Create the run folder under `base` and write the configuration, the env file and the entry script. */
export async function writeRunFiles(
  base: string,
  taskId: string,
  content: { tree: ConfigTree; secrets: Record<string, string>; entryScript: string },
): Promise<RunFiles> {
  // Named for this process: a successor removes it if this one dies mid-run (`sweepDeadRuns`).
  const dir = await makeRunFolder(base, taskId);
  const runDir = join(dir, "run");
  await Deno.mkdir(runDir, { mode: 0o700 });
  const files: RunFiles = {
    dir,
    config: join(dir, "clearml.conf"),
    envFile: join(dir, "secrets.env"),
    runDir,
    exitInfo: join(runDir, "exit.json"),
    started: join(runDir, "started"),
  };
  await writePrivate(files.config, JSON.stringify(content.tree, null, 2) + "\n");
  await writePrivate(files.envFile, envFileText(content.secrets));
  await writePrivate(join(runDir, "entry.sh"), content.entryScript, 0o700);
  return files;
}

async function writePrivate(path: string, text: string, mode = 0o600): Promise<void> {
  await Deno.writeTextFile(path, text, { mode });
  await Deno.chmod(path, mode);
}

/** Remove the env file (after the container started). */
export async function dropEnvFile(files: RunFiles): Promise<void> {
  await Deno.remove(files.envFile).catch(() => {});
}

/** Remove the run's folder. */
export async function removeRunFiles(files: RunFiles): Promise<void> {
  await Deno.remove(files.dir, { recursive: true }).catch(() => {});
}

/** True when the entry script reached the agent's start. */
export async function agentStarted(files: RunFiles): Promise<boolean> {
  try {
    await Deno.stat(files.started);
    return true;
  } catch {
    return false;
  }
}
