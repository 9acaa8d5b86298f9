/**
 * Browser-facing safety of the API port: which `Host` names the server answers to (stops DNS rebinding: a page
 * of a foreign name that resolves to this machine sends that foreign name) and which `Origin`s may call it (stops
 * a page the user visits from driving the API, `--insecure-open` or not). Requests without `Origin` — every
 * non-browser client: the SDK, both agents, curl — are never refused for it.
 *
 * Allowed hosts: any IP address literal (a rebinding page sends its own DNS name, never an address: a container
 * that reaches the server through a bridge address is fine); the listen address; `localhost`; the machine's host
 * name; `host.docker.internal`; and the configured aliases (`--allow-host`, `CLEARML_SERVER_ALLOW_HOSTS`). The
 * port is not compared: only the name.
 *
 * Allowed origins: the server's own origin (`http://` + the `Host` it was reached at, when that host is
 * allowed: its own web page) and the configured ones (`--allow-origin`, `CLEARML_SERVER_ALLOW_ORIGINS`). A
 * configured origin gets CORS headers naming it; nobody gets a wildcard.
 *
 * @module
 */

/** Options of `OriginPolicy`. */
export interface OriginPolicyOptions {
  /** The address the server listens on. */
  listenHost: string;
  /** Extra origins allowed to call the API cross-origin (`scheme://host[:port]`). */
  allowOrigins?: readonly string[];
  /** Extra `Host` names the server answers to. */
  allowHosts?: readonly string[];
  /** This machine's host name. @default Deno.hostname() */
  hostname?: string;
}

/** The verdict on one request. */
export type OriginVerdict =
  | {
    ok: true; /** CORS headers to add to the answer (a configured cross-origin caller). */
    cors: Record<string, string>;
  }
  | { ok: false; reason: string };

const ALLOW_METHODS = "GET, POST, PUT, DELETE, OPTIONS";
const ALLOW_HEADERS = "authorization, content-type, x-clearml-worker, x-clearml-client, x-clearml-async, " +
  "x-clearml-trx, x-trains-worker, x-trains-client";

/** An IPv4 dotted quad or an IPv6 address (as it stands between brackets). */
function isIpLiteral(name: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return name.split(".").every((n) => Number(n) <= 255);
  return name.includes(":") && /^[0-9a-f:.]+$/.test(name);
}

/** `Host` header → lower-case name without port or IPv6 brackets; `undefined` when malformed. */
export function hostName(header: string): string | undefined {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    if (end < 0) return undefined;
    const rest = h.slice(end + 1);
    if (rest !== "" && !/^:\d{1,5}$/.test(rest)) return undefined;
    return h.slice(1, end);
  }
  const m = /^([a-z0-9._-]+)(?::\d{1,5})?$/.exec(h);
  return m ? m[1].replace(/\.$/, "") : undefined;
}

/** An origin in the form browsers send it (`scheme://host[:port]`, lower case, default port left out). */
export function normalizeOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new Error(`Invalid origin "${origin}": expected scheme://host[:port]`);
  }
  if (url.origin === "null" || url.pathname !== "/" || url.search || url.hash || url.username) {
    throw new Error(`Invalid origin "${origin}": expected scheme://host[:port]`);
  }
  return url.origin.toLowerCase();
}

function machineHostname(): string | undefined {
  try {
    return Deno.hostname().toLowerCase();
  } catch {
    return undefined;
  }
}

/** Decides whether a request's `Host` and `Origin` are acceptable. */
export class OriginPolicy {
  readonly hosts: ReadonlySet<string>;
  readonly origins: ReadonlySet<string>;

  constructor(o: OriginPolicyOptions) {
    const listen = o.listenHost.replace(/^\[|\]$/g, "").toLowerCase();
    const hosts = new Set<string>(["host.docker.internal", "localhost"]);
    if (listen !== "") hosts.add(listen);
    const name = o.hostname?.toLowerCase() ?? machineHostname();
    if (name) {
      hosts.add(name);
      hosts.add(name.split(".")[0]);
    }
    for (const h of o.allowHosts ?? []) {
      const n = hostName(h);
      if (!n) throw new Error(`Invalid host alias "${h}": expected a host name or address`);
      hosts.add(n);
    }
    this.hosts = hosts;
    this.origins = new Set((o.allowOrigins ?? []).map((origin) => {
      if (origin.trim() === "*") throw new Error(`Origin "*" is not accepted: list each origin allowed to call`);
      return normalizeOrigin(origin.trim());
    }));
  }

  /** Judge a request by its `Host` and `Origin` headers. */
  check(headers: Headers): OriginVerdict {
    const hostHeader = headers.get("host");
    let ownOrigin: string | undefined;
    if (hostHeader !== null) {
      const name = hostName(hostHeader);
      if (name === undefined || !(this.hosts.has(name) || isIpLiteral(name))) {
        return { ok: false, reason: `Host "${hostHeader.slice(0, 200)}" is not a name of this server` };
      }
      ownOrigin = `http://${hostHeader.trim().toLowerCase()}`;
    }
    const origin = headers.get("origin");
    if (origin === null) return { ok: true, cors: {} };
    const given = origin.trim().toLowerCase();
    if (ownOrigin !== undefined && (given === ownOrigin || given === ownOrigin.replace(/:80$/, ""))) {
      return { ok: true, cors: {} };
    }
    if (this.origins.has(given)) {
      return {
        ok: true,
        cors: {
          "access-control-allow-origin": given,
          "access-control-allow-credentials": "true",
          "access-control-allow-methods": ALLOW_METHODS,
          "access-control-allow-headers": ALLOW_HEADERS,
          "vary": "Origin",
        },
      };
    }
    return { ok: false, reason: `Origin "${origin.slice(0, 200)}" is not allowed to call this server` };
  }
}
