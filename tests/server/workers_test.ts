import assert from "node:assert/strict";
import { withServer } from "../helpers/server.ts";

Deno.test("workers: register, get_all with joins, last_seen, unregister", async () => {
  await withServer(async ({ client, clock }) => {
    const { id: q } = await client.ok("queues.get_default", {});
    const bad = await client.call("workers.register", { worker: "w", queues: ["0".repeat(32)] });
    assert.equal(bad.meta.result_subcode, 701);
    const neg = await client.call("workers.register", { worker: "w", timeout: -5 });
    assert.equal(neg.meta.result_subcode, 1002);
    assert.deepEqual(await client.ok("workers.register", { worker: "host:gpu0", queues: [q], tags: ["t"] }), {});
    const { id: t } = await client.ok("tasks.create", { name: "next one", type: "training" });
    await client.ok("tasks.enqueue", { task: t, queue: q });
    const all = await client.ok("workers.get_all", {});
    assert.equal(all.workers.length, 1);
    const w = all.workers[0];
    assert.equal(w.id, "host:gpu0");
    assert.match(w.key, /^worker_d1bd92a3b039400cbafc60a7a5b1e52b_[0-9a-f]{32}_host:gpu0$/);
    assert.equal(w.register_timeout, 600);
    assert.equal(w.ip, "127.0.0.1");
    assert.deepEqual(w.queues, [{ id: q, name: "default", num_tasks: 1, next_task: { id: t, name: "next one" } }]);
    assert.equal(w.queue, undefined);
    assert.deepEqual(w.tags, ["t"]);
    assert.equal((await client.ok("workers.get_all", { tags: ["-t"] })).workers.length, 0);
    assert.equal((await client.ok("workers.get_all", { worker_pattern: "host:*" })).workers.length, 1);
    assert.equal((await client.ok("workers.get_all", { worker_pattern: "other*" })).workers.length, 0);
    clock.advance(400_000);
    assert.equal((await client.ok("workers.get_all", { last_seen: 300 })).workers.length, 0);
    assert.equal((await client.ok("workers.get_all", { last_seen: 0 })).workers.length, 1);
    assert.deepEqual(await client.ok("workers.get_count", {}), { count: 1 });
    assert.deepEqual(await client.ok("workers.unregister", { worker: "host:gpu0" }), {});
    assert.deepEqual(await client.ok("workers.unregister", { worker: "never registered" }), {});
    assert.equal((await client.ok("workers.get_all", { last_seen: 0 })).workers.length, 0);
  });
});

Deno.test("workers expire timeout seconds after their last report; reports auto-register", async () => {
  await withServer(async ({ client, clock }) => {
    await client.ok("workers.register", { worker: "short", timeout: 3 });
    clock.advance(2000);
    await client.ok("workers.status_report", {
      worker: "short",
      timestamp: clock.now,
      machine_stats: null,
      tags: null,
    });
    clock.advance(2500);
    assert.equal(
      (await client.ok("workers.get_all", { last_seen: 0 })).workers.length,
      1,
      "the report renewed the TTL",
    );
    clock.advance(1000);
    assert.equal((await client.ok("workers.get_all", { last_seen: 0 })).workers.length, 0);
    const missingTs = await client.call("workers.status_report", { worker: "auto" });
    assert.equal(missingTs.meta.result_subcode, 12);
    await client.ok("workers.status_report", { worker: "auto", timestamp: 1, queue: "q", queues: ["q"] });
    const auto = (await client.ok("workers.get_all", {})).workers[0];
    assert.equal(auto.id, "auto");
    assert.equal(auto.register_timeout, 600);
  });
});

Deno.test("status_report with a task stamps last_worker; an unknown task is 400/101 but the report is kept", async () => {
  await withServer(async ({ client }) => {
    const { id: t } = await client.ok("tasks.create", { name: "reported", type: "training" });
    await client.ok("tasks.started", { task: t });
    await client.ok("workers.status_report", { worker: "w1", timestamp: 5, task: t });
    const doc = (await client.ok("tasks.get_by_id", { task: t })).task;
    assert.equal(doc.last_worker, "w1");
    assert.equal(typeof doc.last_worker_report, "string");
    const w = (await client.ok("workers.get_all", {})).workers[0];
    assert.equal(w.task.id, t);
    assert.equal(w.task.name, "reported");
    assert.equal(w.task.running_time, 0);
    const bad = await client.call("workers.status_report", { worker: "w2", timestamp: 5, task: "0".repeat(32) });
    assert.equal(bad.status, 400);
    assert.equal(bad.meta.result_subcode, 101);
    const ids = (await client.ok("workers.get_all", {})).workers.map((x: { id: string }) => x.id).sort();
    assert.deepEqual(ids, ["w1", "w2"]);
  });
});

Deno.test("watchdog marks tasks of vanished workers and force-stops silent tasks", async () => {
  await withServer(async (srv) => {
    const { client, clock } = srv;
    const { id: t } = await client.ok("tasks.create", { name: "orphaned", type: "training" });
    await client.ok("tasks.started", { task: t });
    await client.ok("workers.register", { worker: "gone", timeout: 60 });
    await client.ok("workers.status_report", { worker: "gone", timestamp: 1, task: t });
    clock.advance(30_000);
    assert.deepEqual(srv.runWatchdog(), { expiredWorkers: [], markedTasks: [], stoppedTasks: [] });
    clock.advance(31_000);
    const report = srv.runWatchdog();
    assert.deepEqual(report.expiredWorkers, ["gone"]);
    assert.deepEqual(report.markedTasks, [t]);
    const doc = (await client.ok("tasks.get_by_id", { task: t })).task;
    assert.equal(doc.status, "in_progress");
    assert.equal(doc.status_message, "worker gone stopped reporting");
    clock.advance(7200 * 1000);
    assert.deepEqual(srv.runWatchdog().stoppedTasks, [t]);
    const stopped = (await client.ok("tasks.get_by_id", { task: t })).task;
    assert.equal(stopped.status, "stopped");
    assert.equal(stopped.status_message, "Forced stop (non-responsive)");

    const { id: t2 } = await client.ok("tasks.create", { name: "left behind", type: "training" });
    await client.ok("tasks.started", { task: t2 });
    await client.ok("workers.status_report", { worker: "bye", timestamp: 1, task: t2 });
    await client.ok("workers.unregister", { worker: "bye" });
    assert.equal((await client.ok("tasks.get_by_id", { task: t2 })).task.status_message, "worker bye unregistered");
  });
});

Deno.test("workers runtime properties: set, read with expiry, remove", async () => {
  await withServer(async ({ client, clock }) => {
    assert.deepEqual(await client.ok("workers.get_runtime_properties", { worker: "w" }), { runtime_properties: [] });
    const set = await client.ok("workers.set_runtime_properties", {
      worker: "w",
      runtime_properties: [{ key: "force", value: "off", expiry: 3600 }, { key: "available_gpus", value: "0_5,1_0" }],
    });
    assert.deepEqual(set, { added: ["force", "available_gpus"], removed: [] });
    const got = await client.ok("workers.get_runtime_properties", { worker: "w" });
    assert.deepEqual(got.runtime_properties, [
      { key: "available_gpus", value: "0_5,1_0", expiry: null },
      { key: "force", value: "off", expiry: 3600 },
    ]);
    clock.advance(1800_000);
    assert.equal(
      (await client.ok("workers.get_runtime_properties", { worker: "w" })).runtime_properties[1].expiry,
      1800,
    );
    clock.advance(1800_000);
    assert.deepEqual(
      (await client.ok("workers.get_runtime_properties", { worker: "w" })).runtime_properties.map((
        p: { key: string },
      ) => p.key),
      ["available_gpus"],
    );
    await client.ok("workers.set_runtime_properties", {
      worker: "w",
      runtime_properties: [{ key: "available_gpus", value: "" }],
    });
    assert.deepEqual(await client.ok("workers.get_runtime_properties", { worker: "w" }), { runtime_properties: [] });
    await client.ok("workers.set_runtime_properties", {
      worker: "w",
      runtime_properties: [{ key: "force", value: "on" }],
    });
    const removed = await client.ok("workers.set_runtime_properties", {
      worker: "w",
      runtime_properties: [{ key: "force", value: "on", expiry: 0 }],
    });
    assert.deepEqual(removed, { added: [], removed: ["force"] });
    assert.deepEqual(await client.ok("workers.get_runtime_properties", { worker: "w" }), { runtime_properties: [] });
    const bad = await client.call("workers.set_runtime_properties", {
      worker: "w",
      runtime_properties: [{ value: "x" }],
    });
    assert.equal(bad.meta.result_subcode, 12);
    assert.equal(
      (await client.call("workers.get_runtime_properties", { worker: "w" }, { version: "2.9" })).status,
      404,
    );
  });
});
