/**
 * Doctor check: the API server answers and accepts the credentials, by one `auth.login` call (HTTP Basic auth with
 * the access and secret keys, reference §4.2.1). Its `Date` header feeds the clock check.
 *
 * This is a single request with a deadline and no retry (doctor reports, it does not wait out an outage). It uses
 * `fetch` directly: the agent's API client (lib/api/) is not on main yet; switch to its login once it lands.
 *
 * @module
 */

import type { CheckResult } from "./check.ts";
import { errorLine } from "./check.ts";

/** Inputs of `serverCheck`. */
export interface ServerCheckInput {
  /** `api.api_server`, e.g. `http://127.0.0.1:8008`. */
  server: string;
  accessKey: string;
  secretKey: string;
  /** Milliseconds to wait for the answer (default 10 s). */
  timeoutMs?: number;
}

/** The result, and the server's clock reading when it answered. */
export interface ServerCheckOutput {
  result: CheckResult;
  /** The `Date` header of the answer, if any. */
  serverDate?: string;
  /** Local time (ms since epoch) half-way through the request, to compare with `serverDate`. */
  localMs?: number;
}

/** Log in once and say whether the server is reachable and the credentials accepted. */
export async function serverCheck(input: ServerCheckInput): Promise<ServerCheckOutput> {
  const name = "server";
  const url = `${input.server.replace(/\/+$/, "")}/auth.login`;
  const timeoutMs = input.timeoutMs ?? 10_000;
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: {
        "Authorization": `Basic ${btoa(`${input.accessKey}:${input.secretKey}`)}`,
        "Content-Type": "application/json",
      },
      body: "{}",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const why = err instanceof DOMException && err.name === "TimeoutError"
      ? `no answer in ${timeoutMs} ms`
      : errorLine(err);
    return { result: { name, ok: false, required: true, detail: `Cannot reach "${url}": ${why}` } };
  }
  const localMs = Math.round((started + Date.now()) / 2);
  const serverDate = res.headers.get("date") ?? undefined;
  const text = await res.text();
  let body: { meta?: { result_code?: number; result_msg?: string }; data?: { token?: unknown } } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not a ClearML answer; handled below
  }
  const code = body.meta?.result_code ?? res.status;
  if (res.status === 200 && code === 200 && typeof body.data?.token === "string") {
    return {
      result: { name, ok: true, required: true, detail: `${input.server}: reachable, credentials accepted` },
      serverDate,
      localMs,
    };
  }
  const detail = body.meta
    ? `${input.server} rejected the credentials: ${code} ${body.meta.result_msg ?? ""}`.trim()
    : `${input.server} is not a ClearML API server: HTTP ${res.status} to auth.login`;
  return { result: { name, ok: false, required: true, detail }, serverDate, localMs };
}
