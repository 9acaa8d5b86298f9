/**
 * Authentication (server-api.md §2): Basic `access_key:secret_key` and Bearer JWT on every endpoint, token
 * issuing for `auth.login`, and credential management. Secrets are stored as scrypt hashes; verified pairs and
 * tokens are cached in memory so that only the first use of a key pays for the hash.
 *
 * @module
 */

import { type BootstrapResult, fingerprint, generateAccessKey, generateSecretKey, identityOf } from "./credentials.ts";
import { insertCredential, verifySecret } from "./credentials.ts";
import { errors } from "../errors.ts";
import { importHs256Key, JwtError, signJwt, verifyJwt } from "./jwt.ts";
import type { Identity } from "../storage/model.ts";
import type { Store } from "../storage/store.ts";
import { isoDate, type NowFn } from "../time.ts";
import { MAX_VERSION } from "../registry.ts";
import type { Doc } from "../json.ts";

/** The server version written into tokens (the upstream release whose API we follow). */
export const SERVER_VERSION = "2.0.0";
/** Default token lifetime: 30 days. */
export const DEFAULT_TOKEN_SEC = 2_592_000;
/** Longest lifetime a client may ask for: one year. */
export const MAX_TOKEN_SEC = 31_536_000;
/** Our own additions, advertised in tokens and `server.info` (a real ClearML server has none). */
export const SERVER_EXTENSIONS = ["queues.get_next_task.wait_ms"];

const TOKEN_CACHE_MAX = 1024;

/** How a call authenticated. */
export interface AuthResult {
  identity: Identity;
  /** `basic`, `bearer`, or `open` (no or bad credentials accepted by `--insecure-open`). */
  scheme: "basic" | "bearer" | "open";
  /** The access key for Basic (for request logs). */
  accessKey?: string;
}

/** Options for `Authenticator.create`. */
export interface AuthenticatorOptions {
  store: Store;
  clock: NowFn;
  /** The admin of the bootstrap: the identity of `--insecure-open` calls. */
  admin: BootstrapResult;
  /** Accept calls without (valid) credentials as the admin. */
  insecureOpen: boolean;
  /** The extensions advertised in tokens (`server_extensions`). @default SERVER_EXTENSIONS */
  extensions?: readonly string[];
}

/** Verifies credentials and issues tokens for one server. */
export class Authenticator {
  #store: Store;
  #clock: NowFn;
  #extensions: string[];
  #key: CryptoKey;
  #admin: Identity;
  #insecureOpen: boolean;
  #tokens = new Map<string, { identity: Identity; exp?: number }>();
  #verified = new Map<string, { fp: string; userId: string }>();

  private constructor(opts: AuthenticatorOptions, key: CryptoKey, admin: Identity) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#key = key;
    this.#admin = admin;
    this.#insecureOpen = opts.insecureOpen;
    this.#extensions = [...(opts.extensions ?? SERVER_EXTENSIONS)];
  }

  /** Load (or create on first start) the token signing secret and build the authenticator. */
  static async create(opts: AuthenticatorOptions): Promise<Authenticator> {
    const secretHex = opts.store.tx(() => {
      const row = opts.store.get("SELECT value FROM kv WHERE key = 'token_secret'");
      if (row) return String(row.value);
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      opts.store.run("INSERT INTO kv (key, value) VALUES ('token_secret', ?)", hex);
      return hex;
    });
    const key = await importHs256Key(new Uint8Array(secretHex.match(/../g)!.map((h) => parseInt(h, 16))));
    const admin = identityOf(opts.store, opts.admin.adminUser);
    if (!admin) throw new Error(`Admin user "${opts.admin.adminUser}" is missing from the database`);
    return new Authenticator(opts, key, admin);
  }

  /**
   * Authenticate one request from its `Authorization` header (or the `clearml_token_basic` cookie). Throws the
   * upstream 401 errors; with `--insecure-open` every failure falls back to the admin identity.
   */
  async authenticate(header: string | null, cookie: string | null, from: string): Promise<AuthResult> {
    try {
      return await this.#authenticate(header, cookie, from);
    } catch (err) {
      if (this.#insecureOpen) return { identity: this.#admin, scheme: "open" };
      throw err;
    }
  }

  async #authenticate(header: string | null, cookie: string | null, from: string): Promise<AuthResult> {
    if (!header) {
      const token = /(?:^|;\s*)clearml_token_basic=([^;]+)/.exec(cookie ?? "")?.[1];
      if (token) return { identity: await this.#bearer(token), scheme: "bearer" };
      throw errors.noCredentials();
    }
    const space = header.indexOf(" ");
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const data = space < 0 ? "" : header.slice(space + 1).trim();
    if (scheme === "bearer") return { identity: await this.#bearer(data), scheme: "bearer" };
    if (scheme !== "basic") throw errors.badAuthType();
    let decoded: string;
    try {
      decoded = atob(data); // latin-1, as upstream decodes
    } catch {
      throw errors.badCredentials();
    }
    const colon = decoded.indexOf(":");
    if (colon < 0) throw errors.badCredentials();
    const accessKey = decoded.slice(0, colon);
    return { identity: this.#basic(accessKey, decoded.slice(colon + 1), from), scheme: "basic", accessKey };
  }

  #basic(accessKey: string, secret: string, from: string): Identity {
    const fail = () => errors.invalidCredentials("failed to locate provided credentials");
    const fp = fingerprint(secret);
    let userId = this.#verified.get(accessKey)?.fp === fp ? this.#verified.get(accessKey)!.userId : undefined;
    if (!userId) {
      const row = this.#store.get("SELECT user_id, secret_hash FROM credentials WHERE access_key = ?", accessKey);
      if (!row || !verifySecret(secret, String(row.secret_hash))) throw fail();
      userId = String(row.user_id);
      this.#verified.set(accessKey, { fp, userId });
    }
    const identity = identityOf(this.#store, userId);
    if (!identity) throw fail();
    this.#store.tx(() =>
      this.#store.run(
        "UPDATE credentials SET last_used = ?, last_used_from = ? WHERE access_key = ?",
        isoDate(this.#clock()),
        from,
        accessKey,
      )
    );
    return identity;
  }

  async #bearer(token: string): Promise<Identity> {
    const nowSec = Math.floor(this.#clock() / 1000);
    const cached = this.#tokens.get(token);
    if (cached) {
      if (cached.exp === undefined || cached.exp > nowSec) return cached.identity;
      this.#tokens.delete(token);
    }
    let payload: Record<string, unknown>;
    try {
      payload = await verifyJwt(token, this.#key, nowSec);
    } catch (err) {
      const reason = err instanceof JwtError ? err.message : "Invalid token";
      throw errors.invalidToken("invalid jwt token", { reason });
    }
    const id = payload.identity as Partial<Identity> | undefined;
    if (!id || typeof id !== "object" || typeof id.user !== "string" || typeof id.company !== "string") {
      throw errors.invalidToken("missing identity");
    }
    const identity: Identity = {
      user: id.user,
      company: id.company,
      role: String(id.role ?? "user"),
      user_name: String(id.user_name ?? ""),
      company_name: String(id.company_name ?? ""),
    };
    if (this.#tokens.size >= TOKEN_CACHE_MAX) this.#tokens.clear();
    this.#tokens.set(token, { identity, exp: typeof payload.exp === "number" ? payload.exp : undefined });
    return identity;
  }

  /** Sign a token for `identity` (30 days unless `expirationSec`; role `system` never expires). */
  issueToken(identity: Identity, expirationSec?: number): Promise<string> {
    const iat = Math.floor(this.#clock() / 1000);
    const payload: Record<string, unknown> = {
      auth_type: "Bearer",
      identity,
      iat,
      session_id: crypto.randomUUID().replaceAll("-", ""),
      env: "<unknown>",
      api_version: MAX_VERSION,
      server_version: SERVER_VERSION,
      feature_set: "basic",
      server_extensions: this.#extensions,
    };
    if (identity.role !== "system") payload.exp = iat + (expirationSec ?? DEFAULT_TOKEN_SEC);
    return signJwt(payload, this.#key);
  }

  /** Create a credential pair for a user (`auth.create_credentials`). */
  createCredentials(userId: string, label: string | undefined, now: number) {
    const accessKey = generateAccessKey();
    const secretKey = generateSecretKey();
    insertCredential(this.#store, { accessKey, secretKey, userId, label, now });
    return { access_key: accessKey, secret_key: secretKey, ...(label ? { label } : {}) };
  }

  /** A user's credentials without secrets (`auth.get_credentials`). */
  listCredentials(userId: string): Doc[] {
    return this.#store.all(
      "SELECT access_key, label, last_used, last_used_from FROM credentials WHERE user_id = ? ORDER BY rowid",
      userId,
    ).map((r) => {
      const out: Doc = { access_key: r.access_key };
      for (const k of ["label", "last_used", "last_used_from"]) if (r[k] !== null) out[k] = r[k];
      return out;
    });
  }

  /** Revoke one of a user's keys; returns 0 or 1. */
  revokeCredentials(userId: string, accessKey: string): number {
    this.#verified.delete(accessKey);
    return this.#store.run("DELETE FROM credentials WHERE access_key = ? AND user_id = ?", accessKey, userId);
  }

  /** Change a key's label; returns 0 or 1. */
  editCredentials(userId: string, accessKey: string, label: string): number {
    return this.#store.run(
      "UPDATE credentials SET label = ? WHERE access_key = ? AND user_id = ?",
      label,
      accessKey,
      userId,
    );
  }
}
