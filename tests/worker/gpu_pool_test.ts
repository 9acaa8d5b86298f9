/**
 * The machine's GPU ledger (`lib/worker/gpu_pool.ts`): reservations by count and min-max, release and reuse,
 * pools with overlapping GPU lists never hand out one GPU twice — also from two processes at once — and GPUs of
 * dead holders are reclaimed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { GpuPool, readLedger } from "../../lib/worker/gpu_pool.ts";
import { ROOT } from "../helpers/cli.ts";

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => String(from + i));

Deno.test("GpuPool reserves the first free GPUs by count, min-max takes what is free up to max, release frees them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pool = new GpuPool({ dir, gpus: ids(8), owner: "box:dgpu0-7" });
    const quad = await pool.reserve(4, 4);
    const dual = await pool.reserve(2, 2);
    assert.deepEqual([quad, dual], [["0", "1", "2", "3"], ["4", "5"]]);
    assert.equal(await pool.reserve(4, 4), null, "only 2 left");
    assert.deepEqual(await pool.reserve(1, 4), ["6", "7"], "opportunistic: as many as free, up to max");
    assert.equal(await pool.reserve(1, 4), null);
    await pool.assign(quad!, { task: "t1", worker: "box:gpu0,1,2,3", pgid: 4242 });
    const ledger = readLedger(dir);
    assert.deepEqual(
      [ledger["0"].task, ledger["0"].worker, ledger["0"].pgid, ledger["0"].pid],
      ["t1", "box:gpu0,1,2,3", 4242, Deno.pid],
    );
    assert.equal(ledger["4"].task, null, "reserved, no task yet");
    await pool.release(quad!);
    assert.deepEqual(await pool.free(), ["0", "1", "2", "3"]);
    assert.deepEqual(await pool.reserve(1, 3), ["0", "1", "2"], "released GPUs are handed out again");
    await pool.releaseAll();
    assert.deepEqual(readLedger(dir), {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("GpuPool: pools with overlapping --gpus share one ledger, and a dead holder's GPUs are reclaimed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = new GpuPool({ dir, gpus: ids(4), owner: "a" });
    const b = new GpuPool({ dir, gpus: ids(4, 2), owner: "b", pid: 999_999_1 });
    assert.deepEqual(await a.reserve(2, 2), ["0", "1"]);
    assert.deepEqual(await a.reserve(1, 1), ["2"]);
    // b's process does not exist: its entries are dropped by the next change, whoever makes it.
    const bAlive = new GpuPool({ dir, gpus: ids(4, 2), owner: "b", alive: () => true });
    assert.deepEqual(await bAlive.reserve(2, 2), ["3", "4"]);
    assert.deepEqual(await a.free(), []);
    assert.deepEqual(await b.reserve(1, 1), ["5"]);
    assert.equal(readLedger(dir)["5"].pid, 999_999_1);
    assert.deepEqual(await a.free(), [], "a's own GPUs stay taken");
    assert.equal("5" in readLedger(dir), false, "the dead holder's GPU was reclaimed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Reserves, records a task, then checks that the ledger still names it as the holder of each of its GPUs (another
// process writing without the lock would overwrite entries), and releases.
const WORKER = `
import { GpuPool, readLedger } from "${ROOT}/lib/worker/gpu_pool.ts";
const [dir, tag] = Deno.args;
const pool = new GpuPool({ dir, gpus: ["0", "1", "2", "3"], owner: tag });
let got = 0, bad = 0;
for (let i = 0; i < 40; i++) {
  const g = await pool.reserve(1, 2);
  if (!g) continue;
  got += g.length;
  await pool.assign(g, { task: tag + i, worker: tag });
  await new Promise((r) => setTimeout(r, 2));
  const ledger = readLedger(dir);
  for (const id of g) if (ledger[id]?.pid !== Deno.pid || ledger[id]?.task !== tag + i) bad++;
  await pool.release(g);
}
console.log(JSON.stringify({ got, bad }));
`;

Deno.test("GpuPool: two processes reserving at once never hold one GPU together", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = join(dir, "worker.ts");
    await Deno.writeTextFile(script, WORKER);
    const run = (tag: string) =>
      new Deno.Command(Deno.execPath(), { args: ["run", "-A", "--quiet", script, dir, tag], stdout: "piped" }).output();
    const [x, y] = await Promise.all([run("x"), run("y")]);
    const dec = new TextDecoder();
    assert.equal(x.code, 0);
    assert.equal(y.code, 0);
    for (const out of [x, y]) {
      const { got, bad } = JSON.parse(dec.decode(out.stdout));
      assert.ok(got > 0, "each process got GPUs");
      assert.equal(bad, 0, "no GPU was held by both");
    }
    assert.deepEqual(readLedger(dir), {}, "everything was released");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
