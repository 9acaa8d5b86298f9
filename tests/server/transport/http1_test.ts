import assert from "node:assert/strict";
import { Logger } from "../../../lib/logger.ts";
import { Http1Server } from "../../../lib/server/transport/http1.ts";
import type { IncomingCall } from "../../../lib/server/transport/dispatch.ts";

/** An echo server: answers `METHOD path body` for every request. */
async function withEcho(fn: (port: number, calls: IncomingCall[]) => Promise<void>): Promise<void> {
  const calls: IncomingCall[] = [];
  const server = Http1Server.listen({
    host: "127.0.0.1",
    port: 0,
    log: new Logger({ level: "silent" }),
    handler: async (call) => {
      calls.push(call);
      const chunks: Uint8Array[] = [];
      if (call.url.pathname !== "/skip") { for await (const c of call.body) chunks.push(c); }
      const body = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
      return {
        status: 200,
        headers: { "content-type": "text/plain" },
        body: `${call.method} ${call.url.pathname} ${body}`,
      };
    },
  });
  try {
    await fn(server.port, calls);
  } finally {
    await server.close();
  }
}

/** Send raw bytes and half-close (unless `halfClose` is false), then read until the server closes. */
async function exchange(port: number, raw: string, halfClose = true): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(raw));
    if (halfClose) await conn.closeWrite();
    let out = "";
    const buf = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      out += new TextDecoder().decode(buf.subarray(0, n));
    }
    return out;
  } finally {
    conn.close();
  }
}

Deno.test("Http1Server reads GET bodies, chunked bodies and pipelined requests on one connection", async () => {
  await withEcho(async (port, calls) => {
    const out = await exchange(
      port,
      'GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{"a":1}' +
        "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-T: 1\r\n\r\n" +
        "PUT /skip HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
        "GET /c?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    const bodies = out.split("HTTP/1.1 200 OK").slice(1).map((r) => r.slice(r.indexOf("\r\n\r\n") + 4));
    assert.deepEqual(bodies, ['GET /a {"a":1}', "POST /b abcdefg", "PUT /skip ", "GET /c "]);
    assert.equal(calls[3].url.search, "?q=1");
    assert.match(out, /connection: keep-alive/);
    assert.match(out, /connection: close\r\n\r\nGET \/c $/);
  });
});

Deno.test("Http1Server answers Expect: 100-continue and HTTP/1.0, and rejects malformed requests", async () => {
  await withEcho(async (port) => {
    const cont = await exchange(
      port,
      "POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
    );
    assert.match(cont, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
    assert.match(await exchange(port, "GET /old HTTP/1.0\r\n\r\n"), /connection: close\r\n\r\nGET \/old $/);
    assert.match(await exchange(port, "NONSENSE\r\n\r\n"), /^HTTP\/1\.1 400 Bad Request/);
    assert.match(await exchange(port, "GET / HTTP/1.1\r\nContent-Length: -4\r\n\r\n"), /^HTTP\/1\.1 400 /);
    assert.match(
      await exchange(port, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
      /^HTTP\/1\.1 400 /,
    );
    assert.equal(await exchange(port, ""), "");
  });
});

Deno.test("Http1Server.close() waits for in-flight calls and closes idle keep-alive connections", async () => {
  let release = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const server = Http1Server.listen({
    host: "127.0.0.1",
    port: 0,
    log: new Logger({ level: "silent" }),
    handler: async (call) => {
      if (call.url.pathname === "/slow") await gate;
      return { status: 200, headers: {}, body: call.url.pathname };
    },
  });
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await idle.write(new TextEncoder().encode("GET /fast HTTP/1.1\r\n\r\n"));
  const buf = new Uint8Array(1024);
  assert.ok((await idle.read(buf))! > 0);
  const slow = fetch(`http://127.0.0.1:${server.port}/slow`).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 50));
  const closed = server.close();
  let done = false;
  closed.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(done, false, "close waits for the in-flight call");
  release();
  assert.equal(await slow, "/slow");
  await closed;
  assert.equal(await idle.read(buf), null, "the idle connection was closed");
  idle.close();
});

Deno.test("Http1Server refuses ambiguous framing and oversized chunks before reading on, and closes", async () => {
  await withEcho(async (port, calls) => {
    // Both Content-Length and Transfer-Encoding (request smuggling): 400, and the pipelined request is not served.
    const both = await exchange(
      port,
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
        "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert.match(both, /^HTTP\/1\.1 400 Bad Request\r\n[^]*connection: close\r\n\r\nBoth Content-Length/);
    assert.doesNotMatch(both, /smuggled/);
    // A chunk size no body could have: refused at once, nothing handed to the handler.
    // The connection stays open: the answer must come without the client sending or closing anything more.
    const huge = await exchange(
      port,
      "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n",
      false,
    );
    assert.match(huge, /^HTTP\/1\.1 400 [^]*Chunk size over the limit/);
    for (
      const head of [
        "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length : 3\r\n\r\nabc",
        "POST / HTTP/1.1\r\n folded: line\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc",
      ]
    ) {
      assert.match(await exchange(port, head), /^HTTP\/1\.1 400 [^]*connection: close/, JSON.stringify(head));
    }
    assert.deepEqual(calls.map((c) => c.url.pathname).filter((p) => p !== "/b"), []);
  });
});

Deno.test("Http1Server sends a Date header from its clock on every answer (doctor's clock check reads it)", async () => {
  const server = Http1Server.listen({
    host: "127.0.0.1",
    port: 0,
    log: new Logger({ level: "silent" }),
    now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 600),
    handler: () => Promise.resolve({ status: 404, headers: {}, body: "no" }),
  });
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/x`);
    await res.body?.cancel();
    assert.equal(res.headers.get("date"), "Fri, 02 Jan 2026 03:04:05 GMT");
  } finally {
    await server.close();
  }
});
