/**
 * `clearml-agent config`.
 *
 * @module
 */

import type { ConfigOptions, GlobalOptions } from "./args_types.ts";
import { NotImplementedError } from "./errors.ts";

/** Run `config`; resolves to the exit code. */
export function runConfigCommand(_global: GlobalOptions, _options: ConfigOptions): Promise<number> {
  return Promise.reject(new NotImplementedError("config"));
}
