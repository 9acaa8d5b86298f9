/**
 * A small HTTP/1.1 server over `Deno.listen`. Neither `Deno.serve` (it drops request bodies on GET, and the
 * ClearML clients send their JSON bodies with GET) nor `node:http` (correct, but its compatibility layer costs
 * ~6 MB of idle RSS) fits, and the server only needs plain HTTP/1.1: keep-alive, `Content-Length` and chunked
 * request bodies, `Expect: 100-continue`, sequential pipelining, and a graceful close that lets in-flight calls
 * finish.
 *
 * @module
 */

import type { Logger } from "../../logger.ts";
import type { IncomingCall } from "./dispatch.ts";
import type { Reply } from "./envelope.ts";
import { ServerError } from "../errors.ts";

const MAX_HEAD_BYTES = 64 * 1024;
/** Largest chunk of a chunked body (bytes). */
const MAX_CHUNK_BYTES = 16 * 1024 ** 3;
const IDLE_TIMEOUT_MS = 120_000;
const CRLF2 = new Uint8Array([13, 10, 13, 10]);
const enc = new TextEncoder();
const dec = new TextDecoder();

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

/** A request the connection could not parse: `400/0`, and the connection is closed. */
export class ProtocolError extends ServerError {
  override name = "ProtocolError";
  constructor(message: string) {
    super(400, 0, `Bad request (${message})`);
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Buffered reads from one connection. */
class Reader {
  #conn: Deno.Conn;
  #buf = new Uint8Array(0);
  #pending: Promise<boolean> | null = null;
  #eof = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** One read at a time: a read started by `watchEof` is shared with the next request's reads. */
  #fill(): Promise<boolean> {
    if (this.#eof) return Promise.resolve(false);
    this.#pending ??= this.#read().finally(() => this.#pending = null);
    return this.#pending;
  }

  async #read(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    let n: number | null;
    try {
      n = await this.#conn.read(chunk);
    } catch {
      n = null; // reset or closed by us
    }
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
    return true;
  }

  /**
   * Resolve when the peer closes the connection while a call is being handled. Bytes that arrive meanwhile (a
   * pipelined request) stay buffered for the next request; watching stops once `MAX_HEAD_BYTES` are buffered.
   */
  async watchEof(stop: AbortSignal): Promise<boolean> {
    while (!stop.aborted && this.#buf.length <= MAX_HEAD_BYTES) {
      if (!await this.#fill()) return !stop.aborted;
    }
    return false;
  }

  /** Bytes up to and excluding `delim` (consumed); `null` on a clean EOF before any byte. */
  async until(delim: Uint8Array, max: number): Promise<Uint8Array | null> {
    let scanned = 0;
    while (true) {
      const at = indexOf(this.#buf, delim, Math.max(0, scanned - delim.length));
      if (at >= 0) {
        const out = this.#buf.slice(0, at);
        this.#buf = this.#buf.subarray(at + delim.length);
        return out;
      }
      scanned = this.#buf.length;
      if (this.#buf.length > max) throw new ProtocolError("Request head too large");
      if (!await this.#fill()) {
        if (this.#buf.length === 0) return null;
        throw new ProtocolError("Connection closed inside a request");
      }
    }
  }

  /** Up to `max` bytes (at least one unless EOF). */
  async some(max: number): Promise<Uint8Array | null> {
    if (this.#buf.length === 0 && !await this.#fill()) return null;
    const out = this.#buf.slice(0, max);
    this.#buf = this.#buf.subarray(out.length);
    return out;
  }
}

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

async function* fixedBody(reader: Reader, length: number): AsyncGenerator<Uint8Array> {
  let left = length;
  while (left > 0) {
    const chunk = await reader.some(left);
    if (chunk === null) throw new ProtocolError("Connection closed inside a request body");
    left -= chunk.length;
    yield chunk;
  }
}

async function* chunkedBody(reader: Reader): AsyncGenerator<Uint8Array> {
  const crlf = new Uint8Array([13, 10]);
  while (true) {
    const line = await reader.until(crlf, 1024);
    if (line === null) throw new ProtocolError("Connection closed inside a chunked body");
    const sizeText = dec.decode(line).split(";")[0].trim();
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw new ProtocolError("Invalid chunk size");
    const size = parseInt(sizeText, 16);
    // Refused before reading any of it: no upload is this large in one chunk.
    if (size > MAX_CHUNK_BYTES) throw new ProtocolError(`Chunk size over the limit of ${MAX_CHUNK_BYTES} bytes`);
    if (size === 0) {
      while (true) { // trailers, up to the empty line
        const t = await reader.until(crlf, MAX_HEAD_BYTES);
        if (t === null || t.length === 0) return;
      }
    }
    yield* fixedBody(reader, size);
    await reader.until(crlf, 2);
  }
}

/**
 * The header block and the body's framing (RFC 9112 §6): a malformed line, `Content-Length` together with
 * `Transfer-Encoding` (a request smuggling vector), a coding other than `chunked` or a bad length is refused with
 * the reason, and the connection is closed.
 */
function parseHeaders(lines: string[]): { headers: Headers; chunked: boolean; length: number } | string {
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return "Malformed header line";
    try {
      headers.append(name, line.slice(colon + 1).trim());
    } catch {
      return "Malformed header line";
    }
  }
  const coding = headers.get("transfer-encoding");
  const declared = headers.get("content-length");
  if (coding !== null && declared !== null) return "Both Content-Length and Transfer-Encoding";
  if (coding !== null && coding.trim().toLowerCase() !== "chunked") return "Unsupported Transfer-Encoding";
  const length = declared === null ? 0 : /^\d{1,15}$/.test(declared.trim()) ? Number(declared) : -1;
  if (length < 0) return "Invalid Content-Length";
  return { headers, chunked: coding !== null, length };
}

/** A body stream that remembers a broken read and can be drained if the handler did not read it all. */
class Body implements AsyncIterable<Uint8Array> {
  #it: AsyncGenerator<Uint8Array>;
  /** True once a read failed: the connection can no longer be trusted. */
  failed = false;
  /** Why it failed, when the request itself was malformed. */
  problem?: ProtocolError;

  constructor(it: AsyncGenerator<Uint8Array>) {
    this.#it = it;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: async () => {
        try {
          return await this.#it.next();
        } catch (err) {
          this.failed = true;
          if (err instanceof ProtocolError) this.problem = err;
          throw err;
        }
      },
    };
  }

  /** Read and discard whatever is left; false when the body was broken. */
  async drain(): Promise<boolean> {
    if (this.failed) return false;
    try {
      while (!(await this.#it.next()).done) { /* discard */ }
      return true;
    } catch (err) {
      this.failed = true;
      if (err instanceof ProtocolError) this.problem = err;
      return false;
    }
  }
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
      let head: Uint8Array | null;
      try {
        head = await reader.until(CRLF2, MAX_HEAD_BYTES);
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
      if (head === null) return;
      state.busy = true;
      const lines = dec.decode(head).split("\r\n");
      const [method, target, version] = lines[0].split(" ");
      if (!method || !target || !/^HTTP\/1\.[01]$/.test(version ?? "")) {
        await this.#respond(conn, { status: 400, headers: {}, body: "Malformed request line" }, false);
        return;
      }
      const framing = parseHeaders(lines.slice(1));
      if (typeof framing === "string") {
        await this.#respond(conn, { status: 400, headers: { "content-type": "text/plain" }, body: framing }, false);
        return;
      }
      const { headers, chunked, length } = framing;
      if ((headers.get("expect") ?? "").toLowerCase() === "100-continue") {
        await this.#write(conn, enc.encode("HTTP/1.1 100 Continue\r\n\r\n"));
      }
      const body = new Body(chunked ? chunkedBody(reader) : fixedBody(reader, length));
      const wantsClose = (headers.get("connection") ?? "").toLowerCase() === "close" ||
        (version === "HTTP/1.0" && (headers.get("connection") ?? "").toLowerCase() !== "keep-alive");
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
