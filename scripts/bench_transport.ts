/**
 * The HTTP/1.1 transports side by side, each in its own child process with the same trivial handler that reads the
 * body: ours (`lib/server/transport/http1.ts`), `node:http` (Deno's compatibility layer) and `Deno.serve` (which
 * drops GET bodies, so it is timed on POST). Reports idle RSS after start-up and after the load, and keep-alive
 * requests per second (GET with a JSON body, as the ClearML clients send; `Deno.serve` gets POST).
 *
 * Usage: `npx deno run -A scripts/bench_transport.ts [--requests 3000] [--clients 4]`
 *
 * @module
 */

import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

const BODY = '{"id":["x1"],"only_fields":["status","last_update"]}';

/** Child side: serve with `kind`, print the port, run until killed. Each loads only its own transport. */
async function serve(kind: string): Promise<void> {
  let port: number;
  if (kind === "ours") {
    const { Logger } = await import("../lib/logger.ts");
    const { Http1Server } = await import("../lib/server/transport/http1.ts");
    port = Http1Server.listen({
      host: "127.0.0.1",
      port: 0,
      log: new Logger({ level: "silent" }),
      handler: async (call) => {
        let n = 0;
        for await (const c of call.body) n += c.length;
        return { status: 200, headers: { "content-type": "application/json" }, body: `{"read":${n}}` };
      },
    }).port;
  } else if (kind === "node") {
    const { default: http } = await import("node:http");
    const server = http.createServer((req, res) => {
      let n = 0;
      req.on("data", (c: Uint8Array) => n += c.length);
      req.on("end", () => {
        const body = `{"read":${n}}`;
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  } else {
    port = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const n = (await req.arrayBuffer()).byteLength;
      return new Response(`{"read":${n}}`, { headers: { "content-type": "application/json" } });
    }).addr.port;
  }
  console.log(port);
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))![1]) / 1024;
}

/** One keep-alive connection sending `count` requests one after another (raw bytes: no client library cost). */
async function client(port: number, method: string, count: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = new TextEncoder().encode(
    `${method} /v2.30/tasks.get_all HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${BODY.length}\r\n\r\n${BODY}`,
  );
  const buf = new Uint8Array(65536);
  try {
    for (let i = 0; i < count; i++) {
      await conn.write(request);
      let seen = "";
      while (!/\r\n\r\n\{"read":\d+\}$/.test(seen)) {
        const n = await conn.read(buf);
        if (n === null) throw new Error(`Connection closed after ${i} requests`);
        seen += new TextDecoder().decode(buf.subarray(0, n));
      }
      if (!seen.includes(`{"read":${BODY.length}}`)) throw new Error(`Body not read: ${seen}`);
    }
  } finally {
    conn.close();
  }
}

async function measure(kind: string, requests: number, clients: number): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", import.meta.filename!, "--serve", kind],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const port = Number((await reader.read()).value!.trim());
    await new Promise((r) => setTimeout(r, 1500));
    const idle = rssMb(child.pid);
    const method = kind === "deno-serve" ? "POST" : "GET";
    const t0 = performance.now();
    await Promise.all(Array.from({ length: clients }, () => client(port, method, Math.ceil(requests / clients))));
    const rate = requests / ((performance.now() - t0) / 1000);
    const after = rssMb(child.pid);
    return `${kind.padEnd(10)} ${method.padEnd(4)} idle RSS ${idle.toFixed(1)} MB, after ${after.toFixed(1)} MB, ` +
      `${rate.toFixed(0)} req/s`;
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}

const { values } = parseArgs({
  options: {
    serve: { type: "string" },
    requests: { type: "string", default: "3000" },
    clients: { type: "string", default: "4" },
  },
});
if (values.serve) {
  await serve(values.serve);
} else {
  console.log(`bench_transport ${new Date().toISOString()}, Deno ${Deno.version.deno}`);
  for (const kind of ["ours", "node", "deno-serve"]) {
    console.log(await measure(kind, Number(values.requests), Number(values.clients)));
  }
}
