/**
 * Doctor check: the API server answers and accepts the credentials, by one `auth.login` through the agent's own API
 * client (same method, headers and TLS setting as the daemon), with no retry: doctor reports, it does not wait out an
 * outage. A plain `GET /debug.ping` then reads the server's `Date` header for the clock check.
 *
 * @module
 */

import { ApiClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import { RETRY } from "../api/retry_policy.ts";
import type { CheckResult } from "./check.ts";
import { errorLine } from "./check.ts";

/** Inputs of `serverCheck`. */
export interface ServerCheckInput {
  /** `api.api_server`, e.g. `http://127.0.0.1:8008`. */
  server: string;
  accessKey: string;
  secretKey: string;
  /** `api.http.default_method`. */
  defaultMethod?: string;
  /** `api.verify_certificate`. */
  verifyCertificate?: boolean;
  /** Milliseconds to wait for each answer (default 10 s). */
  timeoutMs?: number;
}

/** The result, and the server's clock reading when it answered. */
export interface ServerCheckOutput {
  result: CheckResult;
  /** The `Date` header of the server's answer, if any. */
  serverDate?: string;
  /** Local time (ms since epoch) half-way through that request, to compare with `serverDate`. */
  localMs?: number;
}

async function serverClock(server: string, timeoutMs: number): Promise<{ serverDate?: string; localMs?: number }> {
  const started = Date.now();
  try {
    const res = await fetch(`${server}/debug.ping`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return { serverDate: res.headers.get("date") ?? undefined, localMs: Math.round((started + Date.now()) / 2) };
  } catch {
    return {};
  }
}

/** Log in once and say whether the server is reachable and the credentials accepted. */
export async function serverCheck(input: ServerCheckInput): Promise<ServerCheckOutput> {
  const name = "server";
  const server = input.server.replace(/\/+$/, "");
  const timeoutMs = input.timeoutMs ?? 10_000;
  const client = new ApiClient({
    host: server,
    accessKey: input.accessKey,
    secretKey: input.secretKey,
    defaultMethod: input.defaultMethod,
    verifyCertificate: input.verifyCertificate,
    retry: RETRY.none,
  });
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await client.login({ retry: RETRY.none, signal });
  } catch (err) {
    const url = `${server}/auth.login`;
    let detail: string;
    if (signal.aborted) detail = `Cannot reach "${url}": no answer in ${timeoutMs} ms`;
    else if (!(err instanceof ApiError)) detail = `Cannot reach "${url}": ${errorLine(err)}`;
    else if (err.isNetworkError) detail = `Cannot reach "${url}": ${err.serverMessage}`;
    else if (err.code === 200 || err.serverMessage.startsWith("not a ClearML answer")) {
      detail = `${input.server} is not a ClearML API server: HTTP ${err.code} to auth.login`;
    } else detail = `${input.server} rejected the credentials: ${err.code} ${err.serverMessage}`.trim();
    const clock = err instanceof ApiError && !err.isNetworkError ? await serverClock(server, timeoutMs) : {};
    return { result: { name, ok: false, required: true, detail }, ...clock };
  }
  return {
    result: { name, ok: true, required: true, detail: `${input.server}: reachable, credentials accepted` },
    ...await serverClock(server, timeoutMs),
  };
}
