/**
 * Doctor check: a configuration was found and loads (syntax, types), and it names a server and credentials.
 *
 * @module
 */

import { type CheckResult, errorLine } from "./check.ts";

/** What loading the configuration gave (the CLI fills this from `loadConfig`). */
export interface ConfigCheckInput {
  /** The error loading threw; the other fields are then ignored. */
  error?: unknown;
  /** The configuration file read, if any. */
  configFile?: string;
  apiServer?: string;
  accessKey?: string;
  secretKey?: string;
  /** Where the access key came from (`$CLEARML_API_ACCESS_KEY`, a file), if known. */
  credentialsSource?: string;
}

/** Check the configuration. */
export function configCheck(input: ConfigCheckInput): CheckResult {
  const name = "config";
  if (input.error !== undefined) return { name, ok: false, required: true, detail: errorLine(input.error) };
  const where = input.configFile ?? "no configuration file (CLEARML_* variables only)";
  const missing: string[] = [];
  if (!input.apiServer) missing.push("api.api_server");
  if (!input.accessKey) missing.push("api.credentials.access_key");
  if (!input.secretKey) missing.push("api.credentials.secret_key");
  if (missing.length > 0) {
    const hint = input.configFile ? "" : ": run clearml-agent init, or set CLEARML_API_HOST and CLEARML_API_*_KEY";
    return { name, ok: false, required: true, detail: `${where}: missing ${missing.join(", ")}${hint}` };
  }
  const via = input.credentialsSource?.startsWith("$") ? ` (credentials from ${input.credentialsSource})` : "";
  return { name, ok: true, required: true, detail: `${where}: server ${input.apiServer}${via}` };
}
