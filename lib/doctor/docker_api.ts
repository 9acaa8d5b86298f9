/**
 * One GET request to the Docker Engine API, over its unix socket (`unix:///var/run/docker.sock`, the default) or
 * TCP (`tcp://host:2375`), as `DOCKER_HOST` names it. HTTP/1.0 with `Connection: close`, so the answer ends when the
 * engine closes the connection.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** The default engine address. */
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

/** The status and body of an answer. */
export interface EngineAnswer {
  status: number;
  body: string;
}

async function unixGet(socket: string, path: string, signal: AbortSignal): Promise<EngineAnswer> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  const onAbort = () => conn.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const request = `GET ${path} HTTP/1.0\r\nHost: docker\r\nConnection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(request));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(16 * 1024);
    for (let total = 0; total < 4 * 1024 * 1024;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      total += n;
    }
    const bytes = Buffer.concat(chunks);
    const headEnd = findCrlfCrlf(bytes);
    const head = new TextDecoder().decode(bytes.subarray(0, headEnd < 0 ? bytes.length : headEnd));
    const m = head.match(/^HTTP\/1\.[01] (\d{3})/);
    if (!m) throw new Error("not an HTTP answer");
    let body: Uint8Array = headEnd < 0 ? new Uint8Array() : bytes.subarray(headEnd + 4);
    if (/\r\ntransfer-encoding: *chunked/i.test(head)) body = unchunk(body);
    return { status: Number(m[1]), body: new TextDecoder().decode(body) };
  } catch (err) {
    if (signal.aborted) throw new Error("no answer in time", { cause: err });
    throw err;
  } finally {
    signal.removeEventListener("abort", onAbort);
    try {
      conn.close();
    } catch {
      // closed by the abort
    }
  }
}

function findCrlfCrlf(bytes: Uint8Array, from = 0): number {
  for (let i = from; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

/** Decode a chunked transfer encoding (sizes count bytes). */
function unchunk(body: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < 100_000 && at < body.length; i++) {
    let eol = at;
    while (eol + 1 < body.length && !(body[eol] === 13 && body[eol + 1] === 10)) eol++;
    const size = parseInt(new TextDecoder().decode(body.subarray(at, eol)), 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** GET `path` from the engine at `host` (a `DOCKER_HOST` value) within `timeoutMs`. */
export async function engineGet(host: string, path: string, timeoutMs = 5000): Promise<EngineAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  if (host.startsWith("unix://")) return await unixGet(host.slice("unix://".length), path, signal);
  if (host.startsWith("tcp://") || host.startsWith("http://")) {
    const res = await fetch(`http://${host.replace(/^(tcp|http):\/\//, "")}${path}`, { signal });
    return { status: res.status, body: await res.text() };
  }
  throw new Error(`Unsupported DOCKER_HOST "${host}": expected unix:// or tcp://`);
}
