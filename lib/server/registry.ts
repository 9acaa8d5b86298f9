/**
 * The endpoint registry: every `service.action` with the handlers registered at different minimum versions, and
 * the context a handler receives. A call is served by the handler with the highest `minVersion` not above the
 * requested version (server-api.md §1.4).
 *
 * @module
 */

import type { Doc } from "./json.ts";
import type { Db, Identity } from "./storage/model.ts";
import type { Params } from "./queries/params.ts";

/** An API version as `[major, minor]`. */
export type Version = readonly [number, number];

/** The highest API version this server implements (advertised in tokens). */
export const MAX_VERSION = "2.31";

/** Parse `"2.13"` (or `"25"`) into a version; `undefined` when not a version. */
export function parseVersion(text: string): Version | undefined {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] ?? 0)];
}

/** Compare two versions (negative, zero, positive). */
export function compareVersions(a: Version, b: Version): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

/** True when `v` is below `major.minor`. */
export function below(v: Version, major: number, minor: number): boolean {
  return compareVersions(v, [major, minor]) < 0;
}

/** Server-wide services a handler may use (implemented by `server.ts`). */
export interface AppServices {
  /** Issue a token for an identity (`auth.login`). */
  issueToken(identity: Identity, expirationSec?: number): Promise<string>;
  /** Credentials management for `auth.*`. */
  credentials: {
    create(userId: string, label: string | undefined, now: number): { access_key: string; secret_key: string };
    list(userId: string): Doc[];
    revoke(userId: string, accessKey: string): number;
    edit(userId: string, accessKey: string, label: string): number;
  };
  /** Wake long-pollers waiting on `key` (call through `CallContext.afterCommit`). */
  notify(key: string): void;
  /** Wait until `key` is notified, `ms` passes, the signal aborts or the server closes; true when notified. */
  waitFor(key: string, ms: number, signal: AbortSignal): Promise<boolean>;
  /** False with `server --no-long-poll`: `wait_ms` is ignored and not advertised, as on a real ClearML server. */
  longPoll: boolean;
  /** Server identity for `server.info`. */
  serverUid: string;
  /** Seconds of silence after which an in_progress task is force-stopped by the watchdog. */
  taskStaleSec: number;
}

/** Everything one call's handler sees. */
export interface CallContext {
  /** `service.action`. */
  readonly endpoint: string;
  /** The request fields (body merged with the query string). */
  readonly params: Params;
  /** The items of a json-lines body, or `undefined`. */
  readonly batch: Doc[] | undefined;
  /** The requested version (the server max when the path had none). */
  readonly version: Version;
  readonly identity: Identity;
  readonly db: Db;
  /** The call's time (epoch ms), fixed for the whole call. */
  readonly now: number;
  /** `X-ClearML-Worker` / `X-Trains-Worker` header, if sent. */
  readonly workerHeader: string | undefined;
  /** The caller's address. */
  readonly ip: string;
  /** Aborted when the server shuts down. */
  readonly signal: AbortSignal;
  readonly app: AppServices;
  /** Run a function after the call's transaction commits (notifications). */
  afterCommit(fn: () => void): void;
  /** Run `fn` in one transaction (for `tx: false` handlers); `afterCommit` hooks fire after each commit. */
  tx<T>(fn: () => T): T;
}

/** One handler of an endpoint. */
export interface Endpoint {
  /** `service.action`. */
  name: string;
  /** Lowest API version served by this handler, as upstream writes it (`"1.0"`, `"2.4"`). */
  minVersion: string;
  /** `true` (default): credentials required; `false`: none checked. */
  authorize?: boolean;
  /** Parse a json-lines body into `batch`. */
  batch?: boolean;
  /** Run inside one transaction (default). `false` for async handlers that call `ctx.tx` themselves. */
  tx?: boolean;
  /** The handler; returns the `data` object (`undefined` → `{}`). */
  handler: (ctx: CallContext) => unknown;
}

interface Registered extends Endpoint {
  parsedMin: Version;
}

/** All endpoints of the server. */
export class Registry {
  #byName = new Map<string, Registered[]>();

  /** Register handlers. */
  add(...endpoints: Endpoint[]): void {
    for (const ep of endpoints) {
      const parsedMin = parseVersion(ep.minVersion);
      if (!parsedMin) throw new TypeError(`Invalid minVersion "${ep.minVersion}" for endpoint "${ep.name}"`);
      const list = this.#byName.get(ep.name) ?? [];
      if (list.some((e) => compareVersions(e.parsedMin, parsedMin) === 0)) {
        throw new TypeError(`Endpoint "${ep.name}" registered twice at version ${ep.minVersion}`);
      }
      list.push({ ...ep, parsedMin });
      list.sort((a, b) => compareVersions(b.parsedMin, a.parsedMin));
      this.#byName.set(ep.name, list);
    }
  }

  /** The handler for a name at a requested version, or `undefined` (→ 404). */
  resolve(name: string, version: Version): Endpoint | undefined {
    return this.#byName.get(name)?.find((e) => compareVersions(e.parsedMin, version) <= 0);
  }

  /** Every registered endpoint name, sorted. */
  names(): string[] {
    return [...this.#byName.keys()].sort();
  }
}
