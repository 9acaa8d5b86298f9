/**
 * The two readers of `http1_request_test.ts` behind one shape: ours (`lib/server/transport/http1_request.ts`, fed
 * from chunks through a `ByteSource`) and the reference, the request parser of Deno's `node:http` (`HTTPParser` of
 * `node:_http_common`, its llhttp binding, set up strict as its server sets it up).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { HTTPParser, methods } from "node:_http_common";
import { type ByteSource, ProtocolError, Reader, readRequest } from "../../../lib/server/transport/http1_request.ts";

/** What a parser made of one request. */
export interface Seen {
  method: string;
  target: string;
  version: string;
  keepAlive: boolean;
  headers: string;
  /** The body bytes, one character per byte. */
  body: string;
}

/** What a parser made of a byte stream: its requests, and how it stopped. */
export interface Outcome {
  requests: Seen[];
  /** `eof`: the stream ended between requests; `close`: a request asked to close; `refused`: malformed or cut. */
  end: "eof" | "close" | "refused";
}

export const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
export const textOf = (b: Uint8Array): string => Buffer.from(b).toString("latin1");

/** Headers as one comparable line (names lower case, repeated ones joined as `Headers` joins them). */
function headerText(pairs: [string, string][]): string {
  try {
    return JSON.stringify([...new Headers(pairs)]);
  } catch {
    return JSON.stringify(pairs);
  }
}

/** A source that hands out the chunks one `read` at a time. */
function chunkSource(chunks: Uint8Array[]): ByteSource {
  const queue = chunks.map((c) => c.slice());
  return {
    read(p) {
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      const n = Math.min(p.length, next.length);
      p.set(next.subarray(0, n));
      if (n < next.length) queue.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
  };
}

/** Ours: the reader the server uses, each request's body read to its end as the server's drain does. */
export async function ours(chunks: Uint8Array[]): Promise<Outcome> {
  const reader = new Reader(chunkSource(chunks));
  const requests: Seen[] = [];
  try {
    while (true) {
      const request = await readRequest(reader);
      if (request === null) return { requests, end: "eof" };
      if (typeof request === "string") return { requests, end: "refused" };
      const body: Uint8Array[] = [];
      for await (const chunk of request.body) body.push(chunk);
      requests.push({
        method: request.method,
        target: request.target,
        version: request.version,
        keepAlive: !request.wantsClose,
        headers: JSON.stringify([...request.headers]),
        body: body.map(textOf).join(""),
      });
      if (request.wantsClose) return { requests, end: "close" };
    }
  } catch (err) {
    if (err instanceof ProtocolError) return { requests, end: "refused" };
    throw err;
  }
}

/** The reference: `node:http`'s parser, set up as its server sets it up (strict, head limit as ours). */
export function reference(chunks: Uint8Array[]): Outcome {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, 64 * 1024, HTTPParser.kLenientNone);
  const requests: Seen[] = [];
  let current: Seen | undefined;
  let early: { headers: string[]; url: string } = { headers: [], url: "" };
  let closed = false;
  let begun = false;
  parser[HTTPParser.kOnMessageBegin] = () => {
    begun = true;
  };
  parser[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
    if (current !== undefined) return; // trailers: read and dropped, as ours does
    early.headers.push(...headers);
    early.url += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (
    major: number,
    minor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    _status: unknown,
    _message: unknown,
    _upgrade: boolean,
    keepAlive: boolean,
  ) => {
    const flat = headers ?? early.headers;
    const pairs: [string, string][] = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
    current = {
      method: methods[method],
      target: url ?? early.url,
      version: `HTTP/${major}.${minor}`,
      keepAlive,
      headers: headerText(pairs),
      body: "",
    };
    early = { headers: [], url: "" };
    return 0;
  };
  parser[HTTPParser.kOnBody] = (chunk: Uint8Array) => {
    current!.body += textOf(chunk);
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    requests.push(current!);
    closed = !current!.keepAlive;
    current = undefined;
    begun = false;
  };
  try {
    for (const chunk of chunks) {
      const result = parser.execute(Buffer.from(chunk));
      if (closed) return { requests, end: "close" };
      if (result instanceof Error) return { requests, end: "refused" };
    }
    if (closed) return { requests, end: "close" };
    const finish = parser.finish();
    return { requests, end: finish instanceof Error || begun ? "refused" : "eof" };
  } finally {
    parser.close?.();
  }
}

/** The stream whole, split in two at every boundary, and byte by byte (a long stream: every 509th boundary). */
export function splits(raw: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [[raw]];
  const step = raw.length > 4096 ? 509 : 1;
  for (let k = 1; k < raw.length; k += step) out.push([raw.subarray(0, k), raw.subarray(k)]);
  if (step === 1) out.push(Array.from(raw, (b) => Uint8Array.of(b)));
  return out;
}
