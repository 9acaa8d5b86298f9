/**
 * `clearml-agent execute`.
 *
 * @module
 */

import type { ExecuteOptions, GlobalOptions } from "./args_types.ts";
import { NotImplementedError } from "./errors.ts";

/** Run `execute`; resolves to the exit code. */
export function runExecuteCommand(_global: GlobalOptions, _options: ExecuteOptions): Promise<number> {
  return Promise.reject(new NotImplementedError("execute"));
}
