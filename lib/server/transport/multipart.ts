/**
 * A streaming `multipart/form-data` reader (RFC 7578) for the files server: parts are handed to a sink chunk by
 * chunk as they arrive, so an upload is never held in memory. Only what the ClearML SDK sends is needed (one or
 * more file parts with a `Content-Disposition` header), but any well-formed body is read.
 *
 * @module
 */

import { ServerError } from "../errors.ts";

const CRLF = new Uint8Array([13, 10]);
const CRLF2 = new Uint8Array([13, 10, 13, 10]);
const MAX_PART_HEAD = 16 * 1024;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** The headers of one part. */
export interface PartInfo {
  /** `name` of the `Content-Disposition` header ("" when absent). */
  name: string;
  /** `filename` of the `Content-Disposition` header, if any. */
  filename?: string;
  /** `Content-Type` of the part ("" when absent). */
  contentType: string;
}

/** Receives one part's bytes. */
export interface PartSink {
  write(chunk: Uint8Array): Promise<void>;
  /** The part ended (its last byte was written). */
  close(): Promise<void>;
}

/** The boundary of a `multipart/form-data` content type; `undefined` when it is not one. */
export function multipartBoundary(contentType: string): string | undefined {
  const [type, ...params] = contentType.split(";").map((s) => s.trim());
  if (type.toLowerCase() !== "multipart/form-data") return undefined;
  for (const p of params) {
    const eq = p.indexOf("=");
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    const value = p.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
    if (value.length >= 1 && value.length <= 70) return value;
  }
  return undefined;
}

function badBody(why: string): ServerError {
  return new ServerError(400, 0, `Invalid multipart body (${why})`);
}

/** First index of `needle` in `hay` at or after `from`, or -1. */
function find(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  let i = hay.indexOf(needle[0], from);
  while (i >= 0 && i <= hay.length - needle.length) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
    i = hay.indexOf(needle[0], i + 1);
  }
  return -1;
}

/** Parse `name="x"; filename="y"` parameters of a header value (quoted strings may hold `;`). */
function headerParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /;\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const m of value.matchAll(re)) {
    out[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3].trim();
  }
  return out;
}

function parsePartHead(bytes: Uint8Array): PartInfo {
  const info: PartInfo = { name: "", contentType: "" };
  for (const line of dec.decode(bytes).split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "content-type") info.contentType = value;
    if (key === "content-disposition") {
      const params = headerParams(value);
      info.name = params.name ?? "";
      if (params.filename !== undefined) info.filename = params.filename;
    }
  }
  return info;
}

/**
 * Read a multipart body: for each part, `open(info)` returns the sink its bytes go to. Resolves to the number of
 * parts once the closing delimiter is read; a body that ends early or is malformed fails with `400/0` (the sink
 * of an unfinished part is not closed: its owner cleans it up).
 */
export async function readMultipart(
  chunks: AsyncIterable<Uint8Array>,
  boundary: string,
  open: (info: PartInfo) => Promise<PartSink>,
): Promise<number> {
  const delimiter = enc.encode(`\r\n--${boundary}`);
  const it = chunks[Symbol.asyncIterator]();
  // A leading CRLF lets the first delimiter (at the very start of the body) match like the others.
  let buf: Uint8Array = new Uint8Array(CRLF);
  let done = false;
  const more = async (): Promise<boolean> => {
    if (done) return false;
    const r = await it.next();
    if (r.done) {
      done = true;
      return false;
    }
    const next = new Uint8Array(buf.length + r.value.length);
    next.set(buf);
    next.set(r.value, buf.length);
    buf = next;
    return true;
  };
  /** Bytes before `needle` (consumed with it), reading more as needed up to `max` bytes. */
  const until = async (needle: Uint8Array, max: number, what: string): Promise<Uint8Array> => {
    while (true) {
      const at = find(buf, needle);
      if (at >= 0) {
        const out = buf.slice(0, at);
        buf = buf.subarray(at + needle.length);
        return out;
      }
      if (buf.length > max) throw badBody(`${what} too long`);
      if (!await more()) throw badBody(`body ended inside the ${what}`);
    }
  };
  await until(delimiter, 64 * 1024, "preamble");
  let parts = 0;
  while (true) {
    while (buf.length < 2) if (!await more()) throw badBody("body ended after a delimiter");
    if (buf[0] === 45 && buf[1] === 45) return parts; // "--": the closing delimiter; the epilogue is ignored
    await until(CRLF, 1024, "delimiter line"); // transport padding, then CRLF
    const info = parsePartHead(await until(CRLF2, MAX_PART_HEAD, "part headers"));
    const sink = await open(info);
    parts++;
    // Stream the part: everything but a tail that could be the start of the delimiter is safe to hand over.
    while (true) {
      const at = find(buf, delimiter);
      if (at >= 0) {
        if (at > 0) await sink.write(buf.slice(0, at));
        buf = buf.subarray(at + delimiter.length);
        await sink.close();
        break;
      }
      const safe = buf.length - (delimiter.length - 1);
      if (safe > 0) {
        await sink.write(buf.slice(0, safe));
        buf = buf.slice(safe);
      }
      if (!await more()) throw badBody("body ended inside a part");
    }
  }
}
