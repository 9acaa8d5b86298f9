import assert from "node:assert/strict";
import { Logger } from "../../../lib/logger.ts";
import { rawHttp, TEST_SECRET_KEY, withServer } from "../../helpers/server.ts";

Deno.test("server wire trace logs each request and answer with credentials and tokens masked", async () => {
  const lines: string[] = [];
  const log = new Logger({ level: "info", sink: (l) => lines.push(l) });
  await withServer(async ({ client, filesUrl }) => {
    const token = await client.login();
    await client.ok("tasks.create", { name: "traced", type: "training", comment: "hello wire" });
    const up = await fetch(filesUrl, { method: "POST", headers: { authorization: client.basicHeader() }, body: "x" });
    await up.body?.cancel();
    const text = lines.join("\n");
    assert.match(text, /wire --> GET \/auth\.login auth=Basic \*{8}/);
    assert.match(text, /wire <-- 200\/0 auth\.login .*"token":"\*{8}"/);
    assert.match(text, /wire --> POST \/tasks\.create auth=Bearer \*{8} .*hello wire/);
    assert.match(text, /wire <-- 200\/0 tasks\.create .*"id":"[0-9a-f]{32}"/);
    assert.match(text, /wire <-> POST \/files 400 /);
    assert.ok(!text.includes(token), "the token is never printed");
    assert.ok(!text.includes(TEST_SECRET_KEY), "the secret is never printed");
  }, { log, wireTrace: true });
});

Deno.test("server without wire trace logs no request bodies", async () => {
  const lines: string[] = [];
  const log = new Logger({ level: "info", sink: (l) => lines.push(l) });
  await withServer(async ({ client }) => {
    await client.ok("tasks.create", { name: "quiet", type: "training" });
  }, { log });
  assert.deepEqual(lines.filter((l) => l.includes("wire")), []);
});

Deno.test("server wire trace masks tokens in malformed requests and refused ones", async () => {
  const lines: string[] = [];
  const log = new Logger({ level: "debug", sink: (l) => lines.push(l) });
  await withServer(async ({ client, url }) => {
    const token = await client.login();
    // A body that is another request's header block (a client that got its framing wrong).
    const stray =
      `POST /tasks.get_all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nCookie: clearml_token_basic=${token}\r\n\r\n`;
    const bad = await client.raw("tasks.get_all", stray, { contentType: "application/json" });
    assert.equal(bad.status, 400);
    assert.ok(!bad.meta.result_msg.includes("Bearer"), bad.meta.result_msg);
    const lines2 = await client.raw("events.add_batch", `{"a": 1}\n${stray}`, {
      contentType: "application/json-lines",
    });
    assert.equal(lines2.status, 400);
    const plain = await client.raw("tasks.get_all", `token=${token}`, { contentType: "text/plain" });
    assert.equal(plain.status, 415);
    const foreign = await rawHttp(`${url}/tasks.get_all`, "POST", {
      host: "evil.example.com",
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
    }, `{"token": "${token}"}`);
    assert.equal(foreign.status, 403);
    const text = lines.join("\n");
    assert.match(text, /wire --> POST \/tasks\.get_all auth=Bearer \*{8} POST \/tasks\.get_all HTTP\/1\.1/);
    assert.match(text, /Authorization: \*{8}/);
    assert.ok(!text.includes(token), "no token in any log line");
    assert.ok(!text.includes(token.split(".")[1]), "not even the token's payload");
  }, { log, wireTrace: true });
});
