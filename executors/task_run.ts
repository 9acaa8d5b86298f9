/**
 * The per-task seam: how the daemon side (`lib/job/runner.ts`) starts one task's `execute` child somewhere and
 * watches it, whatever the place. A launcher starts the run and answers a `TaskRun`: its output, its exit status,
 * a stop with grace, how it ended beyond the exit code, and the clean-up of what the run left behind.
 *
 * Launchers: `executors/host_run.ts` (a process group on this host) and `executors/docker/task_container.ts` (a
 * container assembled from the rest of `executors/docker/`). `k8s-glue` is beside this seam, not under it: it hands
 * a whole task to a pod (`executors/kubernetes/pod_launcher.ts`) whose own `execute --full-monitoring` then runs
 * this seam's host launcher inside the pod.
 *
 * @module
 */

import type { ExitInfo, ExitStatus } from "../lib/process/exit_status.ts";

/** How a run ended beyond its exit code, as only the launcher can tell. */
export interface RunVerdict {
  /** The kernel's OOM killer ended it (containers). */
  oomKilled: boolean;
  /** The run ended before the agent inside it started (a container's entry script failed). */
  setupFailure?: string;
}

/** One started task run. */
export interface TaskRun {
  /** The process group to record for a later `daemon --stop`; absent when the run is not a host process. */
  readonly pgid?: number;
  /** The run's merged output, or `null` when it goes to the output file the launcher was given. */
  readonly output: ReadableStream<Uint8Array> | null;
  /** Resolves when the run has ended. */
  readonly status: Promise<ExitStatus>;
  /** The exit status once ended, else `null`. */
  readonly exited: ExitStatus | null;
  /** Where the `execute` child writes its `ExitInfo`. */
  readonly exitInfoPath: string;
  /** Stop the whole run: the polite signal, then after `graceMs` the hard one. */
  terminate(options?: { graceMs?: number; signal?: AbortSignal }): Promise<unknown>;
  /** How the run ended beyond the exit code, given the child's report. */
  outcome(report: ExitInfo | null): Promise<RunVerdict>;
  /** Remove what the run left behind (a container, its files). Never throws. */
  dispose(): Promise<void>;
}
