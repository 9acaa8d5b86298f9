import assert from "node:assert/strict";
import { convertQueryValue, mergeQuery, parsePath } from "../../../lib/server/transport/request_body.ts";
import { envelopeJson } from "../../../lib/server/transport/envelope.ts";
import { formatMessage } from "../../../lib/server/errors.ts";
import { TestClock, withServer } from "../../helpers/server.ts";

const META = { id: "i", trx: "t", endpoint: "a.b", actualVersion: "1.0", code: 200, subcode: 0, msg: "OK" };

Deno.test("parsePath() follows the upstream path grammar", () => {
  const cases: [string, ReturnType<typeof parsePath>][] = [
    ["/auth.login", { name: "auth.login", version: undefined }],
    ["auth.login", { name: "auth.login", version: undefined }],
    ["/v2.5/tasks.get_by_id", { name: "tasks.get_by_id", version: "2.5" }],
    ["/v2.13/queues.get_next_task/", { name: "queues.get_next_task", version: "2.13" }],
    ["/v999.0/debug.ping", { name: "debug.ping", version: "999.0" }],
    ["/v25/debug.ping", { name: "debug.ping", version: "25" }],
    ["/v2/debug.ping", undefined],
    ["/x", undefined],
    ["/a.b", undefined],
    ["/tasks.get_all/extra", undefined],
    ["/1tasks.get_all", undefined],
  ];
  for (const [path, want] of cases) assert.deepEqual(parsePath(path), want, path);
});

Deno.test("convertQueryValue() converts like upstream", () => {
  const cases: [string, unknown][] = [
    ["12", 12],
    ["1.5", 1.5],
    ["true", true],
    ["True", true],
    ["TRUE", true],
    ["false", false],
    ["FALSE", false],
    ["-3", "-3"],
    ["abc", "abc"],
    ["", ""],
  ];
  for (const [text, want] of cases) assert.deepEqual(convertQueryValue(text), want, text);
});

Deno.test("mergeQuery() nests dotted keys, makes lists and overrides the body", () => {
  const body: Record<string, unknown> = { a: 1, keep: "x" };
  mergeQuery(body, new URLSearchParams("a=2&b.c=true&t=x&t=y&l[]=1&types=config"));
  assert.deepEqual(body, { a: 2, keep: "x", b: { c: true }, t: ["x", "y"], l: [1], types: "config" });
});

Deno.test("envelopeJson() writes versions as strings, and as numbers below 2.1", () => {
  const s = JSON.parse(envelopeJson({ ...META, requestedVersion: "2.5" }, { x: 1 }));
  assert.deepEqual(s.meta.endpoint, { name: "a.b", requested_version: "2.5", actual_version: "1.0" });
  const raw = envelopeJson({ ...META, requestedVersion: "2.0" }, {});
  assert.match(raw, /"requested_version":2\.0,"actual_version":1\.0/);
  assert.equal(JSON.parse(raw).meta.error_stack, null);
  assert.deepEqual(JSON.parse(raw).meta.error_data, {});
});

Deno.test("formatMessage() renders extra text and keyword details", () => {
  assert.equal(
    formatMessage("Invalid task status", "Invalid status change", { current_status: "created", new_status: "stopped" }),
    "Invalid task status (Invalid status change): current_status=created, new_status=stopped",
  );
  assert.equal(formatMessage("Invalid task id", undefined, { ids: ["a", "b"] }), "Invalid task id: ids=(a, b)");
});

Deno.test("server answers every method with the full envelope and echoes the trx header", async () => {
  await withServer(async ({ client }) => {
    for (const method of ["GET", "POST", "PUT"] as const) {
      const r = await client.call("debug.ping", { hello: "x" }, {
        method,
        auth: "none",
        headers: { "X-ClearML-Trx": "abc" },
      });
      assert.equal(r.status, 200);
      assert.equal(r.meta.trx, "abc");
      assert.match(r.meta.id, /^[0-9a-f]{32}$/);
      assert.deepEqual(r.meta.endpoint, { name: "debug.ping", requested_version: "2.31", actual_version: "1.0" });
      assert.equal(r.meta.result_msg, "OK");
      assert.equal(r.data.hello, "x");
      assert.equal(r.data.msg, "ClearML server");
    }
    const trains = await client.call("debug.ping", {}, { auth: "none", headers: { "X-Trains-Trx": "old" } });
    assert.equal(trains.meta.trx, "old");
    const plain = await client.call("debug.ping", {}, { auth: "none" });
    assert.equal(plain.meta.trx, plain.meta.id);
  });
});

Deno.test("server merges query-string parameters into the body", async () => {
  await withServer(async ({ client }) => {
    const r = await client.call("debug.ping", { a: 1, b: "keep" }, { auth: "none", query: "a=5&n.x=true" });
    assert.equal(r.data.a, 5);
    assert.equal(r.data.b, "keep");
    assert.deepEqual(r.data.n, { x: true });
    const tok = await client.call("auth.login", undefined, {
      auth: "basic",
      method: "GET",
      query: "expiration_sec=100",
    });
    assert.equal(tok.status, 200);
  });
});

Deno.test("server version quirks: above-max behaves as max, below min is 404, < 2.1 gives numbers", async () => {
  await withServer(async ({ client }) => {
    const hi = await client.call("queues.get_default", {}, { version: "999.0" });
    assert.equal(hi.status, 200);
    assert.deepEqual(hi.meta.endpoint, {
      name: "queues.get_default",
      requested_version: "999.0",
      actual_version: "2.4",
    });
    const low = await client.call("queues.get_default", {}, { version: "2.3" });
    assert.equal(low.status, 404);
    assert.equal(low.meta.result_subcode, 0);
    assert.equal(low.meta.result_msg, "Unable to find endpoint for name queues.get_default and version 2.3");
    assert.equal(low.meta.endpoint?.actual_version, null);
    const old = await client.raw("tasks.get_all", "{}", { version: "2.0", contentType: "application/json" });
    assert.equal(old.meta.endpoint?.requested_version, 2);
    const text = await (await fetch(`${client.url}/v2.0/debug.ping`)).text();
    assert.match(text, /"requested_version":2\.0,"actual_version":1\.0/);
    const info = await client.call("server.info", {}, { auth: "none" });
    assert.equal(info.data.api_version, "2.31");
    assert.equal(typeof info.data.uid, "string");
    const info27 = await client.call("server.info", {}, { auth: "none", version: "2.7" });
    assert.equal(info27.data.uid, undefined);
    assert.equal(info27.meta.endpoint?.actual_version, "1.0");
  });
});

Deno.test("server answers bad paths, unknown endpoints and bad bodies with error envelopes", async () => {
  await withServer(async ({ client }) => {
    const path = await client.call("nothing", {}, { auth: "none" });
    assert.equal(path.status, 400);
    assert.equal(path.meta.result_msg, "Invalid request path /nothing");
    assert.equal(path.meta.endpoint, null);
    const unknown = await client.call("workers.get_everything", {});
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.data, {});
    const bad = await client.raw("tasks.get_all", "{not json", { contentType: "application/json" });
    assert.equal(bad.status, 400);
    assert.equal(bad.meta.result_subcode, 0);
    assert.match(bad.meta.result_msg, /^Invalid JSON body/);
    const arr = await client.raw("tasks.get_all", "[1, 2]", { contentType: "application/json" });
    assert.equal(arr.status, 400);
    const lines = await client.raw("events.add_batch", '{"a":1}\n[2]\n', { contentType: "application/json-lines" });
    assert.equal(lines.status, 400);
    assert.match(lines.meta.result_msg, /line=2/);
    const types = await client.call("tasks.get_by_id", { task: 5 });
    assert.equal(types.status, 400);
    assert.equal(types.meta.result_subcode, 12);
    assert.match(types.meta.result_msg, /field=task/);
    const opts = await fetch(`${client.url}/tasks.get_all`, { method: "OPTIONS" });
    assert.equal(opts.status, 200);
    await opts.body?.cancel();
    const enc = await fetch(`${client.url}/debug.ping`, {
      method: "POST",
      headers: { "content-encoding": "gzip" },
      body: "x",
    });
    assert.equal(enc.status, 415);
    await enc.body?.cancel();
  });
});

Deno.test("server refuses bodies over the cap with 400 and writes nothing", async () => {
  await withServer(async ({ client }) => {
    const big = JSON.stringify({ name: "x".repeat(5000), type: "training" });
    const r = await client.call("tasks.create", JSON.parse(big));
    assert.equal(r.status, 400);
    assert.match(r.meta.result_msg, /request body too large/);
    const all = await client.ok("tasks.get_all", {});
    assert.equal(all.tasks.length, 0);
  }, { maxBodyBytes: 1000 });
});

Deno.test("TestClock is frozen by default and follows wall time with TestClock.real()", () => {
  const frozen = new TestClock(1000);
  frozen.advance(500);
  assert.equal(frozen.fn(), 1500);
  const real = TestClock.real();
  real.advance(60_000);
  assert.ok(Math.abs(real.now - (Date.now() + 60_000)) < 1000);
});
