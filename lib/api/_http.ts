/**
 * One HTTP exchange through `node:http`/`node:https`: the ClearML API is called with GET requests that carry a
 * JSON body (the reference's default), which `fetch` refuses to send.
 *
 * Connections are kept alive and reused (one pool per protocol, as the reference's `requests` session does): a
 * new connection per call costs a daemon about 4 KiB of native memory that is never given back (measured: 8 MiB per
 * 2 000 calls without reuse, 1 MiB with it — `scripts/bench_soak.ts`) and twice the time. A call whose reused
 * connection turns out to be closed by the server (it idled out) is sent once more on a fresh one.
 *
 * @module
 */

import http from "node:http";
import https from "node:https";
import { Buffer } from "node:buffer";

/** One request. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Give up after this many milliseconds without a complete answer. */
  timeoutMs: number;
  /** Skip TLS certificate verification (`api.verify_certificate: false`). */
  insecure?: boolean;
  signal?: AbortSignal;
}

/** One response. */
export interface HttpResponse {
  status: number;
  text: string;
}

const agents = {
  http: new http.Agent({ keepAlive: true, keepAliveMsecs: 1_000, maxSockets: 8, maxFreeSockets: 2, timeout: 60_000 }),
  https: new https.Agent({ keepAlive: true, keepAliveMsecs: 1_000, maxSockets: 8, maxFreeSockets: 2, timeout: 60_000 }),
};

/** Send `request`; rejects with a plain `Error` (message says what failed) when no answer comes back. */
export async function sendHttp(request: HttpRequest): Promise<HttpResponse> {
  try {
    return await sendOnce(request, true);
  } catch (err) {
    if (!(err instanceof StaleConnection)) throw err;
    return await sendOnce(request, false);
  }
}

/** A reused keep-alive connection was closed by the server before it answered: safe to send again. */
class StaleConnection extends Error {}

function sendOnce(request: HttpRequest, reuse: boolean): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    if (request.signal?.aborted) return reject(request.signal.reason);
    const url = new URL(request.url);
    const mod = url.protocol === "https:" ? https : http;
    const body = request.body === undefined ? undefined : Buffer.from(request.body, "utf8");
    const headers: Record<string, string | number> = { ...request.headers };
    if (body) headers["Content-Length"] = body.byteLength;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const req = mod.request({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port || undefined,
      path: url.pathname + url.search,
      method: request.method,
      headers,
      agent: reuse ? (url.protocol === "https:" ? agents.https : agents.http) : false,
      rejectUnauthorized: !request.insecure,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on(
        "end",
        () => finish(() => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") })),
      );
      res.on("error", (err: Error) => finish(() => reject(err)));
    });
    const timer = setTimeout(() => {
      finish(() => reject(new Error(`no answer within ${request.timeoutMs} ms`)));
      req.destroy();
    }, request.timeoutMs);
    const onAbort = () => {
      finish(() => reject(request.signal?.reason ?? new Error("aborted")));
      req.destroy();
    };
    request.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err: Error & { code?: string }) => {
      const stale = req.reusedSocket && /^(ECONNRESET|EPIPE)$/.test(err.code ?? "");
      finish(() => reject(stale ? new StaleConnection(err.message, { cause: err }) : err));
    });
    req.end(body);
  });
}
