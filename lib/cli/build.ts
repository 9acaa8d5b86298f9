/**
 * `clearml-agent build`.
 *
 * @module
 */

import type { BuildOptions, GlobalOptions } from "./args_types.ts";
import { NotImplementedError } from "./errors.ts";

/** Run `build`; resolves to the exit code. */
export function runBuildCommand(_global: GlobalOptions, _options: BuildOptions): Promise<number> {
  return Promise.reject(new NotImplementedError("build"));
}
