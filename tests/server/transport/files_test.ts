import assert from "node:assert/strict";
import { join } from "node:path";
import { safeSegments } from "../../../lib/server/transport/files.ts";
import { multipartBoundary, readMultipart } from "../../../lib/server/transport/multipart.ts";
import { rawHttp, withServer } from "../../helpers/server.ts";

function form(parts: { name: string; data: string | Uint8Array<ArrayBuffer>; type?: string }[]): FormData {
  const fd = new FormData();
  for (const p of parts) {
    fd.append(p.name, new Blob([p.data], { type: p.type ?? "application/octet-stream" }), p.name);
  }
  return fd;
}

Deno.test("safeSegments() refuses paths that could leave the files folder", () => {
  const cases: [string, string[] | undefined][] = [
    ["/Compat/t.1/artifacts/a.json", ["Compat", "t.1", "artifacts", "a.json"]],
    ["a//b/", ["a", "b"]],
    ["../etc/passwd", undefined],
    ["a/../../b", undefined],
    ["a/./b", undefined],
    ["a\\..\\b", undefined],
    ["a/b\0c", undefined],
    ["", undefined],
    ["/", undefined],
    [".upload-tmp/x", undefined],
    ["x".repeat(2000), undefined],
  ];
  for (const [path, want] of cases) assert.deepEqual(safeSegments(path), want, path);
});

Deno.test("readMultipart() splits parts across any chunking and keeps binary bytes", async () => {
  const payload = new Uint8Array(70_000).map((_, i) => (i * 7) % 256);
  const req = new Request("http://x/", { method: "POST", body: form([{ name: "a/b.bin", data: payload }]) });
  const boundary = multipartBoundary(req.headers.get("content-type")!)!;
  const body = new Uint8Array(await req.arrayBuffer());
  for (const size of [1, 7, 64, 65536]) {
    const chunks = async function* () {
      for (let i = 0; i < body.length; i += size) yield body.slice(i, i + size);
    };
    const got: Uint8Array[] = [];
    let name = "";
    const n = await readMultipart(chunks(), boundary, (info) => {
      name = info.name;
      return Promise.resolve({
        write: (c: Uint8Array) => Promise.resolve(void got.push(c)),
        close: () => Promise.resolve(),
      });
    });
    assert.equal(n, 1);
    assert.equal(name, "a/b.bin");
    const all = new Uint8Array(got.reduce((s, c) => s + c.length, 0));
    let off = 0;
    for (const c of got) all.set(c, (off += c.length) - c.length);
    assert.deepEqual(all, payload, `chunk size ${size}`);
  }
});

Deno.test("readMultipart() fails on a body that ends inside a part", async () => {
  const text = '--XY\r\nContent-Disposition: form-data; name="f"\r\n\r\nsome bytes';
  const chunks = async function* () {
    yield new TextEncoder().encode(text);
  };
  await assert.rejects(
    readMultipart(
      chunks(),
      "XY",
      () => Promise.resolve({ write: () => Promise.resolve(), close: () => Promise.resolve() }),
    ),
    /body ended inside a part/,
  );
});

Deno.test("files server stores an SDK-style upload and serves it back with GET and HEAD", async () => {
  await withServer(async ({ filesUrl, client, dataDir }) => {
    const auth = { authorization: client.basicHeader() };
    const blob = new Uint8Array(300_000).map((_, i) => i % 251);
    const res = await fetch(filesUrl, {
      method: "POST",
      headers: auth,
      body: form([
        { name: "/Compat/exp.1/artifacts/stats/stats.json", data: '{"rows": 10}', type: "application/json" },
        { name: "/Compat/exp.1/models/w.bin", data: blob },
      ]),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), ["Compat/exp.1/artifacts/stats/stats.json", "Compat/exp.1/models/w.bin"]);
    assert.equal(
      await Deno.readTextFile(join(dataDir, "files", "Compat", "exp.1", "artifacts", "stats", "stats.json")),
      '{"rows": 10}',
    );
    const got = await fetch(`${filesUrl}/Compat/exp.1/models/w.bin`, { headers: auth });
    assert.equal(got.status, 200);
    assert.deepEqual(new Uint8Array(await got.arrayBuffer()), blob);
    const json = await fetch(`${filesUrl}/Compat/exp.1/artifacts/stats/stats.json`, { method: "HEAD", headers: auth });
    await json.body?.cancel();
    assert.equal(json.headers.get("content-type"), "application/json");
    assert.equal(json.headers.get("content-length"), "12");
    const missing = await fetch(`${filesUrl}/Compat/nothing.txt`, { headers: auth });
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });
});

Deno.test("files server refuses uploads and downloads that escape its folder, and requests without credentials", async () => {
  await withServer(async ({ filesUrl, client, dataDir }) => {
    const auth = { authorization: client.basicHeader() };
    const up = await fetch(filesUrl, {
      method: "POST",
      headers: auth,
      body: form([{ name: "../../x.txt", data: "x" }]),
    });
    assert.equal(up.status, 400);
    assert.match(await up.text(), /Invalid file path "\.\.\/\.\.\/x\.txt"/);
    await Deno.writeTextFile(join(dataDir, "secret.txt"), "do not serve");
    // fetch() normalises "..", so send the raw request line as an attacker would.
    for (const path of ["/files/../secret.txt", "/files/a/%2E%2E/%2E%2E/secret.txt", "/files/..%2Fsecret.txt"]) {
      const r = await rawHttp(`${filesUrl.replace("/files", "")}${path}`, "GET", auth, "");
      assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
      assert.doesNotMatch(r.text, /do not serve/);
    }
    const anonymous = await fetch(`${filesUrl}/a.txt`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const noForm = await fetch(filesUrl, { method: "POST", headers: auth, body: "plain" });
    assert.equal(noForm.status, 400);
    await noForm.body?.cancel();
    assert.deepEqual([...Deno.readDirSync(join(dataDir, "files"))].map((e) => e.name), [".upload-tmp"]);
  });
});

Deno.test("files server deletes a stored file", async () => {
  await withServer(async ({ filesUrl, client }) => {
    const auth = { authorization: client.basicHeader() };
    const up = await fetch(filesUrl, { method: "POST", headers: auth, body: form([{ name: "p/q.txt", data: "q" }]) });
    await up.body?.cancel();
    const del = await fetch(`${filesUrl}/p/q.txt`, { method: "DELETE", headers: auth });
    assert.deepEqual(await del.json(), { deleted: "p/q.txt" });
    const again = await fetch(`${filesUrl}/p/q.txt`, { headers: auth });
    assert.equal(again.status, 404);
    await again.body?.cancel();
  });
});

Deno.test("files server follows no symbolic link for read, write or delete", async () => {
  await withServer(async ({ filesUrl, client, dataDir }) => {
    const auth = { authorization: client.basicHeader() };
    const outside = await Deno.makeTempDir({ prefix: "files-outside-" });
    try {
      await Deno.writeTextFile(join(outside, "passwd"), "root:x:0:0");
      const root = join(dataDir, "files");
      await Deno.mkdir(root, { recursive: true });
      await Deno.symlink(join(outside, "passwd"), join(root, "passwd.txt"));
      await Deno.symlink(outside, join(root, "linked"));
      const read = await fetch(`${filesUrl}/passwd.txt`, { headers: auth });
      assert.equal(read.status, 403);
      assert.doesNotMatch(await read.text(), /root:x/);
      const viaDir = await fetch(`${filesUrl}/linked/passwd`, { headers: auth });
      assert.equal(viaDir.status, 403);
      await viaDir.body?.cancel();
      const write = await fetch(`${filesUrl}/linked`, {
        method: "POST",
        headers: auth,
        body: form([{ name: "w.txt", data: "w" }]),
      });
      assert.equal(write.status, 403);
      await write.body?.cancel();
      const write2 = await fetch(filesUrl, {
        method: "POST",
        headers: auth,
        body: form([{ name: "linked/w2.txt", data: "w" }]),
      });
      assert.equal(write2.status, 403);
      await write2.body?.cancel();
      const del = await fetch(`${filesUrl}/linked/passwd`, { method: "DELETE", headers: auth });
      assert.equal(del.status, 403);
      await del.body?.cancel();
      assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), ["passwd"]);
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("files server decodes the upload base path exactly as the download path", async () => {
  await withServer(async ({ filesUrl, client }) => {
    const auth = { authorization: client.basicHeader() };
    const up = await fetch(`${filesUrl}/my%20dir`, {
      method: "POST",
      headers: auth,
      body: form([{ name: "x.txt", data: "x" }]),
    });
    assert.deepEqual(await up.json(), ["my dir/x.txt"]);
    const got = await fetch(`${filesUrl}/my%20dir/x.txt`, { headers: auth });
    assert.equal(got.status, 200);
    assert.equal(await got.text(), "x");
    const slash = await fetch(`${filesUrl}/a%2Fb`, {
      method: "POST",
      headers: auth,
      body: form([{ name: "y", data: "y" }]),
    });
    assert.equal(slash.status, 400);
    await slash.body?.cancel();
  });
});

Deno.test("files server serves active types as attachments and says nosniff on every answer", async () => {
  await withServer(async ({ filesUrl, client }) => {
    const auth = { authorization: client.basicHeader() };
    const names = ["p.html", "p.svg", "p.xhtml", "p.xml", "p.js", "p.png"];
    const up = await fetch(filesUrl, {
      method: "POST",
      headers: auth,
      body: form(names.map((name) => ({ name: `x/${name}`, data: "<script>alert(1)</script>" }))),
    });
    assert.equal(up.status, 200);
    assert.equal(up.headers.get("x-content-type-options"), "nosniff");
    await up.body?.cancel();
    for (const name of names) {
      const r = await fetch(`${filesUrl}/x/${name}`, { headers: auth });
      await r.body?.cancel();
      assert.equal(r.headers.get("x-content-type-options"), "nosniff", name);
      const disposition = r.headers.get("content-disposition") ?? "";
      if (name === "p.png") assert.equal(disposition, "", name);
      else assert.match(disposition, /^attachment; filename\*=UTF-8''p\./, name);
    }
    const missing = await fetch(`${filesUrl}/x/none.html`, { headers: auth });
    await missing.body?.cancel();
    assert.equal(missing.headers.get("x-content-type-options"), "nosniff");
  });
});
