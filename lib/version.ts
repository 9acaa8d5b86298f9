/**
 * The one place the product version lives. `deno.json`, the compile script and `--version` read it from here.
 *
 * @module
 */

/** The version of this clearml-agent implementation. */
export const VERSION = "0.1.0";

/** How the embedded server names its build in `server.info` (`init` recognises our server by it). */
export const EMBEDDED_BUILD = "clearml-agent-deno";

/** Program name, as the reference prints it. */
export const PROGRAM_NAME = "clearml-agent";

/** The `--version` line, in the reference's shape. */
export function versionLine(): string {
  return `CLEARML-AGENT version ${VERSION}`;
}
