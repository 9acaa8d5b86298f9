/**
 * `clearml-agent server`.
 *
 * @module
 */

import type { GlobalOptions, ServerOptions } from "./args_types.ts";
import { NotImplementedError } from "./errors.ts";

/** Run `server`; resolves to the exit code. */
export function runServerCommand(_global: GlobalOptions, _options: ServerOptions): Promise<number> {
  return Promise.reject(new NotImplementedError("server"));
}
