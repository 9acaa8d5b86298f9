/**
 * `clearml-agent list`.
 *
 * @module
 */

import type { GlobalOptions, ListOptions } from "./args_types.ts";
import { NotImplementedError } from "./errors.ts";

/** Run `list`; resolves to the exit code. */
export function runListCommand(_global: GlobalOptions, _options: ListOptions): Promise<number> {
  return Promise.reject(new NotImplementedError("list"));
}
