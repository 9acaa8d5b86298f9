/**
 * What the user-tool commands (`task`, `list`, `build`) need before their first call: the loaded configuration
 * (secrets registered with the redactor) and an API client built from it. Like `execute`, they read
 * `clearml.conf` and the `CLEARML_*` variables; they never prompt.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import type { AgentConfig } from "../config/config_schema.ts";
import type { LoadedConfig } from "../config/load.ts";
import { apiClientFor, loadAgentConfig } from "./_agent_setup.ts";
import type { GlobalOptions } from "./args_types.ts";

/** A loaded configuration and a client for its server. */
export interface ApiSession {
  loaded: LoadedConfig;
  config: AgentConfig;
  client: ApiClient;
}

/** Load the configuration of `global` and build its client. */
export function openSession(global: GlobalOptions): ApiSession {
  const loaded = loadAgentConfig(global.configFile);
  const config = loaded.typed;
  return { loaded, config, client: apiClientFor(config) };
}
