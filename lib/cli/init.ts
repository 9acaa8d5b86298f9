/**
 * `clearml-agent init`.
 *
 * @module
 */

import type { GlobalOptions, InitOptions } from "./args_types.ts";
import { NotImplementedError } from "./errors.ts";

/** Run `init`; resolves to the exit code. */
export function runInitCommand(_global: GlobalOptions, _options: InitOptions): Promise<number> {
  return Promise.reject(new NotImplementedError("init"));
}
