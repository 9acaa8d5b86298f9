import assert from "node:assert/strict";
import { join } from "node:path";
import { pythonCheck, uvCheck } from "../../lib/doctor/python_tools.ts";
import { fakeBin } from "./fake_bin.ts";

Deno.test("pythonCheck() lists each interpreter on PATH once with its version", async () => {
  await using bin = await fakeBin({
    "python3.12": 'echo "Python 3.12.4"',
    "python3": "-> python3.12",
    "python3.9": 'echo "Python 3.9.18" >&2',
  });
  const r = await pythonCheck({ path: bin.dir, required: true });
  assert.deepEqual(r, { name: "python", ok: true, required: true, detail: "python3.12 3.12.4, python3.9 3.9.18" });
});

Deno.test("pythonCheck() finds this machine's real python3", async () => {
  const r = await pythonCheck({ path: Deno.env.get("PATH") ?? "", required: true });
  assert.ok(r.ok, r.detail);
  assert.match(r.detail, /python3(\.\d+)? 3\.\d+/);
});

Deno.test("pythonCheck() fails with no interpreter, a broken one, or a missing agent.python_binary", async () => {
  await using bin = await fakeBin({ python3: "exit 1", "python3.11": 'echo "Python 3.11.2"' });
  const empty = await Deno.makeTempDir();
  try {
    const none = await pythonCheck({ path: empty, required: true });
    assert.deepEqual(none, {
      name: "python",
      ok: false,
      required: true,
      detail: "no Python interpreter on PATH (python3.x, python3, python)",
    });
    const dockerMode = await pythonCheck({ path: empty, required: false });
    assert.equal(dockerMode.required, false);
    const pinned = await pythonCheck({ path: bin.dir, pythonBinary: "python3", required: true });
    assert.equal(pinned.ok, false);
    assert.equal(pinned.detail, 'agent.python_binary "python3" does not run');
    const missing = await pythonCheck({ path: bin.dir, pythonBinary: join(empty, "python9"), required: true });
    assert.equal(missing.ok, false);
    const good = await pythonCheck({ path: bin.dir, pythonBinary: "python3.11", required: true });
    assert.equal(good.detail, `agent.python_binary ${join(bin.dir, "python3.11")}: Python 3.11.2`);
  } finally {
    await Deno.remove(empty);
  }
});

Deno.test("uvCheck() passes with a working uv and fails (required only for package_manager uv) without one", async () => {
  await using good = await fakeBin({ uv: 'echo "uv 0.5.11"' });
  await using broken = await fakeBin({ uv: 'echo "bad CPU" >&2; exit 2' });
  const ok = await uvCheck({ path: good.dir, required: false });
  assert.deepEqual(ok, { name: "uv", ok: true, required: false, detail: `uv 0.5.11 (${join(good.dir, "uv")})` });
  const missing = await uvCheck({ path: "/nonexistent", required: true });
  assert.deepEqual(missing, {
    name: "uv",
    ok: false,
    required: true,
    detail: "uv not found on PATH: agent.package_manager.type is uv",
  });
  const optional = await uvCheck({ path: "/nonexistent", required: false });
  assert.match(optional.detail, /built with pip/);
  const fails = await uvCheck({ path: broken.dir, required: false });
  assert.equal(fails.ok, false);
  assert.match(fails.detail, /does not run: exit 2: bad CPU$/);
});
