/**
 * What the user-tool commands (`task`, `list`, `build`) need before their first call: the loaded configuration
 * (secrets registered with the redactor) and an API client built from it. Like `execute`, they read
 * `clearml.conf` and the `CLEARML_*` variables; they never prompt.
 *
 * @module
 */

import { ApiClient } from "../api/client.ts";
import type { AgentConfig } from "../config/config_schema.ts";
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import { registerConfigSecrets } from "../config/secrets.ts";
import type { GlobalOptions } from "./args_types.ts";

/** A loaded configuration and a client for its server. */
export interface ApiSession {
  loaded: LoadedConfig;
  config: AgentConfig;
  client: ApiClient;
}

/** The API client of a configuration (the same settings `execute` uses). */
export function clientFor(config: AgentConfig, worker?: string): ApiClient {
  const host = config.api.api_server ?? config.api.host;
  if (!host) throw new Error("No API server configured: set api.api_server in clearml.conf or CLEARML_API_HOST");
  return new ApiClient({
    host,
    accessKey: config.api.credentials.access_key,
    secretKey: config.api.credentials.secret_key,
    token: Deno.env.get("CLEARML_AUTH_TOKEN"),
    defaultMethod: config.api.http.default_method,
    worker,
    tokenThresholdSec: config.api.auth.token_expiration_threshold_sec,
    requestTokenExpirationSec: config.api.auth.request_token_expiration_sec,
    verifyCertificate: config.api.verify_certificate,
  });
}

/** Load the configuration of `global` and build its client. */
export function openSession(global: GlobalOptions): ApiSession {
  const loaded = loadConfig({ configFile: global.configFile });
  registerConfigSecrets(loaded);
  const config = loaded.typed;
  return { loaded, config, client: clientFor(config) };
}
