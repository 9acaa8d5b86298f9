/**
 * `clearml-agent daemon`.
 *
 * @module
 */

import type { DaemonOptions, GlobalOptions } from "./args_types.ts";
import { NotImplementedError } from "./errors.ts";

/** Run `daemon`; resolves to the exit code. */
export function runDaemonCommand(_global: GlobalOptions, _options: DaemonOptions): Promise<number> {
  return Promise.reject(new NotImplementedError("daemon"));
}
