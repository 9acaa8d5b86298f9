import assert from "node:assert/strict";
import { hostName, normalizeOrigin, OriginPolicy } from "../../../lib/server/transport/origin_policy.ts";
import { rawHttp, withServer } from "../../helpers/server.ts";

Deno.test("OriginPolicy answers to the server's own names and the listed origins only", () => {
  const p = new OriginPolicy({
    listenHost: "127.0.0.1",
    hostname: "box.example.org",
    allowOrigins: ["https://ui.example.org"],
    allowHosts: ["clearml.lan"],
  });
  const check = (h: Record<string, string>) => p.check(new Headers(h));
  for (const host of ["127.0.0.1:8008", "localhost:8008", "[::1]:8008", "box.example.org", "box", "clearml.lan:1"]) {
    assert.equal(check({ host }).ok, true, host);
  }
  for (const host of ["evil.example.com:8008", "127.0.0.1.evil.com", "localhost.evil", "a b", "[::1"]) {
    assert.equal(check({ host }).ok, false, host);
  }
  assert.equal(check({}).ok, true, "no Host (HTTP/1.0, not a browser)");
  assert.deepEqual(check({ host: "127.0.0.1:8008", origin: "http://127.0.0.1:8008" }), { ok: true, cors: {} });
  const listed = check({ host: "127.0.0.1:8008", origin: "https://ui.example.org" });
  assert.ok(listed.ok && listed.cors["access-control-allow-origin"] === "https://ui.example.org");
  for (const origin of ["http://evil.example.com", "null", "http://localhost:8008", "https://127.0.0.1:8008"]) {
    assert.equal(check({ host: "127.0.0.1:8008", origin }).ok, false, origin);
  }
  assert.throws(() => new OriginPolicy({ listenHost: "127.0.0.1", allowOrigins: ["*"] }), /Origin "\*" is not/);
  assert.throws(() => normalizeOrigin("ui.example.org"), /Invalid origin "ui\.example\.org"/);
  assert.equal(hostName("[::1]:80"), "::1");
  // An address is never a rebinding name: a container reaching the server through a bridge address is answered.
  for (const host of ["172.17.0.1:8008", "[fe80::1]:8008", "10.1.2.3"]) assert.equal(check({ host }).ok, true, host);
  for (const host of ["999.1.1.1", "1.2.3.4.nip.io", "[zz::1]"]) assert.equal(check({ host }).ok, false, host);
});

Deno.test("an --insecure-open server cannot be driven by a web page or through a foreign Host", async () => {
  await withServer(async ({ url, client }) => {
    const port = new URL(url).port;
    // A page elsewhere posting a text/plain body (no CORS preflight) to create credentials or a task.
    const page = await rawHttp(`${url}/auth.create_credentials`, "POST", {
      origin: "http://evil.example.com",
      "content-type": "text/plain",
    }, "{}");
    assert.equal(page.status, 403);
    assert.match(JSON.parse(page.text).meta.result_msg, /Origin "http:\/\/evil\.example\.com" is not allowed/);
    assert.doesNotMatch(page.headers, /access-control-allow-origin/);
    // DNS rebinding: the browser believes it talks to evil.example.com.
    const rebound = await rawHttp(`${url}/tasks.create`, "POST", {
      host: `evil.example.com:${port}`,
      "content-type": "application/json",
    }, '{"name": "x", "type": "training"}');
    assert.equal(rebound.status, 403);
    assert.match(JSON.parse(rebound.text).meta.result_msg, /Host "evil\.example\.com:\d+" is not a name/);
    const files = await rawHttp(`${url}/files/a.txt`, "GET", { host: "evil.example.com" }, "");
    assert.equal(files.status, 403);
    // text/plain without an Origin is refused as a body type too (a browser form or no-cors fetch).
    const plain = await rawHttp(`${url}/tasks.create`, "POST", { "content-type": "text/plain" }, '{"name": "x"}');
    assert.equal(plain.status, 415);
    const created = await client.call("tasks.get_all", {});
    assert.equal((created.data.tasks as unknown[]).length, 0, "nothing was created");
    // The server's own page (same origin) and clients without Origin work; no wildcard CORS anywhere.
    const own = await rawHttp(`${url}/tasks.get_all`, "POST", {
      origin: url,
      "content-type": "application/json",
    }, "{}");
    assert.equal(own.status, 200);
    assert.doesNotMatch(own.headers, /access-control-allow-origin/);
    const pre = await rawHttp(`${url}/tasks.create`, "OPTIONS", { origin: "http://evil.example.com" }, "");
    assert.equal(pre.status, 403);
  }, { insecureOpen: true });
});

Deno.test("server sends CORS headers to a listed origin only", async () => {
  await withServer(async ({ url }) => {
    const pre = await rawHttp(`${url}/tasks.get_all`, "OPTIONS", { origin: "https://ui.example.org" }, "");
    assert.equal(pre.status, 200);
    assert.match(pre.headers, /access-control-allow-origin: https:\/\/ui\.example\.org/);
    const call = await rawHttp(`${url}/debug.ping`, "POST", {
      origin: "https://ui.example.org",
      "content-type": "application/json",
    }, "{}");
    assert.equal(call.status, 200);
    assert.match(call.headers, /access-control-allow-origin: https:\/\/ui\.example\.org/);
    const filesPre = await rawHttp(`${url}/files/a.txt`, "OPTIONS", { origin: "https://ui.example.org" }, "");
    assert.equal(filesPre.status, 200);
    assert.match(filesPre.headers, /access-control-allow-methods: [^\r\n]*post/);
    const aliased = await rawHttp(`${url}/debug.ping`, "GET", { host: "clearml.lan:8008" }, "");
    assert.equal(aliased.status, 200);
  }, { allowOrigins: ["https://ui.example.org"], allowHosts: ["clearml.lan"] });
});
