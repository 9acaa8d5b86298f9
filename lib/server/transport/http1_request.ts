/**
 * Reading HTTP/1.1 requests off a byte stream for `Http1Server` (RFC 9112): the request line, the header block
 * and the body's framing (`Content-Length` or chunked). It reads from any `ByteSource` (the server's is a
 * `Deno.Conn`), so that a test can feed it the same byte streams, split anywhere, as a reference parser.
 *
 * @module
 */

import { ServerError } from "../errors.ts";

/** Largest request line plus header block (bytes). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Largest chunk of a chunked body (bytes). */
const MAX_CHUNK_BYTES = 16 * 1024 ** 3;
const CRLF = new Uint8Array([13, 10]);
const CRLF2 = new Uint8Array([13, 10, 13, 10]);
/** A token (RFC 9110 §5.6.2): a method, a header name, a chunk extension's name. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
/** Method, target (origin form, absolute form or `*`, in visible ASCII) and version. */
const REQUEST_LINE = new RegExp(
  `^(${TOKEN}) (/[\\x21-\\x7e]*|\\*|[A-Za-z][A-Za-z0-9+.-]*://[\\x21-\\x7e]*) (HTTP/1\\.[01])$`,
);
const HEADER_LINE = new RegExp(`^(${TOKEN}):[ \\t]*([\\t\\x20-\\x7e\\x80-\\xff]*?)[ \\t]*$`);
/** A chunk-size line (RFC 9112 §7.1.1) without whitespace, as llhttp reads it: a smuggling vector otherwise. */
const CHUNK_LINE = new RegExp(
  `^([0-9a-fA-F]{1,16})(?:;${TOKEN}(?:=(?:${TOKEN}|"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"))?)*$`,
);

/** The fields that frame a body: never in trailers, and read as strictly as llhttp reads them. */
const FRAMING_FIELD = /^(content-length|transfer-encoding)$/i;

/** Bytes as a string of one character per byte (a header's value is a byte string; UTF-8 is not decoded). */
function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/** Where the bytes come from: `Deno.Conn` is one. */
export interface ByteSource {
  /** Fill the start of `p`; the count read, or `null` at the end of the stream. */
  read(p: Uint8Array): Promise<number | null>;
}

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
export class Reader {
  #conn: ByteSource;
  #buf = new Uint8Array(0);
  #pending: Promise<boolean> | null = null;
  #eof = false;

  constructor(conn: ByteSource) {
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

  /** Drop empty lines (CRLF) before a request line (RFC 9112 §2.2: a client may send one after a body). */
  async skipEmptyLines(): Promise<void> {
    while (true) {
      if (this.#buf.length >= 2 && this.#buf[0] === 13 && this.#buf[1] === 10) this.#buf = this.#buf.subarray(2);
      else if (this.#buf.length >= 2 || (this.#buf.length === 1 && this.#buf[0] !== 13)) return;
      else if (!await this.#fill()) return;
    }
  }

  /**
   * Bytes up to and excluding `delim` (consumed); `null` on a clean EOF before any byte. More than `max` bytes
   * before it is `ProtocolError(tooLarge)`, however the bytes arrived.
   */
  async until(delim: Uint8Array, max: number, tooLarge = "Request head too large"): Promise<Uint8Array | null> {
    let scanned = 0;
    while (true) {
      const at = indexOf(this.#buf, delim, Math.max(0, scanned - delim.length));
      if (at > max) throw new ProtocolError(tooLarge);
      if (at >= 0) {
        const out = this.#buf.slice(0, at);
        this.#buf = this.#buf.subarray(at + delim.length);
        return out;
      }
      scanned = this.#buf.length;
      if (this.#buf.length > max + delim.length) throw new ProtocolError(tooLarge);
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
  while (true) {
    const line = await reader.until(CRLF, 1024, "Chunk size line too long");
    if (line === null) throw new ProtocolError("Connection closed inside a chunked body");
    const sizeText = CHUNK_LINE.exec(latin1(line))?.[1];
    if (sizeText === undefined) throw new ProtocolError("Invalid chunk size");
    const size = parseInt(sizeText, 16);
    // Refused before reading any of it: no upload is this large in one chunk.
    if (size > MAX_CHUNK_BYTES) throw new ProtocolError(`Chunk size over the limit of ${MAX_CHUNK_BYTES} bytes`);
    if (size === 0) {
      while (true) { // trailers (read and dropped), up to the empty line
        const t = await reader.until(CRLF, MAX_HEAD_BYTES, "Trailer too large");
        if (t === null) throw new ProtocolError("Connection closed inside a chunked body");
        if (t.length === 0) return;
        const field = HEADER_LINE.exec(latin1(t));
        if (field === null) throw new ProtocolError("Malformed trailer line");
        // Framing fields cannot come after the body they frame (RFC 9110 §6.5.1).
        if (FRAMING_FIELD.test(field[1])) throw new ProtocolError("Framing field in trailers");
      }
    }
    yield* fixedBody(reader, size);
    if ((await reader.until(CRLF, 0, "Missing CRLF after chunk data"))?.length !== 0) {
      throw new ProtocolError("Missing CRLF after chunk data");
    }
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
    const field = HEADER_LINE.exec(line);
    if (field === null) return "Malformed header line";
    // A tab after a framing value is refused, as llhttp refuses it: a proxy that reads the value otherwise
    // would frame the body otherwise.
    if (/\t[ \t]*$/.test(line) && FRAMING_FIELD.test(field[1])) {
      return `Tab after the ${field[1]} value`;
    }
    headers.append(field[1], field[2]);
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
export class Body implements AsyncIterable<Uint8Array> {
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

/** A request whose head has been read; its body is still on the stream. */
export interface Http1Request {
  method: string;
  /** The request target as sent (origin form for the ClearML clients). */
  target: string;
  version: "HTTP/1.0" | "HTTP/1.1";
  headers: Headers;
  body: Body;
  /** The client asked to close after this request (`Connection: close`, or HTTP/1.0 without keep-alive). */
  wantsClose: boolean;
}

/**
 * The next request's head: `null` on a clean end of the stream before any byte, the reason when the request line
 * or the header block is malformed; a head that is too large or cut short throws `ProtocolError`. Either way a
 * refused request ends the connection: nothing after it can be framed.
 */
export async function readRequest(reader: Reader): Promise<Http1Request | string | null> {
  await reader.skipEmptyLines();
  const head = await reader.until(CRLF2, MAX_HEAD_BYTES);
  if (head === null) return null;
  const lines = latin1(head).split("\r\n");
  const [, method, target, version] = REQUEST_LINE.exec(lines[0]) ?? [];
  if (method === undefined) return "Malformed request line";
  if (!URL.canParse(target, "http://localhost")) return "Malformed request target";
  const framing = parseHeaders(lines.slice(1));
  if (typeof framing === "string") return framing;
  const { headers, chunked, length } = framing;
  const options = (headers.get("connection") ?? "").toLowerCase().split(",").map((o) => o.trim());
  return {
    method,
    target,
    version: version as Http1Request["version"],
    headers,
    body: new Body(chunked ? chunkedBody(reader) : fixedBody(reader, length)),
    wantsClose: options.includes("close") || (version === "HTTP/1.0" && !options.includes("keep-alive")),
  };
}
