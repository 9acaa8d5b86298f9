/**
 * The executors by name: where a task's commands run. `venv` runs them on this host; `docker` runs each one in a
 * fresh container of an image (the daemon's docker mode runs a whole `execute` in one container instead, through
 * `ContainerRun`, see `lib/job/container_task.ts`).
 *
 * @module
 */

import { DockerExecutor, type DockerExecutorOptions } from "./docker.ts";
import type { Executor } from "./executor.ts";
import { VenvExecutor, type VenvExecutorOptions } from "./venv.ts";

/** The executor kinds and how to make one. */
export const EXECUTORS = {
  venv: (options: VenvExecutorOptions = {}): Executor => new VenvExecutor(options),
  docker: (options: DockerExecutorOptions): Executor => new DockerExecutor(options),
} as const;

/** An executor kind. */
export type ExecutorKind = keyof typeof EXECUTORS;

export { ContainerRun, DockerExecutor } from "./docker.ts";
export { VenvExecutor } from "./venv.ts";
export type { Executor } from "./executor.ts";
