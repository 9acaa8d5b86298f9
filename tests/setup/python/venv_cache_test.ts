import assert from "node:assert/strict";
import { join } from "node:path";
import { rewritePaths, VenvCache, venvCacheKey } from "../../../lib/setup/python/venv_cache.ts";

function fakeVenv(dir: string, self: string): void {
  Deno.mkdirSync(join(dir, "bin"), { recursive: true });
  Deno.writeTextFileSync(join(dir, "pyvenv.cfg"), "home = /usr/bin\n");
  Deno.writeTextFileSync(join(dir, "bin", "tool"), `#!${self}/bin/python\nprint(1)\n`, { mode: 0o755 });
}

const base = {
  packageManager: "uv",
  python: "3.11.7",
  cuda: "0",
  dockerImage: "",
  requirements: { lines: ["six==1.16.0"], options: [] },
  systemSitePackages: false,
  indexes: [],
  lockHash: "",
};

Deno.test("venvCacheKey() changes with python, CUDA, image, requirements, manager, indexes and lock file", () => {
  const k = venvCacheKey(base);
  assert.equal(k, venvCacheKey({ ...base }));
  for (
    const other of [
      { python: "3.10.1" },
      { cuda: "121" },
      { dockerImage: "python:3.11" },
      { requirements: { lines: ["six==1.15.0"], options: [] } },
      { packageManager: "poetry" },
      { indexes: ["http://127.0.0.1:9/simple"] },
      { lockHash: "ab12" },
    ]
  ) assert.notEqual(venvCacheKey({ ...base, ...other }), k, JSON.stringify(other));
});

Deno.test("VenvCache builds aside, renames in with paths rewritten, and never shows a half-built entry", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cache = new VenvCache({ root, maxEntries: 10, freeSpaceThresholdGb: 0 });
    const tmp = await cache.buildDir();
    fakeVenv(tmp, tmp);
    assert.equal(await cache.lookup("k1"), undefined);
    assert.deepEqual(await cache.entries(), []);
    const dir = await cache.commit(tmp, "k1");
    assert.equal(await cache.lookup("k1"), dir);
    assert.equal(Deno.readTextFileSync(join(dir, "bin", "tool")), `#!${dir}/bin/python\nprint(1)\n`);
    assert.equal((Deno.statSync(join(dir, "bin", "tool")).mode ?? 0) & 0o777, 0o755);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("VenvCache.makeRoom() evicts least recently used entries, sparing entries in use", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cache = new VenvCache({ root, maxEntries: 2, freeSpaceThresholdGb: 0 });
    for (const [i, key] of ["a", "b", "c"].entries()) {
      fakeVenv(join(root, key), join(root, key));
      const t = new Date(Date.now() - (10 - i) * 60_000);
      Deno.utimeSync(join(root, key), t, t);
    }
    const release = await cache.markInUse("a"); // oldest, but in use
    assert.equal(await cache.makeRoom(), true);
    assert.deepEqual((await cache.entries()).map((e) => e.key).sort(), ["a", "c"]);
    await release();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("VenvCache.makeRoom() evicts while free space is under the threshold and refuses when still short", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const key of ["x", "y"]) fakeVenv(join(root, key), join(root, key));
    let free = 1 * 1024 ** 3;
    const cache = new VenvCache({
      root,
      maxEntries: 10,
      freeSpaceThresholdGb: 2,
      freeBytes: () => Promise.resolve(free),
    });
    assert.equal(await cache.makeRoom(), false);
    assert.deepEqual(await cache.entries(), []);
    fakeVenv(join(root, "z"), join(root, "z"));
    free = 3 * 1024 ** 3;
    assert.equal(await cache.makeRoom(), true);
    assert.equal((await cache.entries()).length, 1);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("rewritePaths() leaves files without the old path alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    fakeVenv(dir, "/elsewhere");
    await rewritePaths(dir, "/nothere", "/x");
    assert.equal(Deno.readTextFileSync(join(dir, "bin", "tool")), "#!/elsewhere/bin/python\nprint(1)\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
