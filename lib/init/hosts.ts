/**
 * Server addresses in the `init` wizard, as the reference derives them (agent-reference §1.8, `parse_host`):
 * `app.X` → API `api.X`, files `files.X` (and `demoapp.`/`demoapi.`/`demofiles.`); an `api.` host gives the web
 * host back; port 8008 (API) ↔ 8080 (web), 8081 (files). An address without a scheme gets `http://` when it has
 * a port, else `https://`. Pure: where the reference asks about default ports, the caller's `askDefaultPorts`
 * answers.
 *
 * @module
 */

/** The three addresses. */
export interface Hosts {
  api: string;
  web: string;
  files: string;
}

/** `verify_url`: the address with a scheme, or undefined when it is not an http(s) URL. */
export function verifyUrl(input: string): URL | undefined {
  let text = input.trim();
  if (text === "") return undefined;
  if (!/^https?:\/\//i.test(text)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return undefined;
    text = (text.includes(":") ? "http://" : "https://") + text;
  }
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** `scheme://netloc/path` of a URL, without a trailing slash for the root path. */
export function hostText(url: URL): string {
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${url.host}${path}`;
}

/** How a host was derived, for the message the reference prints. */
export interface DerivedHosts extends Hosts {
  /** A line to show (e.g. "Port 8008 is the api port..."), if any. */
  message?: string;
  /** False when nothing could be derived (unknown host name, no known port): `web`/`files` are empty. */
  derived: boolean;
}

function swap(url: URL, from: string, to: string): string {
  return `${url.protocol}//${url.host.replace(from, to)}${url.pathname === "/" ? "" : url.pathname}`;
}

function withPort(url: URL, port: number): string {
  return `${url.protocol}//${url.hostname}:${port}${url.pathname === "/" ? "" : url.pathname}`;
}

/**
 * `parse_host`: the API, web and files addresses from one of them. `askDefaultPorts` is called for a host with
 * no port and no known prefix ("use the default ports?"); answering true gives ports 8008/8080/8081.
 */
export function parseHost(url: URL, askDefaultPorts?: () => boolean): DerivedHosts {
  const self = hostText(url);
  const host = url.host;
  const port = url.port === "" ? undefined : Number(url.port);
  if (host.startsWith("demoapp.")) {
    return {
      api: swap(url, "demoapp.", "demoapi."),
      web: self,
      files: swap(url, "demoapp.", "demofiles."),
      derived: true,
    };
  }
  if (host.startsWith("app.")) {
    return { api: swap(url, "app.", "api."), web: self, files: swap(url, "app.", "files."), derived: true };
  }
  if (host.startsWith("demoapi.")) {
    return {
      api: self,
      web: swap(url, "demoapi.", "demoapp."),
      files: swap(url, "demoapi.", "demofiles."),
      message: `${host} is the api server, we need the web server. Replacing 'demoapi.' with 'demoapp.'`,
      derived: true,
    };
  }
  if (host.startsWith("api.")) {
    return {
      api: self,
      web: swap(url, "api.", "app."),
      files: swap(url, "api.", "files."),
      message: `${host} is the api server, we need the web server. Replacing 'api.' with 'app.'`,
      derived: true,
    };
  }
  if (port === 8008) {
    return {
      api: self,
      web: swap(url, ":8008", ":8080"),
      files: swap(url, ":8008", ":8081"),
      message: "Port 8008 is the api port: the web application is taken to be on port 8080, the files server on 8081",
      derived: true,
    };
  }
  if (port === 8080) {
    return { api: swap(url, ":8080", ":8008"), web: self, files: swap(url, ":8080", ":8081"), derived: true };
  }
  if (port === undefined && askDefaultPorts?.()) {
    return { api: withPort(url, 8008), web: withPort(url, 8080), files: withPort(url, 8081), derived: true };
  }
  return { api: self, web: "", files: "", derived: false };
}
