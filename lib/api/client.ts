/**
 * The ClearML API client: Basic-auth login to a JWT, token refresh (the reference's 12 h rule, and once after a
 * 401), the reference's headers, GET-with-JSON-body by default (`api.http.default_method`), named retry
 * policies, and a wire trace (`CLEARML_AGENT_DEBUG_WIRE=1`) with secrets masked.
 *
 * @module
 */

import { log } from "../logger.ts";
import { redact, registerSecret } from "../secrets/redact.ts";
import { clip, maskWire } from "../secrets/wire_mask.ts";
import { VERSION } from "../version.ts";
import { ApiError } from "./errors.ts";
import { type HttpRequest, type HttpResponse, sendHttp } from "./_http.ts";
import { RETRY, type RetryPolicy, withRetry } from "./retry_policy.ts";
import type { Envelope, TokenClaims } from "./types.ts";
import { envRaw } from "../clearml_env.ts";

/** HTTP verbs the API accepts for calls. */
export type ApiMethod = "GET" | "POST" | "PUT";

/** Options of `new ApiClient()`. */
export interface ApiClientOptions {
  /** API server base URL (`api.api_server`). */
  host: string;
  accessKey?: string;
  secretKey?: string;
  /** An existing token (`CLEARML_AUTH_TOKEN`): used for login when there are no key/secret. */
  token?: string;
  /** `api.http.default_method` (default GET). */
  defaultMethod?: string;
  /** `X-ClearML-Worker` header value (default: the host name). */
  worker?: string;
  /** `api.auth.token_expiration_threshold_sec` (default 43200). */
  tokenThresholdSec?: number;
  /** `api.auth.request_token_expiration_sec`: sent as `expiration_sec` on login. */
  requestTokenExpirationSec?: number;
  /** `api.verify_certificate` (default true). */
  verifyCertificate?: boolean;
  /** Retry policy of calls that do not name one (default `RETRY.call`). */
  retry?: RetryPolicy;
  /** Log every request and response, secrets masked, at info level (default: `CLEARML_AGENT_DEBUG_WIRE=1`). */
  wireTrace?: boolean;
  /** Transport (tests). */
  send?: (request: HttpRequest) => Promise<HttpResponse>;
  /** Seconds clock for token expiry (tests). */
  nowSec?: () => number;
  /** Sleep between retries (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Options of one call. */
export interface CallOptions {
  /** API version for the URL (`/v2.5/...`); none → the server's default. */
  version?: string;
  /** HTTP verb (default: the client's default method). */
  method?: ApiMethod;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  /** Per-request timeout in milliseconds (default 30 s; 60 s for large bodies). */
  timeoutMs?: number;
}

/** Decode a JWT's payload without verifying it (as the reference does); `{}` when it is not a JWT. */
export function decodeToken(token: string): TokenClaims {
  const part = token.split(".")[1];
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const json = new TextDecoder().decode(
      Uint8Array.from(atob(b64 + "=".repeat((4 - b64.length % 4) % 4)), (c) => c.charCodeAt(0)),
    );
    const claims = JSON.parse(json);
    return claims && typeof claims === "object" ? claims as TokenClaims : {};
  } catch {
    return {};
  }
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

function normalizeMethod(method: string | undefined): ApiMethod {
  const m = (method ?? "get").toUpperCase();
  if (m === "GET" || m === "POST" || m === "PUT") return m;
  throw new TypeError(`Invalid HTTP method "${method}" in api.http.default_method: expected get, post or put`);
}

/** A client for one server and one identity. */
export class ApiClient {
  readonly host: string;
  #options: ApiClientOptions;
  #method: ApiMethod;
  #token: string | undefined;
  #claims: TokenClaims = {};
  #send: (request: HttpRequest) => Promise<HttpResponse>;
  #nowSec: () => number;
  #trace: boolean;
  #loginInFlight: Promise<void> | null = null;

  constructor(options: ApiClientOptions) {
    this.host = options.host.replace(/\/+$/, "");
    this.#options = options;
    this.#method = normalizeMethod(options.defaultMethod);
    this.#token = options.token;
    if (options.token) {
      registerSecret(options.token);
      this.#claims = decodeToken(options.token);
    }
    registerSecret(options.secretKey);
    this.#send = options.send ?? sendHttp;
    this.#nowSec = options.nowSec ?? (() => Date.now() / 1000);
    this.#trace = options.wireTrace ?? envRaw("CLEARML_AGENT_DEBUG_WIRE") === "1";
  }

  /** The current token (after a login). */
  get token(): string | undefined {
    return this.#token;
  }

  /** The server's API version from the token (`api_version` claim), e.g. `2.31`. */
  get apiVersion(): string {
    return this.#claims.api_version ?? (this.#claims.env === "prod" ? "2.2" : "2.1");
  }

  /** True when the token advertises the server extension `name` (ours only; never on a real ClearML server). */
  hasExtension(name: string): boolean {
    return Array.isArray(this.#claims.server_extensions) && this.#claims.server_extensions.includes(name);
  }

  /** True when the token's `api_version` is at least `version`. */
  supports(version: string): boolean {
    const a = this.apiVersion.split(".").map(Number);
    const b = version.split(".").map(Number);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = (a[i] ?? 0) - (b[i] ?? 0);
      if (d !== 0) return d > 0;
    }
    return true;
  }

  #headers(): Record<string, string> {
    const worker = this.#options.worker ?? hostname();
    const agent = `api-${VERSION}`;
    return {
      "X-ClearML-Worker": worker,
      "X-Trains-Worker": worker,
      "X-ClearML-Agent": agent,
      "X-Trains-Agent": agent,
    };
  }

  /** Log in now (Basic auth with key/secret, else Bearer with the current token). */
  login(options: { signal?: AbortSignal; retry?: RetryPolicy } = {}): Promise<void> {
    if (!this.#loginInFlight) {
      this.#loginInFlight = withRetry(options.retry ?? RETRY.login, () => this.#loginOnce(options.signal), {
        signal: options.signal,
        sleep: this.#options.sleep,
        onRetry: (err, attempt, delay) =>
          log.debug(`login attempt ${attempt} failed (${err}); retrying in ${delay} ms`),
      }).finally(() => this.#loginInFlight = null);
    }
    return this.#loginInFlight;
  }

  async #loginOnce(signal?: AbortSignal): Promise<void> {
    const { accessKey, secretKey, requestTokenExpirationSec } = this.#options;
    const headers = this.#headers();
    if (accessKey && secretKey) headers.Authorization = `Basic ${btoa(`${accessKey}:${secretKey}`)}`;
    else if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    else {
      throw new ApiError({ endpoint: "auth.login", code: 401, subcode: 20, message: "no API credentials configured" });
    }
    const query = requestTokenExpirationSec ? `?expiration_sec=${requestTokenExpirationSec}` : "";
    const data = await this.#exchange("auth.login", `${this.host}/auth.login${query}`, {
      method: this.#method,
      headers,
      body: undefined,
      signal,
    }) as { token?: string };
    if (!data || typeof data.token !== "string") {
      throw new ApiError({
        endpoint: "auth.login",
        code: 200,
        subcode: 0,
        message: `no token in the answer; is "${this.host}" a ClearML API server?`,
      });
    }
    this.#token = data.token;
    registerSecret(data.token);
    this.#claims = decodeToken(data.token);
  }

  #tokenDue(): boolean {
    if (!this.#token) return true;
    const exp = this.#claims.exp;
    if (exp === undefined) return false;
    return exp - this.#nowSec() - (this.#options.tokenThresholdSec ?? 43200) <= 0;
  }

  /**
   * Call `endpoint` (`service.action`) with a JSON `body`; resolves to the response's `data`. Throws `ApiError`
   * for a non-200 result after the policy's retries (4xx at once).
   */
  call<T = Record<string, unknown>>(endpoint: string, body: unknown = {}, options: CallOptions = {}): Promise<T> {
    const text = JSON.stringify(body ?? {});
    return this.#callRaw<T>(endpoint, text, "application/json", options);
  }

  /** POST a JSON-lines body (`events.add_batch`): one JSON object per line. */
  callLines<T = Record<string, unknown>>(endpoint: string, items: unknown[], options: CallOptions = {}): Promise<T> {
    const text = items.map((item) => JSON.stringify(item)).join("\n");
    return this.#callRaw<T>(endpoint, text, "application/json-lines", { method: "POST", ...options });
  }

  #callRaw<T>(endpoint: string, body: string, contentType: string, options: CallOptions): Promise<T> {
    const url = options.version ? `${this.host}/v${options.version}/${endpoint}` : `${this.host}/${endpoint}`;
    const method = options.method ?? this.#method;
    return withRetry(options.retry ?? this.#options.retry ?? RETRY.call, async () => {
      if (this.#tokenDue()) await this.login({ signal: options.signal });
      const send = () =>
        this.#exchange(endpoint, url, {
          method,
          headers: { ...this.#headers(), Authorization: `Bearer ${this.#token}`, "Content-Type": contentType },
          body,
          signal: options.signal,
          timeoutMs: options.timeoutMs,
        });
      try {
        return await send() as T;
      } catch (err) {
        // The reference refreshes the token once after a 401 and resends once.
        if (!(err instanceof ApiError) || err.code !== 401) throw err;
        await this.login({ signal: options.signal });
        return await send() as T;
      }
    }, {
      signal: options.signal,
      sleep: this.#options.sleep,
      onRetry: (err, attempt, delay) =>
        log.debug(`${endpoint}: attempt ${attempt} failed (${err}); retrying in ${delay} ms`),
    });
  }

  async #exchange(
    endpoint: string,
    url: string,
    req: {
      method: string;
      headers: Record<string, string>;
      body: string | undefined;
      signal?: AbortSignal;
      timeoutMs?: number;
    },
  ): Promise<unknown> {
    const timeoutMs = req.timeoutMs ?? ((req.body?.length ?? 0) > 15000 ? 60_000 : 30_000);
    if (this.#trace) log.info(`wire --> ${req.method} ${url} ${clip(maskWire(req.body ?? ""))}`);
    let res: HttpResponse;
    try {
      res = await this.#send({
        method: req.method,
        url,
        headers: req.headers,
        body: req.body,
        timeoutMs,
        insecure: this.#options.verifyCertificate === false,
        signal: req.signal,
      });
    } catch (err) {
      if (req.signal?.aborted) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (this.#trace) log.info(`wire <-- ${endpoint} no answer: ${redact(message)}`);
      throw new ApiError({ endpoint, code: 0, subcode: 0, message: redact(message) }, { cause: err });
    }
    if (this.#trace) log.info(`wire <-- ${res.status} ${endpoint} ${clip(maskWire(res.text))}`);
    let envelope: Envelope | undefined;
    try {
      envelope = JSON.parse(res.text) as Envelope;
    } catch {
      envelope = undefined;
    }
    const meta = envelope && typeof envelope === "object" ? envelope.meta : undefined;
    if (!meta || typeof meta !== "object") {
      const snippet = res.text.replace(/\s+/g, " ").slice(0, 200);
      throw new ApiError({
        endpoint,
        code: res.status >= 300 || res.status < 200 ? res.status : 500,
        subcode: 0,
        message: `not a ClearML answer: ${snippet || "(empty body)"}`,
      });
    }
    const code = typeof meta.result_code === "number" ? meta.result_code : res.status;
    if (code !== 200 || res.status !== 200) {
      throw new ApiError({
        endpoint,
        code: code !== 200 ? code : res.status,
        subcode: meta.result_subcode ?? 0,
        message: meta.result_msg ?? "",
      });
    }
    return envelope!.data ?? {};
  }
}
