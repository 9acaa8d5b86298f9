/**
 * serverCheck() over real HTTP. The embedded server (lib/server/) is not on main yet, so a minimal `auth.login`
 * and `debug.ping` in the ClearML envelope stand in for it; move these tests onto the embedded server when it lands.
 */
import assert from "node:assert/strict";
import { serverCheck } from "../../lib/doctor/server_check.ts";

const KEY = "ACCESSKEY1";
const SECRET = "secret-value-1";

function envelope(code: number, msg: string, data: unknown) {
  return Response.json({ meta: { result_code: code, result_subcode: 0, result_msg: msg }, data }, { status: code });
}

function loginServer() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/debug.ping") return envelope(200, "OK", {});
    if (path !== "/auth.login") return new Response("<html>not here</html>", { status: 404 });
    if (req.headers.get("authorization") !== `Basic ${btoa(`${KEY}:${SECRET}`)}`) {
      return envelope(401, "Unauthorized (invalid credentials)", {});
    }
    return envelope(200, "OK", { token: "eyJ.fake.token" });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("serverCheck() passes when auth.login accepts the credentials and returns the server's Date", async () => {
  const s = loginServer();
  try {
    const before = Date.now();
    const out = await serverCheck({ server: `${s.url}/`, accessKey: KEY, secretKey: SECRET });
    assert.deepEqual(out.result, {
      name: "server",
      ok: true,
      required: true,
      detail: `${s.url}/: reachable, credentials accepted`,
    });
    assert.ok(out.serverDate && Math.abs(Date.parse(out.serverDate) - before) < 5000, `Date: ${out.serverDate}`);
    assert.ok(out.localMs! >= before && out.localMs! <= Date.now());
  } finally {
    await s.close();
  }
});

Deno.test("serverCheck() fails for rejected credentials, a non-ClearML server and an unreachable one", async () => {
  const s = loginServer();
  try {
    const rejected = await serverCheck({ server: s.url, accessKey: KEY, secretKey: "wrong" });
    assert.equal(rejected.result.ok, false);
    assert.equal(rejected.result.detail, `${s.url} rejected the credentials: 401 Unauthorized (invalid credentials)`);
    const other = await serverCheck({ server: `${s.url}/elsewhere`, accessKey: KEY, secretKey: SECRET });
    assert.equal(other.result.detail, `${s.url}/elsewhere is not a ClearML API server: HTTP 404 to auth.login`);
  } finally {
    await s.close();
  }
  const down = await serverCheck({ server: s.url, accessKey: KEY, secretKey: SECRET, timeoutMs: 2000 });
  assert.equal(down.result.ok, false);
  assert.match(down.result.detail, new RegExp(`^Cannot reach "${s.url}/auth.login": `));
  assert.equal(down.serverDate, undefined);
});

Deno.test("serverCheck() gives up on a server that does not answer within the deadline", async () => {
  const { promise: released, resolve: release } = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async () => {
    await released;
    return new Response("late");
  });
  try {
    const out = await serverCheck({
      server: `http://127.0.0.1:${server.addr.port}`,
      accessKey: KEY,
      secretKey: SECRET,
      timeoutMs: 200,
    });
    assert.match(out.result.detail, /: no answer in 200 ms$/);
  } finally {
    release();
    await server.shutdown();
  }
});
