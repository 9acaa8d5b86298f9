import assert from "node:assert/strict";
import { join } from "node:path";
import {
  agentTempDir,
  listInstances,
  workerIdFor,
  WorkerIdInUseError,
  type WorkerIdSpec,
  WorkerSlot,
} from "../../lib/worker/worker_identity.ts";
import { detachedArgv } from "../../lib/worker/daemon_process.ts";
import { queueTable } from "../../lib/worker/daemon.ts";

Deno.test("workerIdFor() builds ids as the reference: explicit, host:gpuX, host:cpu:N, host:N, host:dgpuG", () => {
  const table: [WorkerIdSpec, number, string][] = [
    [{ workerName: "box", workerId: "my-id" }, 3, "my-id"],
    [{ workerName: "box", visibleDevices: "0" }, 1, "box:gpu0"],
    [{ workerName: "box", visibleDevices: "0,1" }, 0, "box:gpu0,1"],
    [{ workerName: "box", visibleDevices: "0:1" }, 0, "box:gpu0.1"],
    [{ workerName: "box", visibleDevices: "all" }, 0, "box:gpuall"],
    [{ workerName: "box", visibleDevices: "none" }, 2, "box:cpu:2"],
    [{ workerName: "box", visibleDevices: "" }, 1, "box:1"],
    [{ workerName: "box" }, 0, "box:0"],
    [{ workerName: "box", visibleDevices: "0,1,2,3", dynamicGpus: "0-3" }, 0, "box:dgpu0-3"],
    [{ workerName: "box", visibleDevices: "0:0,0:1", dynamicGpus: "0:0,0:1" }, 0, "box:dgpu0.0,0.1"],
  ];
  for (const [spec, slot, want] of table) assert.equal(workerIdFor(spec, slot), want, JSON.stringify(spec));
});

Deno.test("agentTempDir() uses the container side of a host mount, else TMPDIR, else /tmp", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  assert.equal(agentTempDir(env({ CLEARML_AGENT_K8S_HOST_MOUNT: "/host/tmp:/pod/tmp", TMPDIR: "/x" })), "/pod/tmp");
  assert.equal(agentTempDir(env({ TMPDIR: "/x" })), "/x");
  assert.equal(agentTempDir(env({})), "/tmp");
});

Deno.test("WorkerSlot.acquire() takes the lowest free slot, refuses a duplicate id, and pid files of dead agents are pruned", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spec = { workerName: "box" };
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    await Deno.writeTextFile(join(dir, `.clearmlagent_${dead.pid}_stale.tmp`), "box:0\n0");
    const a = await WorkerSlot.acquire(dir, spec);
    const b = await WorkerSlot.acquire(dir, spec, { pid: Deno.ppid });
    assert.deepEqual([a.workerId, a.slot, b.workerId, b.slot], ["box:0", 0, "box:1", 1]);
    assert.deepEqual(listInstances(dir).map((i) => [i.workerId, i.slot]), [["box:0", 0], ["box:1", 1]]);
    await assert.rejects(
      () => WorkerSlot.acquire(dir, { workerName: "box", workerId: "box:1" }, { pid: 1 }),
      (err) => err instanceof WorkerIdInUseError && /already used by another clearml-agent/.test(err.message),
    );
    a.release();
    b.release();
    assert.deepEqual(listInstances(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WorkerSlot.acquire() numbers slots per server and keeps the launch next to the pid file until release", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const launch = (server: string) => ({ server, uid: 0, queues: ["default"] });
    const other = await WorkerSlot.acquire(dir, { workerName: "box", launch: launch("http://127.0.0.1:1") });
    const python = await WorkerSlot.acquire(dir, { workerName: "box" }, { pid: Deno.ppid });
    const mine = await WorkerSlot.acquire(dir, { workerName: "box", launch: launch("http://127.0.0.1:2") }, { pid: 1 });
    assert.deepEqual([other.workerId, python.workerId, mine.workerId], ["box:0", "box:1", "box:0"]);
    const listed = listInstances(dir).map((i) => [i.workerId, i.launch?.server ?? null]);
    assert.deepEqual(listed.sort(), [["box:0", "http://127.0.0.1:1"], ["box:0", "http://127.0.0.1:2"], [
      "box:1",
      null,
    ]]);
    for (const slot of [other, python, mine]) slot.release();
    assert.deepEqual([...Deno.readDirSync(dir)], [], "no pid file or side file left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("detachedArgv() drops --detached/-d after daemon (not --debug before it) and adds --foreground", () => {
  assert.deepEqual(detachedArgv(["-d", "daemon", "--queue", "a", "-d"]), [
    "-d",
    "daemon",
    "--foreground",
    "--queue",
    "a",
  ]);
  assert.deepEqual(detachedArgv(["daemon", "--detached", "--queue", "a"]), ["daemon", "--foreground", "--queue", "a"]);
});

Deno.test("queueTable() prints the reference's ASCII table", () => {
  assert.equal(
    queueTable([{ id: "abc", name: "default", tags: ["gpu"] }, { id: "d", name: "q" }]),
    [
      "+-----+---------+----------+",
      "| id  | name    | tags     |",
      "+-----+---------+----------+",
      "| abc | default | ['gpu']  |",
      "| d   | q       |          |",
      "+-----+---------+----------+",
    ].join("\n"),
  );
});
