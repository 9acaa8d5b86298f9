import assert from "node:assert/strict";
import http from "node:http";
import { Buffer } from "node:buffer";
import { ApiClient, decodeToken } from "../../lib/api/client.ts";
import { ApiError, isRetriable } from "../../lib/api/errors.ts";
import { backoffDelay, RETRY, withRetry } from "../../lib/api/retry_policy.ts";
import { getTask } from "../../lib/api/tasks.ts";
import { addLogEvents } from "../../lib/api/events.ts";

interface Seen {
  method: string;
  path: string;
  auth: string;
  body: string;
  headers: Headers;
}

function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}.sig`;
}

function envelope(code: number, data: unknown, msg = "OK", subcode = 0): Response {
  return Response.json({
    meta: { id: "x", trx: "x", result_code: code, result_subcode: subcode, result_msg: msg },
    data,
  }, {
    status: code,
  });
}

/**
 * A tiny ClearML-shaped server whose answers a test scripts. Built on `node:http` because `Deno.serve` drops the
 * body of GET requests, and GET with a JSON body is how the reference (and this client) call the API.
 */
function fakeServer(handler: (seen: Seen, n: number) => Response | undefined) {
  const seen: Seen[] = [];
  let tokens = 0;
  const answer = (s: Seen): Response => {
    const custom = handler(s, seen.length);
    if (custom) return custom;
    if (s.path === "/auth.login") {
      tokens++;
      return envelope(200, { token: jwt({ exp: 2_000_000_000, api_version: "2.31", n: tokens }) });
    }
    const lines = s.body ? s.body.split("\n").map((l) => JSON.parse(l)) : [];
    return envelope(200, s.path === "/events.add_batch" ? { added: lines.length } : { echo: lines[0] ?? null });
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const s: Seen = {
        method: req.method ?? "",
        path: new URL(req.url ?? "/", "http://x").pathname,
        auth: headers.get("authorization") ?? "",
        body: Buffer.concat(chunks).toString("utf8"),
        headers,
      };
      seen.push(s);
      const r = answer(s);
      res.writeHead(r.status, { "content-type": "application/json", connection: "close" });
      res.end(await r.text());
    });
  });
  const ready = new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    seen,
    ready,
    get url() {
      return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const noSleep = () => Promise.resolve();

Deno.test("ApiClient.call() logs in with Basic auth and sends GET with a JSON body and the agent headers", async () => {
  const srv = fakeServer(() => undefined);
  await srv.ready;
  try {
    const client = new ApiClient({
      host: srv.url + "/",
      accessKey: "AK",
      secretKey: "SECRETSECRET",
      worker: "w1",
      sleep: noSleep,
    });
    const data = await client.call<{ echo: unknown }>("tasks.get_by_id", { task: "t1" }, { version: "2.5" });
    assert.deepEqual(data.echo, { task: "t1" });
    assert.equal(srv.seen[0].path, "/auth.login");
    assert.equal(srv.seen[0].auth, `Basic ${btoa("AK:SECRETSECRET")}`);
    assert.equal(srv.seen[1].method, "GET");
    assert.equal(srv.seen[1].path, "/v2.5/tasks.get_by_id");
    assert.match(srv.seen[1].auth, /^Bearer /);
    assert.equal(srv.seen[1].headers.get("x-clearml-worker"), "w1");
    assert.match(srv.seen[1].headers.get("x-clearml-agent") ?? "", /^api-/);
    assert.equal(client.apiVersion, "2.31");
    assert.equal(client.supports("2.13"), true);
  } finally {
    await srv.close();
  }
});

Deno.test("ApiClient.call() uses api.http.default_method and POSTs json-lines for batches", async () => {
  const srv = fakeServer(() => undefined);
  await srv.ready;
  try {
    const client = new ApiClient({
      host: srv.url,
      accessKey: "AK",
      secretKey: "SK12345",
      defaultMethod: "post",
      sleep: noSleep,
    });
    await client.call("tasks.ping", { task: "t" });
    assert.equal(srv.seen[1].method, "POST");
    const added = await addLogEvents(client, [
      { type: "log", task: "t", level: "DEBUG", msg: "a", timestamp: 1 },
      { type: "log", task: "t", level: "DEBUG", msg: "b", timestamp: 2 },
    ]);
    assert.equal(added, 2);
    const batch = srv.seen[2];
    assert.equal(batch.path, "/events.add_batch");
    assert.equal(batch.headers.get("content-type"), "application/json-lines");
    assert.deepEqual(batch.body.split("\n").map((l) => JSON.parse(l).msg), ["a", "b"]);
  } finally {
    await srv.close();
  }
});

Deno.test("ApiClient.call() refreshes the token once after a 401 and resends", async () => {
  let rejected = 0;
  const srv = fakeServer((s) => {
    if (s.path === "/tasks.ping" && rejected === 0) {
      rejected++;
      return envelope(401, {}, "Invalid token", 30);
    }
    return undefined;
  });
  await srv.ready;
  try {
    const client = new ApiClient({ host: srv.url, accessKey: "AK", secretKey: "SK12345", sleep: noSleep });
    await client.call("tasks.ping", { task: "t" });
    assert.deepEqual(srv.seen.map((s) => s.path), ["/auth.login", "/tasks.ping", "/auth.login", "/tasks.ping"]);
  } finally {
    await srv.close();
  }
});

Deno.test("ApiClient.call() logs in again when the token expires within the threshold (12 h rule)", async () => {
  const srv = fakeServer(() => undefined);
  await srv.ready;
  try {
    let now = 2_000_000_000 - 50_000; // 13.9 h before expiry: token still fresh
    const client = new ApiClient({ host: srv.url, accessKey: "AK", secretKey: "SK12345", nowSec: () => now });
    await client.call("tasks.ping", {});
    await client.call("tasks.ping", {});
    now = 2_000_000_000 - 40_000; // 11.1 h before expiry: refresh first
    await client.call("tasks.ping", {});
    assert.deepEqual(srv.seen.map((s) => s.path), [
      "/auth.login",
      "/tasks.ping",
      "/tasks.ping",
      "/auth.login",
      "/tasks.ping",
    ]);
  } finally {
    await srv.close();
  }
});

Deno.test("ApiClient.call() retries 5xx and 429 and fails fast on 4xx with endpoint, code and subcode", async () => {
  let failures = 0;
  const srv = fakeServer((s) => {
    if (s.path === "/tasks.ping" && failures < 2) return envelope(failures++ === 0 ? 503 : 429, {}, "busy");
    if (s.path === "/v2.5/tasks.get_by_id") return envelope(400, {}, "Invalid task id: id=nope", 101);
    return undefined;
  });
  await srv.ready;
  try {
    const client = new ApiClient({ host: srv.url, accessKey: "AK", secretKey: "SK12345", sleep: noSleep });
    await client.call("tasks.ping", {});
    assert.equal(srv.seen.filter((s) => s.path === "/tasks.ping").length, 3);
    const err = await getTask(client, "nope").then(() => undefined, (e) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.endpoint, "tasks.get_by_id");
    assert.equal(err.code, 400);
    assert.equal(err.subcode, 101);
    assert.equal(err.serverMessage, "Invalid task id: id=nope");
    assert.equal(err.message, 'Call "tasks.get_by_id" failed: server returned 400/101: Invalid task id: id=nope');
    assert.equal(srv.seen.filter((s) => s.path === "/v2.5/tasks.get_by_id").length, 1);
  } finally {
    await srv.close();
  }
});

Deno.test("ApiClient.call() reports a network error as ApiError code 0 after the policy's attempts", async () => {
  const listener = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  let sleeps = 0;
  const client = new ApiClient({
    host: `http://127.0.0.1:${port}`,
    accessKey: "AK",
    secretKey: "SK12345",
    sleep: () => (sleeps++, Promise.resolve()),
  });
  const err = await client.call("tasks.ping", {}, { retry: RETRY.none }).then(() => undefined, (e) => e);
  assert.ok(err instanceof ApiError);
  assert.equal(err.code, 0);
  assert.equal(err.endpoint, "auth.login");
  assert.equal(sleeps, RETRY.login.maxAttempts - 1);
});

Deno.test("ApiClient wire trace logs requests with the secret and token masked", async () => {
  const srv = fakeServer(() => undefined);
  const lines: string[] = [];
  const { log } = await import("../../lib/logger.ts");
  const previous = log.level;
  log.setLevel("debug");
  log.setSink((l) => lines.push(l));
  await srv.ready;
  try {
    const client = new ApiClient({ host: srv.url, accessKey: "AK", secretKey: "TOPSECRETVALUE", wireTrace: true });
    await client.call("tasks.edit", { note: "TOPSECRETVALUE" });
    const text = lines.join("\n");
    assert.match(text, /wire --> GET .*tasks\.edit/);
    assert.doesNotMatch(text, /TOPSECRETVALUE/);
    assert.ok(client.token && !text.includes(client.token));
  } finally {
    log.setLevel(previous);
    log.setSink((l) => Deno.stderr.writeSync(new TextEncoder().encode(l + "\n")));
    await srv.close();
  }
});

Deno.test("isRetriable() accepts network errors, 5xx and 429 only", () => {
  const cases: [number, boolean][] = [[0, true], [500, true], [502, true], [503, true], [429, true], [400, false], [
    401,
    false,
  ], [404, false]];
  for (const [code, want] of cases) {
    assert.equal(isRetriable(new ApiError({ endpoint: "x.y", code, subcode: 0, message: "" })), want, `code ${code}`);
  }
  assert.equal(isRetriable(new Error("plain")), false);
});

Deno.test("withRetry() backs off exponentially up to the cap and stops at maxElapsedMs", async () => {
  const policy = { name: "t", maxAttempts: 100, maxElapsedMs: 10_000, baseDelayMs: 1000, maxDelayMs: 4000 };
  assert.deepEqual([1, 2, 3, 4].map((a) => backoffDelay(policy, a, () => 0.5)), [1000, 2000, 4000, 4000]);
  let clock = 0;
  let calls = 0;
  const err = await withRetry(policy, () => {
    calls++;
    return Promise.reject(new ApiError({ endpoint: "x.y", code: 503, subcode: 0, message: "down" }));
  }, { now: () => clock, sleep: (ms) => (clock += ms, Promise.resolve()) }).catch((e) => e);
  assert.ok(err instanceof ApiError);
  assert.ok(calls >= 3 && calls <= 5, `calls ${calls}`);
  assert.ok(clock <= 10_000);
});

Deno.test("decodeToken() reads claims without verifying and tolerates garbage", () => {
  assert.deepEqual(decodeToken(jwt({ exp: 5, api_version: "2.31" })), { exp: 5, api_version: "2.31" });
  assert.deepEqual(decodeToken("not-a-jwt"), {});
});
