import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { decodeJwt } from "../../../lib/server/auth/jwt.ts";
import { ApiClient, TEST_ACCESS_KEY, TEST_SECRET_KEY, TestClock, withServer } from "../../helpers/server.ts";

Deno.test("auth.login returns a JWT with the version claims, identity and a 30-day expiry", async () => {
  const clock = new TestClock(Date.UTC(2025, 0, 1));
  await withServer(async ({ client }) => {
    const r = await client.call("auth.login", undefined, { auth: "basic", method: "GET" });
    assert.equal(r.status, 200);
    const claims = decodeJwt(r.data.token);
    assert.equal(claims.api_version, "2.31");
    assert.equal(claims.server_version, "2.0.0");
    assert.equal(claims.feature_set, "basic");
    assert.equal(claims.auth_type, "Bearer");
    assert.equal(claims.iat, clock.now / 1000);
    assert.equal(claims.exp, clock.now / 1000 + 30 * 24 * 3600);
    const id = claims.identity as Record<string, string>;
    assert.match(id.user, /^[0-9a-f]{32}$/);
    assert.equal(id.company, "d1bd92a3b039400cbafc60a7a5b1e52b");
    assert.equal(id.role, "admin");
    const short = await client.call("auth.login", undefined, { auth: "basic", query: "expiration_sec=60" });
    assert.equal(decodeJwt(short.data.token).exp, clock.now / 1000 + 60);
    const tooLong = await client.call("auth.login", { expiration_sec: 31_536_001 }, { auth: "basic" });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.meta.result_subcode, 12);
    const me = await client.ok("users.get_current_user", {});
    assert.equal(me.user.id, id.user);
    assert.equal(me.user.company.id, id.company);
  }, { clock });
});

Deno.test("server answers the real 401 envelopes for missing, malformed and wrong credentials", async () => {
  await withServer(async ({ client, url }) => {
    const cases: [string, { header: string } | "none", number][] = [
      ["missing", "none", 20],
      ["bad scheme", { header: "Digest abc" }, 10],
      ["undecodable basic", { header: "Basic %%%%" }, 21],
      ["basic without colon", { header: `Basic ${btoa("nocolon")}` }, 21],
      ["unknown key", { header: `Basic ${btoa("NOPE:nope")}` }, 22],
      ["wrong secret", { header: `Basic ${btoa(`${TEST_ACCESS_KEY}:wrong`)}` }, 22],
      ["garbage token", { header: "Bearer abc.def.ghi" }, 30],
      ["two-part token", { header: "Bearer abc.def" }, 30],
    ];
    for (const [name, auth, sub] of cases) {
      const r = await client.call("queues.get_all", {}, { auth });
      assert.equal(r.status, 401, name);
      assert.equal(r.meta.result_code, 401, name);
      assert.equal(r.meta.result_subcode, sub, name);
      assert.deepEqual(r.data, {}, name);
    }
    const missing = await client.call("tasks.get_all", {}, { auth: "none" });
    assert.equal(missing.meta.result_msg, "Unauthorized (missing credentials)");
    const wrong = await new ApiClient(url, "NOPE", "nope").call("auth.login", undefined, { auth: "basic" });
    assert.equal(wrong.meta.result_msg, "Unauthorized (invalid credentials) (failed to locate provided credentials)");
  });
});

Deno.test("server accepts Basic on every endpoint and Bearer from auth.login, and rejects expired tokens", async () => {
  const clock = new TestClock();
  await withServer(async ({ client }) => {
    const basic = await client.call("queues.get_default", {}, { auth: "basic" });
    assert.equal(basic.status, 200);
    const token = await client.login();
    const bearer = await client.call("queues.get_default", {}, { auth: { header: `Bearer ${token}` } });
    assert.equal(bearer.status, 200);
    const cookie = await client.call("queues.get_default", {}, {
      auth: "none",
      headers: { cookie: `clearml_token_basic=${token}` },
    });
    assert.equal(cookie.status, 200);
    clock.advance(31 * 24 * 3600 * 1000);
    const expired = await client.call("queues.get_default", {}, { auth: { header: `Bearer ${token}` } });
    assert.equal(expired.status, 401);
    assert.equal(expired.meta.result_subcode, 30);
    assert.equal(expired.meta.result_msg, "Invalid token (invalid jwt token): reason=Signature has expired");
    const fresh = await client.call("auth.login", undefined, {
      auth: { header: `Bearer ${await new ApiClient(client.url).login()}` },
    });
    assert.equal(fresh.status, 200);
  }, { clock });
});

Deno.test("auth.create_credentials / get_credentials / revoke_credentials manage extra keys", async () => {
  await withServer(async ({ client, url }) => {
    const created = await client.ok("auth.create_credentials", { label: "ci" });
    const { access_key, secret_key } = created.credentials;
    assert.match(access_key, /^[A-Z0-9]{30}$/);
    assert.match(secret_key, /^[A-Za-z0-9_-]{50}$/);
    const other = new ApiClient(url, access_key, secret_key);
    assert.equal((await other.call("queues.get_default", {}, { auth: "basic" })).status, 200);
    const list = await client.ok("auth.get_credentials", {});
    const keys = list.credentials.map((c: Record<string, unknown>) => c.access_key);
    assert.deepEqual(keys.sort(), [TEST_ACCESS_KEY, access_key].sort());
    assert.ok(list.credentials.every((c: Record<string, unknown>) => !("secret_key" in c)));
    const mine = list.credentials.find((c: Record<string, unknown>) => c.access_key === access_key);
    assert.equal(mine.label, "ci");
    assert.equal(typeof mine.last_used, "string");
    assert.deepEqual(await client.ok("auth.revoke_credentials", { access_key }), { revoked: 1 });
    assert.deepEqual(await client.ok("auth.revoke_credentials", { access_key }), { revoked: 0 });
    const after = await other.call("queues.get_default", {}, { auth: "basic" });
    assert.equal(after.status, 401);
    assert.equal(after.meta.result_subcode, 22);
    const missing = await client.call("auth.revoke_credentials", {});
    assert.equal(missing.status, 400);
    assert.match(missing.meta.result_msg, /field=access_key/);
  });
});

Deno.test("server stores secrets hashed and writes the conf snippet with mode 0600", async () => {
  await withServer(async ({ dataDir, snippetPath, client }) => {
    await client.login();
    const snippet = await Deno.readTextFile(snippetPath);
    assert.match(snippet, new RegExp(`"access_key" = "${TEST_ACCESS_KEY}"`));
    assert.match(snippet, new RegExp(`api_server: ${client.url}\n`));
    // Complete as pasted: the SDK's Task.init needs the web server on any port (the server's own address).
    assert.match(snippet, new RegExp(`web_server: ${client.url}\n`));
    assert.match(snippet, new RegExp(`files_server: ${client.url}/files\n`));
    assert.equal((await Deno.stat(snippetPath)).mode! & 0o777, 0o600);
    const db = new DatabaseSync(join(dataDir, "clearml.db"), { readOnly: true });
    try {
      const rows = db.prepare("SELECT secret_hash FROM credentials").all();
      assert.equal(rows.length, 1);
      assert.match(String(rows[0].secret_hash), /^scrypt\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
      const dump = JSON.stringify(db.prepare("SELECT * FROM credentials").all());
      assert.ok(!dump.includes(TEST_SECRET_KEY));
    } finally {
      db.close();
    }
  });
});

Deno.test("server.info, debug.ping and auth.fixed_users_mode need no credentials; --insecure-open needs none at all", async () => {
  await withServer(async ({ client }) => {
    for (const ep of ["server.info", "debug.ping", "auth.fixed_users_mode"]) {
      assert.equal((await client.call(ep, {}, { auth: "none" })).status, 200, ep);
    }
    assert.equal((await client.call("tasks.get_all", {}, { auth: "none" })).status, 401);
  });
  await withServer(async ({ client }) => {
    const open = await client.call("tasks.create", { name: "open task", type: "training" }, { auth: "none" });
    assert.equal(open.status, 200);
    const anyKey = await client.call("auth.login", undefined, { auth: { header: `Basic ${btoa("ANY:thing")}` } });
    assert.equal(anyKey.status, 200);
    assert.equal((decodeJwt(anyKey.data.token).identity as Record<string, string>).role, "admin");
  }, { insecureOpen: true });
});
