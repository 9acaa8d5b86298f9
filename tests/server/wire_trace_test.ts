import assert from "node:assert/strict";
import { Logger } from "../../lib/log.ts";
import { TEST_SECRET_KEY, withServer } from "../helpers/server.ts";

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
