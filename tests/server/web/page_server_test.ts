/**
 * The page's HTTP side against a real server: the page and its files (gzip, headers), the sign-in cookie and what
 * it opens, and the embedded assets being those of `lib/server/web/page/`.
 */

import assert from "node:assert/strict";
import { ASSETS_MODULE, renderAssetsModule } from "../../../scripts/build_web.ts";
import { withServer } from "../../helpers/server.ts";

Deno.test("the page, its script and uPlot are served from the binary's embedded copy, gzip when accepted", async () => {
  await withServer(async (srv) => {
    const page = await fetch(`${srv.url}/`, { headers: { "accept-encoding": "identity" } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    const html = await page.text();
    assert.match(html, /<script type="module" src="\/web\/app.js">/);
    assert.doesNotMatch(html, /https?:\/\//, "no external address in the page");
    for (const path of ["/web/app.js", "/web/style.css", "/web/uplot.js", "/web/uplot.css"]) {
      const r = await fetch(`${srv.url}${path}`);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get("content-encoding"), "gzip", path); // fetch asks for gzip and inflates it
      assert.ok((await r.text()).length > 100, path);
    }
    const missing = await fetch(`${srv.url}/web/nothing.js`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const post = await fetch(`${srv.url}/web/app.js`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  });
});

Deno.test("sign-in sets an HttpOnly SameSite=Strict session cookie that the API accepts; a wrong key is refused", async () => {
  await withServer(async (srv) => {
    const bad = await fetch(`${srv.url}/web/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ access_key: srv.accessKey, secret_key: "wrong" }),
    });
    assert.equal(bad.status, 401);
    assert.deepEqual(await bad.json(), { error: "invalid credentials" });
    assert.equal(bad.headers.get("set-cookie"), null);
    const empty = await fetch(`${srv.url}/web/session`, { method: "POST", body: "{}" });
    assert.equal(empty.status, 400);
    assert.match((await empty.json()).error, /access key and the secret key are required/);

    const ok = await fetch(`${srv.url}/web/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ access_key: srv.accessKey, secret_key: srv.secretKey }),
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const cookie = ok.headers.get("set-cookie") ?? "";
    assert.match(
      cookie,
      /^clearml_token_basic=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=604800$/,
    );
    const session = cookie.split(";")[0];
    const me = await fetch(`${srv.url}/users.get_current_user`, { method: "POST", headers: { cookie: session } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).data.user.name, "admin");
    const anonymous = await fetch(`${srv.url}/users.get_current_user`, { method: "POST" });
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();

    const out = await fetch(`${srv.url}/web/session`, { method: "DELETE", headers: { cookie: session } });
    assert.match(out.headers.get("set-cookie") ?? "", /^clearml_token_basic=; .*Max-Age=0$/);
    await out.body?.cancel();
  });
});

Deno.test("the embedded assets module is up to date with lib/server/web/page/ (run scripts/build_web.ts)", () => {
  assert.equal(Deno.readTextFileSync(ASSETS_MODULE), renderAssetsModule());
});
