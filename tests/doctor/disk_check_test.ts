import assert from "node:assert/strict";
import { join } from "node:path";
import { diskCheck, freeBytes } from "../../lib/doctor/disk_check.ts";

Deno.test("diskCheck() measures the nearest existing folder and passes above the threshold", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const free = freeBytes(dir);
    assert.ok(free > 0);
    assert.equal(freeBytes(join(dir, "not", "yet", "made")), freeBytes(dir));
    const r = diskCheck({ paths: { venvs: join(dir, "venvs"), "vcs cache": dir }, minFreeGb: 0.000001 });
    assert.equal(r.ok, true, r.detail);
    assert.match(r.detail, /^\d+\.\d GB free for venvs \(.*\/venvs\); \d+\.\d GB free for vcs cache \(/);
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("diskCheck() fails below the threshold and names the folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = diskCheck({ paths: { venvs: join(dir, "venvs") }, minFreeGb: 1e9 });
    assert.equal(r.ok, false);
    assert.equal(r.required, true);
    assert.match(r.detail, /GB free for venvs \(.*\/venvs\): less than 1000000000 GB$/);
  } finally {
    await Deno.remove(dir);
  }
});
