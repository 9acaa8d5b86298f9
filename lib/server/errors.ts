/**
 * Server-side API errors: one `ServerError` class carrying the HTTP code, the ClearML subcode and the message, and
 * one factory per entry of the upstream error table (server-api.md §3.2) that this server raises.
 *
 * Messages follow the upstream shape: `"<Default message>"` + `" (<extra>)"` + `": k1=v1, k2=v2"`, e.g.
 * `Invalid task status (Invalid status change): current_status=created, new_status=stopped`.
 *
 * @module
 */

/** Keyword details rendered after the message (`k=v`, collections as `(a, b)`). */
export type ErrorDetails = Record<string, unknown>;

/** An error that becomes an API error envelope with `result_code = code`, `result_subcode = subcode`. */
export class ServerError extends Error {
  override name = "ServerError";
  /** HTTP status and `meta.result_code`. */
  readonly code: number;
  /** `meta.result_subcode`. */
  readonly subcode: number;
  /** Commit the call's transaction despite the error (upstream saves the worker entry, then raises). */
  readonly commit: boolean;

  constructor(code: number, subcode: number, message: string, options?: ErrorOptions & { commit?: boolean }) {
    super(message, options);
    this.code = code;
    this.subcode = subcode;
    this.commit = options?.commit ?? false;
  }
}

function renderValue(value: unknown): string {
  if (Array.isArray(value)) return `(${value.map(renderValue).join(", ")})`;
  if (value === null || value === undefined) return "None";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Build an upstream-shaped message. */
export function formatMessage(base: string, extra?: string, details?: ErrorDetails): string {
  let msg = base;
  if (extra) msg += ` (${extra})`;
  const entries = Object.entries(details ?? {});
  if (entries.length > 0) msg += ": " + entries.map(([k, v]) => `${k}=${renderValue(v)}`).join(", ");
  return msg;
}

function make(code: number, subcode: number, base: string) {
  return (extra?: string, details?: ErrorDetails): ServerError =>
    new ServerError(code, subcode, formatMessage(base, extra, details));
}

/** Factories for every error this server raises, named after the upstream error names. */
export const errors = {
  badRequest: make(400, 0, "Bad request"),
  invalidVersion: make(400, 2, "Invalid version in request path"),
  invalidId: make(400, 10, "Invalid object id"),
  missingRequiredFields: make(400, 11, "Missing required fields"),
  validation: make(400, 12, "Validation error"),
  fieldsConflict: make(400, 15, "Conflicting fields"),
  fieldsValue: make(400, 16, "Invalid field value"),
  emptyBatch: make(400, 17, "Batch request contains no items"),
  invalidRegex: make(400, 21, "Malformed regular expression"),
  invalidTaskId: make(400, 101, "Invalid task id"),
  invalidTaskStatus: make(400, 110, "Invalid task status"),
  failedChangingTaskStatus: make(400, 121, "Failed changing task status"),
  missingTaskFields: make(400, 122, "Task is missing expected fields"),
  taskCannotBeDeleted: make(400, 123, "Task cannot be deleted"),
  eventsNotAdded: make(400, 131, "Events not added"),
  invalidModelId: make(400, 201, "Invalid model id"),
  invalidUserId: make(400, 301, "Invalid user id"),
  invalidProjectId: make(400, 401, "Invalid project id"),
  invalidProjectName: make(400, 407, "Invalid project name"),
  projectPathExceedsMaxDepth: make(400, 409, "Project path exceeds the maximum allowed depth"),
  invalidQueueId: make(400, 701, "Invalid queue id"),
  queueNotEmpty: make(400, 702, "Queue is not empty"),
  notQueued: make(400, 703, "Invalid queue id or task not in queue"),
  taskAlreadyQueued: make(400, 706, "Task already queued"),
  noDefaultQueue: make(400, 707, "No queue is tagged as the default queue for this company"),
  multipleDefaultQueues: make(400, 708, "More than one queue is tagged as the default queue for this company"),
  dataValidation: make(400, 800, "Data validation error"),
  expectedUniqueData: make(400, 801, "Value combination already exists (unique field already contains this value)"),
  invalidWorkerId: make(400, 1001, "Invalid worker id"),
  workerRegistrationFailed: make(400, 1002, "Worker registration failed"),
  invalidScrollId: make(400, 1104, "Invalid scroll id"),
  badAuthType: make(401, 10, "Unauthorized (bad authentication header type)"),
  noCredentials: make(401, 20, "Unauthorized (missing credentials)"),
  badCredentials: make(401, 21, "Unauthorized (malformed credentials)"),
  invalidCredentials: make(401, 22, "Unauthorized (invalid credentials)"),
  invalidToken: make(401, 30, "Invalid token"),
  roleNotAllowed: make(403, 20, "Role not allowed"),
  endpointNotFound: make(404, 0, "Unable to find endpoint"),
  general: make(500, 0, "General data error"),
  internal: make(500, 1, "Internal server error"),
} as const;
