/**
 * Wire types of the ClearML REST API, as far as the agent reads or writes them (server-api.md §4). Every field
 * the server may omit is optional; unknown fields are kept by the index signatures where the agent passes
 * objects through unchanged.
 *
 * @module
 */

/** The response envelope's `meta`. */
export interface ResponseMeta {
  id?: string;
  trx?: string;
  endpoint?: { name?: string; requested_version?: string | number | null; actual_version?: string | number | null };
  result_code: number;
  result_subcode?: number | null;
  result_msg?: string;
  error_stack?: string | null;
}

/** Every API response. */
export interface Envelope<T = unknown> {
  meta: ResponseMeta;
  data: T;
}

/** `script.requirements`: free dict; `pip`/`conda` as text or list of lines. */
export interface TaskRequirements {
  pip?: string | string[] | null;
  conda?: string | string[] | null;
  org_pip?: string | string[] | null;
  org_conda?: string | string[] | null;
  [key: string]: unknown;
}

/** `task.script`. */
export interface TaskScript {
  binary?: string;
  repository?: string;
  tag?: string;
  branch?: string;
  version_num?: string;
  entry_point?: string;
  working_dir?: string;
  requirements?: TaskRequirements;
  diff?: string;
  [key: string]: unknown;
}

/** One hyperparameter. */
export interface HyperParam {
  section?: string;
  name?: string;
  value?: string;
  type?: string;
  description?: string;
}

/** A task document (the fields the agent uses). */
export interface Task {
  id: string;
  name?: string;
  type?: string;
  status?: string;
  status_reason?: string;
  status_message?: string;
  project?: string;
  script?: TaskScript;
  execution?: { queue?: string; docker_cmd?: string; [key: string]: unknown };
  container?: { image?: string | null; arguments?: string | null; setup_shell_script?: string | null };
  hyperparams?: Record<string, Record<string, HyperParam>>;
  runtime?: Record<string, unknown>;
  [key: string]: unknown;
}

/** `events.add_batch` result. */
export interface AddBatchResult {
  added?: number;
  errors?: number;
  errors_info?: Record<string, number>;
}

/** Status-change result (`tasks.started`, `completed`, ...). */
export interface StatusChangeResult {
  updated?: number;
  fields?: Record<string, unknown>;
}

/** A queue (the fields the agent reads). */
export interface Queue {
  id: string;
  name?: string;
  tags?: string[];
  system_tags?: string[];
  entries?: { task: string; added?: string }[];
  [key: string]: unknown;
}

/** Claims of the JWT the server issues (read without verifying the signature). */
export interface TokenClaims {
  exp?: number;
  iat?: number;
  api_version?: string;
  server_version?: string;
  feature_set?: string;
  env?: string;
  identity?: { user?: string; company?: string; role?: string; service_account_type?: number };
  tenant?: string;
  /** Our server's extensions (e.g. `queues.get_next_task.wait_ms`); a real ClearML server sends none. */
  server_extensions?: string[];
}
