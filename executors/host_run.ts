/**
 * The host launcher of the per-task seam (`task_run.ts`): the `execute` child as a process group and session of its
 * own on this machine (`lib/process/child.ts`), its merged output appended to a file the daemon tails, so the task
 * never waits for the agent to read.
 *
 * @module
 */

import { createOutputFile } from "../lib/logs/file_tail.ts";
import { spawnChild } from "../lib/process/child.ts";
import type { RunVerdict, TaskRun } from "./task_run.ts";

/** What the host launcher needs. */
export interface HostRunOptions {
  cmd: string;
  args: string[];
  /** The child's whole environment (nothing is inherited). */
  env: Record<string, string>;
  /** The file the child's merged output goes to (created empty first). */
  outputPath: string;
  /** Where the child writes its exit report. */
  exitInfoPath: string;
}

/** Start the `execute` child on this host. */
export async function startHostRun(o: HostRunOptions): Promise<TaskRun> {
  await createOutputFile(o.outputPath);
  const child = spawnChild({ cmd: o.cmd, args: o.args, env: o.env, clearEnv: true, output: { file: o.outputPath } });
  return {
    pgid: child.pgid,
    output: null,
    status: child.status,
    get exited() {
      return child.exited;
    },
    exitInfoPath: o.exitInfoPath,
    terminate: (options) => child.terminate(options),
    outcome: (report): Promise<RunVerdict> => Promise.resolve({ oomKilled: false, setupFailure: report?.setupFailure }),
    dispose: () => Promise.resolve(),
  };
}
