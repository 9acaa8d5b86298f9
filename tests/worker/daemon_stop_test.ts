import assert from "node:assert/strict";
import { describeInstances, stopTargets } from "../../lib/worker/daemon_stop.ts";
import type { AgentInstance, DaemonLaunch } from "../../lib/worker/worker_identity.ts";

const SERVER = "http://127.0.0.1:8008";
const inst = (workerId: string, pid: number, launch?: Partial<DaemonLaunch>): AgentInstance => ({
  workerId,
  pid,
  slot: 0,
  pidFile: "",
  ...(launch ? { launch: { server: SERVER, uid: 1000, queues: [], ...launch } } : {}),
});
const want = (launch: Partial<DaemonLaunch> = {}) => ({ server: SERVER, uid: 1000, queues: [], ...launch });

Deno.test("stopTargets() stops the daemon started with the same arguments, or the only one of this configuration", () => {
  const all = [
    inst("box:0", 10, { queues: ["default"] }),
    inst("box:1", 11, { queues: ["gpu", "cpu"], docker: "" }),
    inst("box:2", 12, { queues: ["default"], server: "http://127.0.0.1:9999" }),
    inst("box:3", 13, { queues: ["default"], uid: 0 }),
    inst("other:0", 14, { queues: ["default"] }),
  ];
  const pids = (launch: Partial<DaemonLaunch>) =>
    stopTargets(all, { workerName: "box", launch: want(launch) }, []).targets.map((t) => t.pid);
  assert.deepEqual(pids({ queues: ["default"] }), [10]);
  assert.deepEqual(pids({ queues: ["cpu", "gpu"] }), [11], "queue order does not matter");
  assert.deepEqual(pids({ docker: "" }), [11]);
  const only = [inst("box:0", 10, { queues: ["default"] }), inst("box:1", 11, { server: "http://elsewhere" })];
  assert.deepEqual(stopTargets(only, { workerName: "box", launch: want() }, []).targets.map((t) => t.pid), [10]);
  const gpu = [inst("box:0", 10), inst("box:gpu0", 12)];
  assert.deepEqual(stopTargets(gpu, { workerName: "box", visibleDevices: "0" }, []).targets.map((t) => t.pid), [12]);
});

Deno.test("stopTargets() stops none when several daemons could be meant or none was started so; named ids as given", () => {
  const all = [inst("box:0", 10, { queues: ["a"] }), inst("box:1", 11, { queues: ["b"] }), inst("box:2", 12)];
  const bare = stopTargets(all, { workerName: "box", launch: want() }, []);
  assert.deepEqual([bare.targets, bare.refused, bare.candidates.map((c) => c.pid)], [[], "ambiguous", [10, 11, 12]]);
  const none = stopTargets(all, { workerName: "box", launch: want({ queues: ["c"] }) }, []);
  assert.deepEqual([none.targets, none.refused], [[], "no-match"]);
  assert.deepEqual(describeInstances(none.candidates), [
    `  worker_id=box:0 pid=10: --queue a (server ${SERVER})`,
    `  worker_id=box:1 pid=11: --queue b (server ${SERVER})`,
    "  worker_id=box:2 pid=12: (arguments unknown)",
  ]);
  const named = stopTargets(all, { workerName: "box" }, ["box:1", "gone:0"]);
  assert.deepEqual([named.targets.map((t) => t.pid), named.missing], [[11], ["gone:0"]]);
  assert.deepEqual(stopTargets([], { workerName: "box" }, []).missing, ["box:*"]);
});
