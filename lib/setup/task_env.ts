/**
 * The task process's environment (agent-reference §3.6) and its configuration file: the effective configuration
 * as JSON (valid HOCON), mode 0600, in the run folder.
 *
 * @module
 */

import { delimiter, join } from "node:path";
import { gpuEnvironment, parseGpuSpec } from "../gpus/spec.ts";

/** Options of `taskEnvironment`. */
export interface TaskEnvOptions {
  taskId: string;
  workerId: string;
  configFile: string;
  /** `--log-level` (default INFO). */
  logLevel: string;
  /** The venv folder (its `bin` goes first on PATH); empty in image mode (PATH and VIRTUAL_ENV untouched). */
  venvDir: string;
  /** Folders for PYTHONPATH, first first (script dir, entry dir). */
  pythonPath: string[];
  /** `--gpus`. */
  gpus?: string;
  cpuOnly: boolean;
  /** The current environment (PATH, PYTHONPATH, CLEARML_AGENT_EXTRA_PYTHON_PATH). */
  base: Record<string, string | undefined>;
}

/** The variables the task process gets on top of the agent's own environment. */
export function taskEnvironment(o: TaskEnvOptions): Record<string, string | undefined> {
  const both = (name: string, value: string) => ({ [`CLEARML_${name}`]: value, [`TRAINS_${name}`]: value });
  const pythonPath = [
    ...(o.base.PYTHONPATH ? [o.base.PYTHONPATH] : []),
    ...o.pythonPath,
    ...(o.base.CLEARML_AGENT_EXTRA_PYTHON_PATH ? [o.base.CLEARML_AGENT_EXTRA_PYTHON_PATH] : []),
  ];
  const env: Record<string, string | undefined> = {
    ...both("TASK_ID", o.taskId),
    ...both("LOG_LEVEL", o.logLevel),
    ...both("LOG_TASK_TO_BACKEND", "0"),
    ...both("CONFIG_FILE", o.configFile),
    ...both("WORKER_ID", o.workerId),
    PYTHONPATH: [...new Set(pythonPath)].join(delimiter),
    PYTHONHOME: undefined,
  };
  if (o.venvDir) {
    env.VIRTUAL_ENV = o.venvDir;
    env.PATH = [join(o.venvDir, "bin"), o.base.PATH ?? "/usr/bin:/bin"].join(delimiter);
  }
  if (o.cpuOnly) Object.assign(env, gpuEnvironment({ kind: "none" }));
  else if (o.gpus) Object.assign(env, gpuEnvironment(parseGpuSpec(o.gpus)));
  return env;
}

/** Write the task's configuration (`tree` as JSON) to `dir/clearml.conf` with mode 0600; resolves to its path. */
export async function writeTaskConfig(tree: unknown, dir: string): Promise<string> {
  const path = join(dir, "clearml.conf");
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(tree, null, 2) + "\n", { mode: 0o600 });
  await Deno.chmod(tmp, 0o600);
  await Deno.rename(tmp, path);
  return path;
}
