/**
 * The whole configuration schema (`api`, `agent`, `sdk`) and the typed configuration type inferred from it.
 *
 * @module
 */

import type { ConfigOf } from "./schema.ts";
import { API_SCHEMA } from "./schema_api.ts";
import { AGENT_SCHEMA } from "./schema_agent.ts";
import { SDK_SCHEMA } from "./schema_sdk.ts";

/** Every configuration key the agent knows. */
export const SCHEMA = { api: API_SCHEMA, agent: AGENT_SCHEMA, sdk: SDK_SCHEMA } as const;

/** The typed configuration: every schema key with its value, packaged default or fallback. */
export type AgentConfig = ConfigOf<typeof SCHEMA>;
