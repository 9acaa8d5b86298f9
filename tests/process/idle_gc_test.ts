import assert from "node:assert/strict";
import { collectAfterTask, exposedGc, IDLE_GC_INTERVAL_MS, nativeTrim, periodicGc } from "../../lib/process/idle_gc.ts";
import { V8_FLAGS } from "../../lib/process/self_command.ts";

/** A sleep that returns at once, recording the waits; after `limit` waits it aborts `stop`. */
function fakeSleep(stop: AbortController, limit: number) {
  const waits: number[] = [];
  const sleep = (ms: number, signal: AbortSignal) => {
    waits.push(ms);
    if (waits.length >= limit) stop.abort();
    assert.equal(signal, stop.signal);
    return Promise.resolve();
  };
  return { waits, sleep };
}

Deno.test("periodicGc() collects once per interval, after the first wait, until stopped", async () => {
  const stop = new AbortController();
  const { waits, sleep } = fakeSleep(stop, 4);
  let collections = 0;
  let trims = 0;
  const runs = await periodicGc({
    signal: stop.signal,
    intervalMs: 1234,
    gc: () => collections++,
    trim: () => (trims++, true),
    sleep,
  });
  assert.deepEqual(waits, [1234, 1234, 1234, 1234]);
  assert.equal(collections, 3);
  assert.equal(trims, 3, "each collection gives native memory back");
  assert.equal(runs, 3);
});

Deno.test("periodicGc() waits IDLE_GC_INTERVAL_MS by default", async () => {
  const stop = new AbortController();
  const { waits, sleep } = fakeSleep(stop, 2);
  await periodicGc({ signal: stop.signal, gc: () => {}, sleep });
  assert.deepEqual(waits, [IDLE_GC_INTERVAL_MS, IDLE_GC_INTERVAL_MS]);
});

Deno.test("periodicGc() without a gc function does nothing and returns at once", async () => {
  const stop = new AbortController();
  const { waits, sleep } = fakeSleep(stop, 1);
  assert.equal(await periodicGc({ signal: stop.signal, gc: null, sleep }), 0);
  assert.deepEqual(waits, []);
});

Deno.test("exposedGc() finds the global gc, and only a function", () => {
  let called = 0;
  const gc = exposedGc({ gc: () => called++ });
  assert.notEqual(gc, null);
  gc!();
  assert.equal(called, 1);
  assert.equal(exposedGc({}), null);
  assert.equal(exposedGc({ gc: 1 }), null);
});

/** Run `code` in a real Deno process with `v8Flags`; its stdout. */
async function evalWith(v8Flags: string[], code: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "-q", ...v8Flags, code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("a process with the agent's V8 flags collects for real; one without them has no gc", async () => {
  const mod = new URL("../../lib/process/idle_gc.ts", import.meta.url).href;
  const code = `
    const { exposedGc, periodicGc } = await import(${JSON.stringify(mod)});
    if (!exposedGc()) { console.log("no gc"); } else {
      const stop = new AbortController();
      let waits = 0;
      const sleep = (ms, signal) => new Promise((r) => { if (++waits > 2) stop.abort(); setTimeout(r, 1); });
      console.log("collections " + await periodicGc({ signal: stop.signal, intervalMs: 1, sleep }));
    }`;
  assert.equal(await evalWith([`--v8-flags=${V8_FLAGS}`], code), "collections 2");
  assert.equal(await evalWith(["--v8-flags=--max-semi-space-size=1"], code), "no gc");
});

Deno.test("collectAfterTask() collects once after the last of several task ends", async () => {
  let collections = 0;
  collectAfterTask(30, () => collections++);
  collectAfterTask(30, () => collections++);
  await new Promise((r) => setTimeout(r, 10));
  collectAfterTask(30, () => collections++);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(collections, 0, "not before the delay after the last end");
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(collections, 1);
});

Deno.test("nativeTrim() calls glibc's malloc_trim here; a process without the ffi permission skips it", async () => {
  const trim = nativeTrim();
  assert.notEqual(trim, null, "Linux with glibc");
  assert.equal(typeof trim!(), "boolean");
  const mod = new URL("../../lib/process/idle_gc.ts", import.meta.url).href;
  const code = `
    await Deno.permissions.revoke({ name: "ffi" });
    const { nativeTrim } = await import(${JSON.stringify(mod)});
    console.log(nativeTrim() === null ? "skipped" : "trims");`;
  assert.equal(await evalWith([], code), "skipped");
});

Deno.test("collectAfterTask() collects at once on every everyTasks-th task end in a row", async () => {
  let collections = 0;
  const collect = () => collections++;
  for (let i = 0; i < 3; i++) collectAfterTask(60_000, collect, 3);
  assert.equal(collections, 1, "the third task end collected at once");
  collectAfterTask(20, collect, 3);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(collections, 2, "a later end waits its delay again");
});
