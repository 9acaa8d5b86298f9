/**
 * Benchmark behind the README's dependency notes on three pieces issue #20 weighed against a kept npm library: the
 * server's JWT signing and verification (`lib/server/auth/jwt.ts`, on `jose`), its streaming multipart reader
 * (`lib/server/transport/multipart.ts`, hand-written, against `@fastify/busboy`) and the `nvidia-smi -q -x` reader
 * (`lib/stats/_xml.ts`, hand-written, against `fast-xml-parser`). The two libraries kept as development dependencies
 * are driven by `tests/helpers/kept_parsers.ts`, the same code the differential tests use.
 *
 * Figures, each a median over alternating rounds so that machine noise hits both sides alike:
 * - JWT sign and verify per token (verify is the uncached path: the first call with each token);
 * - multipart: a 16 MiB one-file body fed in 64 KiB chunks (as the transport hands it over) through both readers,
 *   each collecting the part's bytes; and a 64 MiB upload end to end through an in-process server (HTTP/1.1 on
 *   loopback, written to disk);
 * - XML: every real capture under `tests/fixtures/shared/nvidia-smi` through both readers;
 * - cold import time, heap and RSS growth of each library and of the `server` and `daemon` subcommands in a fresh
 *   process; the idle RSS of a real `clearml-agent server`; and the bytes of each package with its dependencies in
 *   `node_modules/` (what `deno compile` would embed for a runtime dependency, see `scripts/compile_plan.ts`).
 *
 * Usage: `npx deno run -A scripts/bench_libs.ts`
 *
 * @module
 */

import { join } from "node:path";
import { importHs256Key, signJwt, verifyJwt } from "../lib/server/auth/jwt.ts";
import { parseXml } from "../lib/stats/_xml.ts";
import { busboyParts, fxpTree, ourParts, type ReadPart } from "../tests/helpers/kept_parsers.ts";
import { spawnServerProcess, withServer } from "../tests/helpers/server.ts";

const root = new URL("..", import.meta.url).pathname;
const MiB = 1024 * 1024;
const ROUNDS = 8;
const WARM_UP = 2;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Time one run of `fn` and add it (ms) to `results`. */
async function rounds(fn: () => Promise<unknown> | unknown, results: number[]): Promise<void> {
  const t = performance.now();
  await fn();
  results.push(performance.now() - t);
}

async function benchJwt(): Promise<void> {
  const key = await importHs256Key(crypto.getRandomValues(new Uint8Array(32)));
  const payload = (i: number) => ({
    auth_type: "Bearer",
    identity: { user: "u".repeat(32), company: "c".repeat(32), role: "admin", user_name: "a", company_name: "b" },
    iat: 1_700_000_000,
    exp: 1_800_000_000 + i,
    session_id: crypto.randomUUID(),
    server_extensions: ["queues.get_next_task.wait_ms"],
  });
  const n = 3000;
  const sign: number[] = [];
  const verify: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const tokens: string[] = [];
    await rounds(async () => {
      for (let i = 0; i < n; i++) tokens.push(await signJwt(payload(i), key));
    }, sign);
    await rounds(async () => {
      for (const token of tokens) await verifyJwt(token, key, 1_700_000_000);
    }, verify);
  }
  const us = (xs: number[]) => (median(xs.slice(WARM_UP)) / n * 1000).toFixed(1);
  console.log(`jwt (jose): sign ${us(sign)} µs, verify ${us(verify)} µs per token (${n} tokens a round)`);
}

async function benchMultipart(): Promise<void> {
  const size = 16 * MiB;
  const boundary = "----bench" + crypto.randomUUID();
  const enc = new TextEncoder();
  const head = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="p/a.bin"; filename="a.bin"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = enc.encode(`\r\n--${boundary}--\r\n`);
  const body = new Uint8Array(head.length + size + tail.length);
  body.set(head);
  for (let i = 0; i < size; i += 65536) body.set(crypto.getRandomValues(new Uint8Array(65536)), head.length + i);
  body.set(tail, head.length + size);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < body.length; i += 65536) chunks.push(body.slice(i, i + 65536));
  const times: Record<string, number[]> = { ours: [], busboy: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, read] of [["ours", ourParts], ["busboy", busboyParts]] as const) {
      const got: { parts?: ReadPart[] | "refused" } = {};
      await rounds(async () => got.parts = await read(chunks, boundary), times[name]);
      if (got.parts === "refused" || got.parts?.[0].bytes.length !== size) {
        throw new Error(`${name} misread the bench body`);
      }
    }
  }
  const line = (name: string) => {
    const ms = median(times[name].slice(WARM_UP));
    return `${name} ${ms.toFixed(1)} ms (${(size / MiB / (ms / 1000)).toFixed(0)} MiB/s)`;
  };
  console.log(`multipart, 16 MiB in 64 KiB chunks: ${line("ours")}, ${line("busboy")}`);
}

/** A 64 MiB upload through the embedded server's files endpoint (HTTP/1.1 on loopback, written to disk). */
async function benchUpload(): Promise<void> {
  const size = 64 * MiB;
  const blob = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) blob.set(crypto.getRandomValues(new Uint8Array(65536)), i);
  await withServer(async ({ filesUrl, client }) => {
    const runs: number[] = [];
    for (let run = 0; run < 5; run++) {
      const form = new FormData();
      form.append(`bench/${run}.bin`, new Blob([blob]), `${run}.bin`);
      await rounds(async () => {
        const res = await fetch(filesUrl, {
          method: "POST",
          headers: { authorization: client.basicHeader() },
          body: form,
        });
        await res.body?.cancel();
        if (res.status !== 200) throw new Error(`Upload answered ${res.status}`);
      }, runs);
    }
    const ms = median(runs.slice(1));
    console.log(
      `upload: ${ms.toFixed(0)} ms per 64 MiB POST to the files server = ${(size / MiB / (ms / 1000)).toFixed(0)} ` +
        `MiB/s end to end (median of 4 after 1 warm-up)`,
    );
  });
}

async function benchXml(): Promise<void> {
  const dir = join(root, "tests/fixtures/shared/nvidia-smi");
  const docs = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".xml")).map((e) =>
    Deno.readTextFileSync(join(dir, e.name))
  );
  const bytes = docs.reduce((s, d) => s + d.length, 0);
  const n = 20;
  const times: Record<string, number[]> = { ours: [], "fast-xml-parser": [] };
  for (let r = 0; r < ROUNDS; r++) {
    await rounds(() => {
      for (let i = 0; i < n; i++) for (const d of docs) parseXml(d);
    }, times.ours);
    await rounds(() => {
      for (let i = 0; i < n; i++) for (const d of docs) fxpTree(d);
    }, times["fast-xml-parser"]);
  }
  const us = (name: string) => `${name} ${(median(times[name].slice(WARM_UP)) / n / docs.length * 1000).toFixed(0)} µs`;
  console.log(
    `xml, per nvidia-smi document (${docs.length} captures, ${(bytes / docs.length / 1024).toFixed(1)} KiB ` +
      `average): ${us("ours")}, ${us("fast-xml-parser")}`,
  );
}

/** Cold import time and heap and RSS growth of one module (path or bare specifier) in a fresh Deno process. */
async function coldImport(module: string): Promise<string> {
  const specifier = module.endsWith(".ts") ? new URL(module, `file://${root}`).href : module;
  const code = `const m0 = Deno.memoryUsage(); const t = performance.now();
await import(${JSON.stringify(specifier)});
const ms = performance.now() - t; const m1 = Deno.memoryUsage();
console.log(JSON.stringify({ ms, heap: m1.heapUsed - m0.heapUsed, rss: m1.rss - m0.rss }));`;
  const runs: { ms: number; heap: number; rss: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", code],
      cwd: root,
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`Importing "${module}" failed`);
    runs.push(JSON.parse(new TextDecoder().decode(out.stdout)));
  }
  const kib = (key: "heap" | "rss") => (median(runs.map((r) => r[key])) / 1024).toFixed(0);
  return `${module}: cold import ${median(runs.map((r) => r.ms)).toFixed(1)} ms, heap +${kib("heap")} KiB, ` +
    `RSS +${kib("rss")} KiB (median of 5 processes)`;
}

/** VmRSS of a real `clearml-agent server` child two seconds after it listens (median of 3 starts). */
async function serverIdleRss(): Promise<string> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dataDir = await Deno.makeTempDir({ prefix: "clearml-bench-libs-" });
    const proc = await spawnServerProcess(dataDir);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      runs.push(Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${proc.pid}/status`))![1]) / 1024);
    } finally {
      await proc.stop("SIGTERM");
      await Deno.remove(dataDir, { recursive: true });
    }
  }
  return `server: idle VmRSS ${median(runs).toFixed(1)} MiB (median of 3 starts)`;
}

/** Bytes on disk of an npm package and its runtime dependencies, as `package-lock.json` resolves them. */
function packageBytes(name: string): string {
  const lock = JSON.parse(Deno.readTextFileSync(join(root, "package-lock.json"))) as {
    packages: Record<string, { dependencies?: Record<string, string> }>;
  };
  const seen = new Set<string>();
  const visit = (pkg: string) => {
    const path = `node_modules/${pkg}`;
    if (seen.has(path) || !lock.packages[path]) return;
    seen.add(path);
    for (const dep of Object.keys(lock.packages[path].dependencies ?? {})) visit(dep);
  };
  visit(name);
  const du = (dir: string): number => {
    let total = 0;
    for (const e of Deno.readDirSync(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) total += du(p);
      else if (e.isFile) total += Deno.statSync(p).size;
    }
    return total;
  };
  let bytes = 0;
  for (const path of seen) bytes += du(join(root, path));
  const names = [...seen].map((p) => p.slice("node_modules/".length));
  return `package ${name}: ${(bytes / 1024).toFixed(0)} KiB in node_modules (${names.join(", ")})`;
}

await benchJwt();
await benchMultipart();
await benchUpload();
await benchXml();
for (const m of ["jose", "@fastify/busboy", "fast-xml-parser", "lib/cli/server.ts", "lib/cli/daemon.ts"]) {
  console.log(await coldImport(m));
}
console.log(await serverIdleRss());
for (const p of ["jose", "@fastify/busboy", "fast-xml-parser"]) console.log(packageBytes(p));
