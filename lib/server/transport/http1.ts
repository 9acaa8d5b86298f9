/**
 * A small HTTP/1.1 server over `Deno.listen`; requests are read by `http1_request.ts`. Re-checked on Deno 2.9.6
 * (`tests/server/transport/get_body_transports_test.ts`): `Deno.serve` still hands a GET handler no body (the
 * ClearML clients send their JSON bodies with GET); `node:http` reads them, but loading its compatibility layer
 * costs ≈ 3–4 MB of idle RSS (`scripts/bench_transport.ts`). The server only needs plain HTTP/1.1: keep-alive,
 * `Content-Length` and chunked request bodies, `Expect: 100-continue`, sequential pipelining, and a graceful close
 * that lets in-flight calls finish. `tests/server/transport/http1_request_test.ts` reads the same byte streams with
 * this reader and with `node:http`'s parser (llhttp) and lists where they differ on purpose.
 *
 * @module
 */

import type { Logger } from "../../logger.ts";
import type { IncomingCall } from "./dispatch.ts";
import type { Reply } from "./envelope.ts";
import { ProtocolError, Reader, readRequest } from "./http1_request.ts";

const IDLE_TIMEOUT_MS = 120_000;
const enc = new TextEncoder();

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  500: "Internal Server Error",
};

/**
 * The request body; once it has been read to its end, watch the connection so that a client that goes away
 * while its call is still running (a long poll) aborts `disconnected`.
 */
async function* watchAfterBody(
  body: AsyncIterable<Uint8Array>,
  reader: Reader,
  handled: AbortSignal,
  disconnected: AbortController,
): AsyncGenerator<Uint8Array> {
  yield* body;
  reader.watchEof(handled).then((closed) => closed && disconnected.abort(), () => {});
}

/** Options for `Http1Server.listen`. */
export interface Http1Options {
  host: string;
  /** 0 picks a free port. */
  port: number;
  handler: (call: IncomingCall) => Promise<Reply>;
  log: Logger;
  /** Wall clock for the `Date` header (ms since epoch; default `Date.now`): clients such as `doctor` check skew. */
  now?: () => number;
}

/** The listening server. */
export class Http1Server {
  #listener: Deno.Listener;
  #options: Http1Options;
  #conns = new Map<Deno.Conn, { busy: boolean }>();
  #inFlight = new Set<Promise<void>>();
  #closing?: Promise<void>;
  #accepting: Promise<void>;

  private constructor(listener: Deno.Listener, options: Http1Options) {
    this.#listener = listener;
    this.#options = options;
    this.#accepting = this.#accept();
  }

  /** Start listening. */
  static listen(options: Http1Options): Http1Server {
    return new Http1Server(Deno.listen({ hostname: options.host, port: options.port }), options);
  }

  /** The bound port. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  async #accept(): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // listener closed
      }
      const p = this.#serve(conn).catch(() => {}).finally(() => {
        this.#conns.delete(conn);
        try {
          conn.close();
        } catch { /* already closed */ }
      });
      this.#inFlight.add(p);
      p.finally(() => this.#inFlight.delete(p));
    }
  }

  async #write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
  }

  async #respond(conn: Deno.Conn, reply: Reply, keepAlive: boolean): Promise<void> {
    const file = typeof reply.body === "string" || reply.body instanceof Uint8Array ? undefined : reply.body;
    const body = typeof reply.body === "string" ? enc.encode(reply.body) : file ? undefined : reply.body as Uint8Array;
    const length = file ? file.size : body!.length;
    let head = `HTTP/1.1 ${reply.status} ${REASONS[reply.status] ?? "Unknown"}\r\n`;
    for (const [k, v] of Object.entries(reply.headers)) head += `${k}: ${v}\r\n`;
    head += `date: ${new Date((this.#options.now ?? Date.now)()).toUTCString()}\r\n`;
    head += `content-length: ${length}\r\nconnection: ${keepAlive ? "keep-alive" : "close"}\r\n\r\n`;
    const head8 = enc.encode(head);
    if (reply.headOnly) return await this.#write(conn, head8);
    if (file) {
      await this.#write(conn, head8);
      return await this.#sendFile(conn, file.path, file.size);
    }
    const out = new Uint8Array(head8.length + body!.length);
    out.set(head8);
    out.set(body!, head8.length);
    await this.#write(conn, out);
  }

  /** Stream exactly `size` bytes of a file; a file that shrank meanwhile breaks the connection (length promised). */
  async #sendFile(conn: Deno.Conn, path: string, size: number): Promise<void> {
    using f = await Deno.open(path, { read: true });
    const buf = new Uint8Array(256 * 1024);
    let left = size;
    while (left > 0) {
      const n = await f.read(buf.subarray(0, Math.min(buf.length, left)));
      if (n === null) throw new Error(`File "${path}" ended ${left} bytes early`);
      await this.#write(conn, buf.subarray(0, n));
      left -= n;
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const state = { busy: false };
    this.#conns.set(conn, state);
    const reader = new Reader(conn);
    const remote = (conn.remoteAddr as Deno.NetAddr).hostname ?? "";
    while (!this.#closing) {
      let idle: ReturnType<typeof setTimeout> | undefined = setTimeout(() => conn.close(), IDLE_TIMEOUT_MS);
      let request: Awaited<ReturnType<typeof readRequest>>;
      try {
        request = await readRequest(reader);
      } catch (err) {
        clearTimeout(idle);
        if (err instanceof ProtocolError) {
          await this.#respond(
            conn,
            { status: 400, headers: { "content-type": "text/plain" }, body: err.message },
            false,
          )
            .catch(() => {});
        }
        return;
      } finally {
        clearTimeout(idle);
        idle = undefined;
      }
      if (request === null) return;
      state.busy = true;
      if (typeof request === "string") {
        await this.#respond(conn, { status: 400, headers: { "content-type": "text/plain" }, body: request }, false);
        return;
      }
      const { method, target, headers, body, wantsClose } = request;
      if ((headers.get("expect") ?? "").toLowerCase() === "100-continue") {
        await this.#write(conn, enc.encode("HTTP/1.1 100 Continue\r\n\r\n"));
      }
      let reply: Reply;
      const disconnected = new AbortController();
      const handled = new AbortController();
      try {
        reply = await this.#options.handler({
          method,
          url: new URL(target, "http://localhost"),
          headers,
          remoteAddr: remote,
          body: watchAfterBody(body, reader, handled.signal, disconnected),
          disconnected: disconnected.signal,
        });
      } catch (err) {
        this.#options.log.error(`Unhandled request error: ${err instanceof Error ? err.stack : String(err)}`);
        reply = { status: 500, headers: { "content-type": "text/plain" }, body: "Internal server error" };
      } finally {
        handled.abort();
      }
      let keepAlive = !wantsClose && !reply.close && !this.#closing;
      if (keepAlive) keepAlive = await body.drain();
      if (body.failed && reply.status >= 500) {
        reply = {
          status: 400,
          headers: { "content-type": "text/plain" },
          body: body.problem?.message ?? "Malformed request body",
        };
      }
      await this.#respond(conn, reply, keepAlive);
      state.busy = false;
      if (!keepAlive) return;
    }
  }

  /** Stop accepting, let in-flight calls finish, close idle connections. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        this.#listener.close();
      } catch { /* already closed */ }
      await this.#accepting;
      for (const [conn, state] of this.#conns) {
        if (!state.busy) {
          try {
            conn.close();
          } catch { /* already closed */ }
        }
      }
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    })();
    return this.#closing;
  }
}
