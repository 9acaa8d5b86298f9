/**
 * The web page of the embedded server, on the API's own port: `GET /` answers the page, `GET /web/<file>` its
 * scripts and styles (embedded in the binary by `_assets.ts`, gzip-compressed when the browser accepts it), and
 * `POST /web/session` turns an access key and secret into the `clearml_token_basic` session cookie (HttpOnly,
 * SameSite=Strict) that the API already accepts; `DELETE /web/session` signs out. Everything else the page does
 * goes through the ClearML API like any other client.
 *
 * @module
 */

import type { Authenticator } from "../auth/auth.ts";
import type { IncomingCall } from "../transport/dispatch.ts";
import type { Reply } from "../transport/envelope.ts";
import { readBody } from "../transport/request_body.ts";
import { isObject } from "../json.ts";
import type { Identity } from "../storage/model.ts";
import { ASSETS } from "./_assets.ts";

/** URL prefix of the page's files. */
export const WEB_PREFIX = "/web";
/** The cookie the API reads a session token from (auth.ts). */
export const SESSION_COOKIE = "clearml_token_basic";
/** Lifetime of a page session: 7 days. */
export const SESSION_SEC = 7 * 24 * 3600;
/** Largest sign-in body accepted. */
const MAX_SIGN_IN_BYTES = 16 * 1024;

/** True for the paths the page serves: `/`, `/index.html` and `/web/...`. */
export function isWebPath(pathname: string): boolean {
  return pathname === "/" || pathname === "/index.html" || pathname.startsWith(`${WEB_PREFIX}/`);
}

/** Options of `WebPage`. */
export interface WebPageOptions {
  auth: Authenticator;
  issueToken: (identity: Identity, expirationSec?: number) => Promise<string>;
}

const SECURITY_HEADERS: Record<string, string> = {
  "server": "clearml",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

function json(status: number, data: unknown, extra: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8", ...extra },
    body: JSON.stringify(data),
  };
}

function sessionCookie(value: string, maxAge: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`;
}

/** Serves the page, its files and the sign-in. */
export class WebPage {
  #o: WebPageOptions;
  #gzipped = new Map<string, Promise<Uint8Array>>();

  constructor(options: WebPageOptions) {
    this.#o = options;
  }

  /** Handle one request under `isWebPath`. */
  async handle(call: IncomingCall): Promise<Reply> {
    const path = call.url.pathname === "/index.html" ? "/" : call.url.pathname;
    if (path === `${WEB_PREFIX}/session`) return await this.#session(call);
    const asset = ASSETS[path];
    if (!asset) {
      return { status: 404, headers: { ...SECURITY_HEADERS, "content-type": "text/plain" }, body: "Not found" };
    }
    if (call.method !== "GET" && call.method !== "HEAD") {
      return { status: 405, headers: { ...SECURITY_HEADERS, allow: "GET, HEAD" }, body: "" };
    }
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      "content-type": asset.type,
      // The page itself is always re-read (it names the other files); the files are versioned by the build.
      "cache-control": path === "/" ? "no-cache" : "public, max-age=300",
      "vary": "accept-encoding",
    };
    if (path === "/") headers["content-security-policy"] = PAGE_CSP;
    let body: string | Uint8Array = asset.text;
    if (/\bgzip\b/.test(call.headers.get("accept-encoding") ?? "")) {
      body = await this.gzipped(path);
      headers["content-encoding"] = "gzip";
    }
    return { status: 200, headers, body, headOnly: call.method === "HEAD" };
  }

  /** The gzip-compressed bytes of one embedded file (computed once). */
  gzipped(path: string): Promise<Uint8Array> {
    let cached = this.#gzipped.get(path);
    if (!cached) {
      const text = ASSETS[path]?.text ?? "";
      cached = new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).bytes();
      this.#gzipped.set(path, cached);
    }
    return cached;
  }

  async #session(call: IncomingCall): Promise<Reply> {
    if (call.method === "DELETE") return json(200, { signed_in: false }, { "set-cookie": sessionCookie("", 0) });
    if (call.method !== "POST") {
      return { status: 405, headers: { ...SECURITY_HEADERS, allow: "POST, DELETE" }, body: "" };
    }
    let fields: Record<string, unknown>;
    try {
      const declared = call.headers.get("content-length");
      const bytes = await readBody(call.body, declared ? Number(declared) : undefined, MAX_SIGN_IN_BYTES);
      const parsed = JSON.parse(new TextDecoder().decode(bytes));
      if (!isObject(parsed)) throw new TypeError("not an object");
      fields = parsed;
    } catch {
      return json(400, { error: "Sign-in expects a JSON object with access_key and secret_key" });
    }
    const accessKey = fields.access_key;
    const secretKey = fields.secret_key;
    if (typeof accessKey !== "string" || typeof secretKey !== "string" || accessKey === "" || secretKey === "") {
      return json(400, { error: "Both the access key and the secret key are required" });
    }
    let identity: Identity;
    try {
      const basic = `Basic ${btoa(`${accessKey}:${secretKey}`)}`;
      const result = await this.#o.auth.authenticate(basic, null, call.remoteAddr);
      if (result.scheme !== "basic") throw new Error("not a key pair");
      identity = result.identity;
    } catch {
      return json(401, { error: "invalid credentials" });
    }
    const token = await this.#o.issueToken(identity, SESSION_SEC);
    return json(200, { signed_in: true, user: identity.user_name || identity.user }, {
      "set-cookie": sessionCookie(token, SESSION_SEC),
      "cache-control": "no-store",
    });
  }
}
