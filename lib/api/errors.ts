/**
 * The error of a failed ClearML API call, and the rule that says which failures are worth retrying.
 *
 * @module
 */

/** What the server (or the network) said about one failed call. */
export interface ApiErrorInfo {
  /** `service.action`, e.g. `tasks.get_by_id`. */
  endpoint: string;
  /** HTTP status / `meta.result_code`; 0 when no answer came back (network error, timeout). */
  code: number;
  /** `meta.result_subcode` (0 when absent). */
  subcode: number;
  /** `meta.result_msg`, or the network error's message. */
  message: string;
}

/** A failed API call: carries the endpoint, code, subcode and the server's message. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly endpoint: string;
  readonly code: number;
  readonly subcode: number;
  /** The server's `result_msg` (or the network error text), without our prefix. */
  readonly serverMessage: string;

  constructor(info: ApiErrorInfo, options?: ErrorOptions) {
    const state = info.code === 0 ? "no answer" : `server returned ${info.code}/${info.subcode}`;
    super(`Call "${info.endpoint}" failed: ${state}: ${info.message}`, options);
    this.endpoint = info.endpoint;
    this.code = info.code;
    this.subcode = info.subcode;
    this.serverMessage = info.message;
  }

  /** True when no HTTP answer came back (connection refused, reset, timeout). */
  get isNetworkError(): boolean {
    return this.code === 0;
  }
}

/**
 * Whether a failure is worth retrying: network errors (no answer), 5xx and 429. Every other 4xx is final
 * (the request itself is wrong: unknown task, bad state, bad credentials), as the reference's status retries.
 */
export function isRetriable(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  return err.code === 0 || err.code === 429 || err.code >= 500;
}
