/**
 * The `api` section of the configuration schema (reference §2.3 and §3.1/3.2).
 *
 * @module
 */

import { bool, int, num, str } from "./schema.ts";

/** `api.*` keys. */
export const API_SCHEMA = {
  api_server: str("API server URL", { env: ["CLEARML_API_HOST", "TRAINS_API_HOST"] }),
  host: str("Legacy name of api.api_server (used when api_server is missing)"),
  web_server: str("Web UI URL", { env: ["CLEARML_WEB_HOST", "TRAINS_WEB_HOST"] }),
  files_server: str("Files server URL", { env: ["CLEARML_FILES_HOST", "TRAINS_FILES_HOST"] }),
  credentials: {
    access_key: str("API access key", { env: ["CLEARML_API_ACCESS_KEY", "TRAINS_API_ACCESS_KEY"], secret: true }),
    secret_key: str("API secret key", { env: ["CLEARML_API_SECRET_KEY", "TRAINS_API_SECRET_KEY"], secret: true }),
  },
  version: num("Unused legacy key", { packaged: 1.5 }),
  default_version: num("Unused legacy key", { packaged: 1.5 }),
  verify_certificate: bool("Verify the server's TLS certificate", {
    packaged: true,
    env: ["CLEARML_API_HOST_VERIFY_CERT", "TRAINS_API_HOST_VERIFY_CERT"],
  }),
  http: {
    max_req_size: int("Largest request body for batch uploads (bytes)", { packaged: 15728640 }),
    retries: {
      total: int("Retries in total", { packaged: 240 }),
      connect: int("Connection retries", { packaged: 240 }),
      read: int("Read retries", { packaged: 240 }),
      redirect: int("Redirect retries", { packaged: 240 }),
      status: int("Retries on retriable HTTP statuses", { packaged: 240 }),
      backoff_factor: num("Exponential backoff factor (seconds)", { packaged: 1.0 }),
      backoff_max: num("Longest backoff between retries (seconds)", { packaged: 120.0 }),
    },
    wait_on_maintenance_forever: bool("Retry forever while the server answers 503", { packaged: true }),
    pool_maxsize: int("HTTP connection pool size", { packaged: 512 }),
    pool_connections: int("HTTP connection pools", { packaged: 512 }),
    default_method: str("HTTP method of API calls: get, post or put", {
      fallback: "get",
      env: ["CLEARML_API_DEFAULT_REQ_METHOD"],
    }),
  },
  auth: {
    token_expiration_threshold_sec: int("Refresh the token when it expires within this many seconds", {
      packaged: 43200,
    }),
    request_token_expiration_sec: int("Token lifetime to ask auth.login for (seconds)"),
  },
} as const;
