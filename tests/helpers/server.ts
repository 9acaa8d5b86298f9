/**
 * Test helpers for the embedded ClearML-API server.
 *
 * - `startTestServer()` / `withServer()` start one in this process on a random port in a fresh temporary folder,
 *   with known credentials, a silent logger and a frozen, controllable clock; `close()` stops it and removes the
 *   folder (~80 ms per server).
 * - `ApiClient` talks to it over real HTTP (Basic or Bearer, any method, versioned or not, json-lines batches) and
 *   returns the raw envelope.
 * - `spawnServerProcess()` runs the real CLI (`clearml-agent server --port 0`) as a child process, for restart and
 *   kill -9 tests.
 *
 * ```ts
 * const srv = await startTestServer();
 * try {
 *   const { id } = await srv.client.ok("tasks.create", { name: "my task", type: "training" });
 * } finally {
 *   await srv.close();
 * }
 * ```
 *
 * @module
 */

import { Logger } from "../../lib/logger.ts";
import { type ServerHandle, startServer, type StartServerOptions } from "../../lib/server/server.ts";
import { agentCommand, ROOT } from "./cli.ts";

/** Credentials of every test server (first start). */
export const TEST_ACCESS_KEY = "TESTACCESSKEY0000000000000000A";
export const TEST_SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnopqrstuv";

/**
 * A clock tests move by hand. By default it is frozen at its start time (deterministic: nothing expires unless a
 * test advances it); `TestClock.real()` follows the wall clock and `advance()` adds an offset on top.
 */
export class TestClock {
  #now: number;
  #real: boolean;

  constructor(start = Date.UTC(2025, 0, 1, 10, 0, 0), real = false) {
    this.#now = real ? 0 : start;
    this.#real = real;
  }

  /** A clock that follows real time (plus whatever `advance()` adds). */
  static real(): TestClock {
    return new TestClock(0, true);
  }

  /** Current time in epoch ms. */
  get now(): number {
    return this.#real ? Date.now() + this.#now : this.#now;
  }

  /** Move forward. */
  advance(ms: number): void {
    this.#now += ms;
  }

  /** The `Clock` function to inject. */
  readonly fn = (): number => this.now;
}

/** An API answer: HTTP status, the envelope's `meta` and `data`. */
export interface ApiResponse {
  status: number;
  meta: {
    id: string;
    trx: string;
    endpoint: { name: string; requested_version: string | number; actual_version: string | number | null } | null;
    result_code: number;
    result_subcode: number;
    result_msg: string;
    error_stack: string | null;
    error_data: Record<string, unknown>;
  };
  // deno-lint-ignore no-explicit-any
  data: Record<string, any>;
}

/** Options of one call. */
export interface CallOptions {
  /** `"2.5"` → `/v2.5/...`; absent → unversioned. */
  version?: string;
  /** @default "POST" */
  method?: "GET" | "POST" | "PUT";
  /** `bearer` (default, logs in once), `basic`, `none`, or a literal `Authorization` header. */
  auth?: "bearer" | "basic" | "none" | { header: string };
  headers?: Record<string, string>;
  /** Query string (without `?`). */
  query?: string;
}

/**
 * One HTTP/1.1 request over a plain TCP connection, so that a GET can carry a body as the Python clients send
 * it. Returns the status and the (de-chunked) body text.
 */
export async function rawHttp(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string; headers: string }> {
  const u = new URL(url);
  const ownHost = Object.keys(headers).some((k) => k.toLowerCase() === "host");
  const payload = new TextEncoder().encode(body);
  const head = [
    `${method} ${u.pathname}${u.search} HTTP/1.1`,
    ...(ownHost ? [] : [`Host: ${u.host}`]),
    "Connection: close",
    `Content-Length: ${payload.length}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    "",
    "",
  ].join("\r\n");
  const conn = await Deno.connect({ hostname: u.hostname, port: Number(u.port) });
  try {
    await conn.write(new TextEncoder().encode(head));
    for (let off = 0; off < payload.length;) off += await conn.write(payload.subarray(off));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const all = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
    const split = all.indexOf("\r\n\r\n");
    const statusLine = all.slice(0, all.indexOf("\r\n"));
    const rawHeaders = all.slice(0, split).toLowerCase();
    let text = all.slice(split + 4);
    if (rawHeaders.includes("transfer-encoding: chunked")) {
      let out = "";
      let rest = text;
      while (true) {
        const eol = rest.indexOf("\r\n");
        const size = parseInt(rest.slice(0, eol), 16);
        if (!size) break;
        out += rest.slice(eol + 2, eol + 2 + size);
        rest = rest.slice(eol + 2 + size + 2);
      }
      text = out;
    }
    return { status: Number(statusLine.split(" ")[1]), text, headers: rawHeaders };
  } finally {
    conn.close();
  }
}

/** A small raw HTTP client for the ClearML API (no retries, no envelope checks). */
export class ApiClient {
  readonly url: string;
  readonly accessKey: string;
  readonly secretKey: string;
  #token?: string;

  constructor(url: string, accessKey = TEST_ACCESS_KEY, secretKey = TEST_SECRET_KEY) {
    this.url = url;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  /** `Authorization: Basic ...` for this client's key pair. */
  basicHeader(): string {
    return `Basic ${btoa(`${this.accessKey}:${this.secretKey}`)}`;
  }

  /** Log in (`auth.login`, Basic) and keep the token. */
  async login(): Promise<string> {
    const r = await this.call("auth.login", undefined, { auth: "basic", method: "GET" });
    if (r.status !== 200) throw new Error(`Login failed: ${r.status} ${r.meta.result_msg}`);
    this.#token = r.data.token as string;
    return this.#token;
  }

  async #authHeader(auth: CallOptions["auth"]): Promise<string | undefined> {
    if (auth === "none") return undefined;
    if (auth === "basic") return this.basicHeader();
    if (typeof auth === "object") return auth.header;
    return `Bearer ${this.#token ?? await this.login()}`;
  }

  /** Send a raw body (string or bytes) and parse the envelope. */
  async raw(endpoint: string, body: BodyInit | undefined, opts: CallOptions & { contentType?: string } = {}) {
    const path = opts.version ? `/v${opts.version}/${endpoint}` : `/${endpoint}`;
    const headers: Record<string, string> = { ...opts.headers };
    const auth = await this.#authHeader(opts.auth);
    if (auth) headers.authorization = auth;
    if (opts.contentType) headers["content-type"] = opts.contentType;
    const target = `${this.url}${path}${opts.query ? `?${opts.query}` : ""}`;
    const method = opts.method ?? "POST";
    const res = method === "GET" && body !== undefined
      ? await rawHttp(target, method, headers, body as string) // fetch() refuses GET bodies; clients send them
      : await fetch(target, { method, headers, body }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const text = res.text;
    let parsed: { meta: ApiResponse["meta"]; data: ApiResponse["data"] };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`Not an envelope (HTTP ${res.status}): ${text.slice(0, 200)}`);
    }
    return { status: res.status, meta: parsed.meta, data: parsed.data } as ApiResponse;
  }

  /** Call an endpoint with a JSON body. */
  call(endpoint: string, body?: unknown, opts: CallOptions = {}): Promise<ApiResponse> {
    return this.raw(endpoint, body === undefined ? undefined : JSON.stringify(body), {
      ...opts,
      contentType: "application/json",
    });
  }

  /** Call and require HTTP 200; returns `data`. */
  // deno-lint-ignore no-explicit-any
  async ok(endpoint: string, body?: unknown, opts: CallOptions = {}): Promise<Record<string, any>> {
    const r = await this.call(endpoint, body, opts);
    if (r.status !== 200) {
      throw new Error(`${endpoint} failed: ${r.status}/${r.meta.result_subcode} ${r.meta.result_msg}`);
    }
    return r.data;
  }

  /** Send items as a json-lines batch (`events.add_batch`). */
  batch(endpoint: string, items: unknown[], opts: CallOptions = {}): Promise<ApiResponse> {
    const body = items.map((i) => JSON.stringify(i)).join("\n");
    return this.raw(endpoint, body, { ...opts, contentType: "application/json-lines" });
  }
}

/** A server started for one test. */
export interface TestServer extends ServerHandle {
  /** A client logged in as the admin on first use. */
  client: ApiClient;
  clock: TestClock;
}

/** Options of `startTestServer`: the server's, with a `TestClock` instead of a clock function. */
export type TestServerOptions = Partial<Omit<StartServerOptions, "clock">> & { clock?: TestClock };

/**
 * Start a server in this process on a random port in a new temporary folder, with the test credentials, a silent
 * logger, no watchdog timer (call `runWatchdog()`), and a `TestClock` frozen at the current time unless one is
 * given (`TestClock.real()` for wall time).
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "clearml-server-test-" });
  const clock = options.clock ?? new TestClock(Date.now());
  const handle = await startServer({
    host: "127.0.0.1",
    port: 0,
    accessKey: TEST_ACCESS_KEY,
    secretKey: TEST_SECRET_KEY,
    log: new Logger({ level: "silent" }),
    watchdogIntervalMs: 0,
    ...options,
    dataDir,
    clock: clock.fn,
  });
  const close = async () => {
    await handle.close();
    if (ownDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  return {
    url: handle.url,
    filesUrl: handle.filesUrl,
    host: handle.host,
    port: handle.port,
    dataDir,
    firstStart: handle.firstStart,
    accessKey: handle.accessKey,
    secretKey: handle.secretKey,
    snippetPath: handle.snippetPath,
    runWatchdog: () => handle.runWatchdog(),
    get waitingPolls() {
      return handle.waitingPolls;
    },
    close,
    finished: handle.finished,
    client: new ApiClient(handle.url),
    clock,
  };
}

/** Run `fn` with a fresh test server, always closing it. */
export async function withServer<T>(fn: (srv: TestServer) => Promise<T>, options?: TestServerOptions): Promise<T> {
  const srv = await startTestServer(options);
  try {
    return await fn(srv);
  } finally {
    await srv.close();
  }
}

/** A `clearml-agent server` child process. */
export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Send a signal and wait for the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/**
 * Start `clearml-agent server --port 0 --data-dir DIR` from source and wait for its listening line (up to 30 s).
 * Credentials come from `CLEARML_API_ACCESS_KEY` / `CLEARML_API_SECRET_KEY` set to the test pair.
 */
export async function spawnServerProcess(
  dataDir: string,
  opts: { args?: string[]; env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: agentCommand(["server", "--port", "0", "--data-dir", dataDir, ...(opts.args ?? [])]),
    cwd: ROOT,
    env: { CLEARML_API_ACCESS_KEY: TEST_ACCESS_KEY, CLEARML_API_SECRET_KEY: TEST_SECRET_KEY, ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const dec = new TextDecoder();
  let onData = () => {};
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      out += dec.decode(chunk);
      onData();
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = child.status;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Server did not start within 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = /ClearML API server listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    onData = check;
    status.then((s) => {
      clearTimeout(timer);
      reject(new Error(`Server exited with ${s.code} before listening:\n${out}`));
    });
    check();
  }).catch(async (err) => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await Promise.all([status, pumps]);
    throw err;
  });
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid,
    dataDir,
    output: () => out,
    stop: async (signal: Deno.Signal = "SIGTERM") => {
      try {
        child.kill(signal);
      } catch { /* already exited */ }
      const s = await status;
      await pumps;
      return s.code;
    },
  };
}
