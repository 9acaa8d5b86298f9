import assert from "node:assert/strict";
import { join } from "node:path";
import {
  agentTempDir,
  listInstances,
  stopTargets,
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

Deno.test("stopTargets() picks this configuration's daemon, or the named ones, and reports the missing", () => {
  const inst = (workerId: string, pid: number) => ({ workerId, pid, slot: 0, pidFile: "" });
  const all = [inst("box:0", 10), inst("box:1", 11), inst("box:gpu0", 12), inst("other:0", 13)];
  assert.deepEqual(stopTargets(all, { workerName: "box" }, []).targets.map((t) => t.pid), [10]);
  assert.deepEqual(stopTargets(all, { workerName: "box", visibleDevices: "0" }, []).targets.map((t) => t.pid), [12]);
  const named = stopTargets(all, { workerName: "box" }, ["box:1", "gone:0"]);
  assert.deepEqual([named.targets.map((t) => t.pid), named.missing], [[11], ["gone:0"]]);
  assert.deepEqual(stopTargets([], { workerName: "box" }, []).missing, ["box:*"]);
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
