/**
 * `daemon --dynamic-gpus` end to end (real daemons, real `execute` children, real Python tasks) on a machine
 * whose fake `nvidia-smi` reports 8 GPUs: tasks of `quad=4` / `dual=2` queues run concurrently on disjoint GPUs,
 * each sees exactly its GPUs and runs as its own worker, released GPUs are handed out again, and two daemons on
 * one machine never share a GPU.
 */
import assert from "node:assert/strict";
import { readLedger } from "../../lib/worker/gpu_pool.ts";
import { type DaemonEnv, startDaemonEnv } from "../helpers/daemon_env.ts";
import { fixture } from "../helpers/fixtures.ts";
import { fakeNvidiaSmi } from "../stats/_fake_nvidia_smi.ts";

/**
 * An 8-GPU `nvidia-smi -q -x` document built from the Tesla T4 capture: its `<gpu>` element 8 times, with
 * `<attached_gpus>` set accordingly (as the fixtures README allows).
 */
async function eightGpuSmi(): Promise<{ dir: string; xml: string }> {
  const text = await Deno.readTextFile(fixture("nvidia-smi/tesla-t4.xml"));
  const gpu = text.slice(text.indexOf("<gpu id="), text.indexOf("</gpu>") + "</gpu>".length);
  const gpus = Array.from({ length: 8 }, (_, i) => gpu.replace(/00000000:00:1E\.0/, `00000000:0${i}:1E.0`));
  const xml = text.slice(0, text.indexOf("<gpu id=")).replace(/<attached_gpus>1</, "<attached_gpus>8<") +
    gpus.join("\n") + text.slice(text.indexOf("</gpu>") + "</gpu>".length);
  const dir = await Deno.makeTempDir({ prefix: "eight-gpus-" });
  await Deno.writeTextFile(`${dir}/smi.xml`, xml);
  const fake = await fakeNvidiaSmi(`cat "${dir}/smi.xml"`);
  return { dir: fake.dir, xml: dir };
}

/** Prints what the task sees, and when it ran (this machine's clock), then works for 2 s. */
const GPU_TASK = `
import os, time
print("env", os.environ.get("CLEARML_WORKER_ID"), os.environ.get("NVIDIA_VISIBLE_DEVICES"), os.environ.get("CUDA_VISIBLE_DEVICES"), flush=True)
print("t0", time.time(), flush=True)
time.sleep(2)
print("t1", time.time(), flush=True)
`;

interface Run {
  id: string;
  worker: string;
  gpus: string[];
  cuda: string;
  t0: number;
  t1: number;
}

async function runOf(env: DaemonEnv, id: string): Promise<Run> {
  const lines = await env.logLines(id);
  const [, worker, nvidia, cuda] = lines.find((l) => l.startsWith("env "))!.split(" ");
  const time = (p: string) => Number(lines.find((l) => l.startsWith(p))!.split(" ")[1]);
  return { id, worker, gpus: nvidia.split(","), cuda, t0: time("t0 "), t1: time("t1 ") };
}

/** Every two runs that were alive at the same time had disjoint GPUs. */
function assertNoSharedGpu(runs: Run[]): void {
  for (const a of runs) {
    for (const b of runs) {
      if (a === b || a.t1 <= b.t0 || b.t1 <= a.t0) continue;
      const shared = a.gpus.filter((g) => b.gpus.includes(g));
      assert.deepEqual(shared, [], `tasks ${a.id} and ${b.id} ran at once on GPUs ${shared}`);
    }
  }
}

async function enqueueTasks(env: DaemonEnv, queue: string, n: number): Promise<string[]> {
  const q = await env.queue(queue);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = await env.createTask(GPU_TASK, `${queue}-${i}`);
    await env.enqueue(id, q);
    ids.push(id);
  }
  return ids;
}

Deno.test("dynamic GPUs: quad=4 and dual=2 tasks run at once on disjoint GPUs, each sees exactly its own, freed GPUs are reused", async () => {
  const smi = await eightGpuSmi();
  const env = await startDaemonEnv();
  try {
    const pathEnv = {
      PATH: `${smi.dir}:${Deno.env.get("PATH")}`,
      NVIDIA_VISIBLE_DEVICES: "",
      CUDA_VISIBLE_DEVICES: "",
    };
    await env.queue("quad");
    await env.queue("dual");
    const d = env.daemon(["--dynamic-gpus", "--gpus", "0-7", "--queue", "quad=4", "dual=2", "--foreground"], pathEnv);
    await d.waitFor(/Worker "testhost:dgpu0-7" - Listening/);
    await d.waitFor(/Dynamic GPUs: 0,1,2,3,4,5,6,7, per queue: quad=4 dual=2/);
    await d.waitFor(/nvidia-smi lists all 8 GPUs of --gpus/);
    const quad = await enqueueTasks(env, "quad", 3);
    const dual = await enqueueTasks(env, "dual", 3);
    for (const id of [...quad, ...dual]) {
      const t = await env.waitTask(id, (t) => ["completed", "failed", "stopped"].includes(t.status as string), 180_000);
      assert.equal(t.status, "completed", `task ${id}: ${t.status_reason}`);
    }
    assert.equal(await d.stop(), 0);
    const runs = await Promise.all([...quad, ...dual].map((id) => runOf(env, id)));
    for (const r of runs) {
      assert.equal(r.gpus.length, quad.includes(r.id) ? 4 : 2, `task ${r.id} got ${r.gpus}`);
      assert.equal(r.cuda, r.gpus.join(","), "CUDA_VISIBLE_DEVICES is the same list");
      assert.equal(r.worker, `testhost:gpu${r.gpus.join(",")}`);
      assert.ok(r.gpus.every((g) => /^[0-7]$/.test(g)));
      assert.equal((await env.task(r.id)).last_worker, r.worker, "the task was reported by its own worker");
    }
    assertNoSharedGpu(runs);
    const overlapping = runs.some((a) => runs.some((b) => a !== b && a.t0 < b.t1 && b.t0 < a.t1));
    assert.ok(overlapping, "some tasks ran at the same time");
    const uses = new Map<string, number>();
    for (const g of runs.flatMap((r) => r.gpus)) uses.set(g, (uses.get(g) ?? 0) + 1);
    assert.ok([...uses.values()].some((n) => n > 1), "released GPUs were handed out again");
    assert.deepEqual(readLedger(env.tmpDir), {}, "every GPU was given back");
    const status = await env.cli([
      "daemon",
      "--status",
      "--dynamic-gpus",
      "--gpus",
      "0-7",
      "--queue",
      "quad=4",
      "dual=2",
    ]);
    assert.equal(status.code, 1);
    assert.match(status.out, /^GPUs:\n {2}- 0: free\n(.|\n)* {2}- 7: free$/m);
  } finally {
    await env.close();
    await Deno.remove(smi.dir, { recursive: true }).catch(() => {});
    await Deno.remove(smi.xml, { recursive: true }).catch(() => {});
  }
});

Deno.test("dynamic GPUs: two daemons on one machine with overlapping --gpus never hand out the same GPU", async () => {
  const smi = await eightGpuSmi();
  const env = await startDaemonEnv();
  try {
    const pathEnv = {
      PATH: `${smi.dir}:${Deno.env.get("PATH")}`,
      NVIDIA_VISIBLE_DEVICES: "",
      CUDA_VISIBLE_DEVICES: "",
    };
    await env.queue("pairs");
    const a = env.daemon(["--dynamic-gpus", "--gpus", "0-3", "--queue", "pairs=2", "--foreground"], pathEnv);
    const b = env.daemon(["--dynamic-gpus", "--gpus", "2,3,4,5", "--queue", "pairs=2", "--foreground"], pathEnv);
    await a.waitFor(/Worker "testhost:dgpu0-3" - Listening/);
    await b.waitFor(/Worker "testhost:dgpu2,3,4,5" - Listening/);
    const ids = await enqueueTasks(env, "pairs", 6);
    for (const id of ids) {
      const t = await env.waitTask(id, (t) => ["completed", "failed", "stopped"].includes(t.status as string), 180_000);
      assert.equal(t.status, "completed", `task ${id}: ${t.status_reason}`);
    }
    assert.equal(await a.stop(), 0);
    assert.equal(await b.stop(), 0);
    const runs = await Promise.all(ids.map((id) => runOf(env, id)));
    for (const r of runs) assert.equal(r.gpus.length, 2);
    assertNoSharedGpu(runs);
    const byA = runs.filter((r) => a.output().includes(`Task '${r.id}'`));
    const byB = runs.filter((r) => b.output().includes(`Task '${r.id}'`));
    assert.equal(byA.length + byB.length, ids.length);
    assert.ok(byA.every((r) => r.gpus.every((g) => ["0", "1", "2", "3"].includes(g))));
    assert.ok(byB.every((r) => r.gpus.every((g) => ["2", "3", "4", "5"].includes(g))));
    assert.ok(byA.length > 0 && byB.length > 0, "both daemons ran tasks");
    assert.deepEqual(readLedger(env.tmpDir), {});
  } finally {
    await env.close();
    await Deno.remove(smi.dir, { recursive: true }).catch(() => {});
    await Deno.remove(smi.xml, { recursive: true }).catch(() => {});
  }
});
