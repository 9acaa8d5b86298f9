/**
 * `clearml-agent task`.
 *
 * @module
 */

import type { GlobalOptions, TaskOptions } from "./args_types.ts";
import { NotImplementedError } from "./errors.ts";

/** Run `task`; resolves to the exit code. */
export function runTaskCommand(_global: GlobalOptions, _options: TaskOptions): Promise<number> {
  return Promise.reject(new NotImplementedError("task"));
}
