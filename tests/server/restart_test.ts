import assert from "node:assert/strict";
import { join } from "node:path";
import { ApiClient, spawnServerProcess } from "../helpers/server.ts";

Deno.test("kill -9 mid-load, restart on the same data dir: every acknowledged write is there", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "clearml-restart-test-" });
  try {
    const first = await spawnServerProcess(dataDir);
    const client = new ApiClient(first.url);
    const { id: queue } = await client.ok("queues.create", { name: "survivors" });
    const { id: logTask } = await client.ok("tasks.create", { name: "log sink", type: "training" });
    const acked = { tasks: [] as string[], queued: [] as string[], lines: 0 };
    let stop = false;
    let killed = false;
    const writer = async (n: number) => {
      for (let i = 0; i < 10_000 && !stop; i++) {
        try {
          if (n === 0) {
            const lines = Array.from(
              { length: 20 },
              (_, j) => ({ type: "log", task: logTask, msg: `l${i}-${j}`, timestamp: i * 100 + j }),
            );
            const r = await client.batch("events.add_batch", lines);
            if (r.status === 200) acked.lines += r.data.added;
          } else {
            const { id } = await client.ok("tasks.create", { name: `task ${n}-${i}`, type: "training" });
            acked.tasks.push(id);
            await client.ok("tasks.enqueue", { task: id, queue });
            acked.queued.push(id);
          }
        } catch {
          assert.ok(killed, "writes only fail after the kill");
          return;
        }
      }
    };
    const writers = Promise.all([0, 1, 2, 3].map(writer));
    for (let i = 0; i < 300 && acked.queued.length < 60; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(acked.queued.length >= 60, `load did not get going: ${acked.queued.length}`);
    killed = true;
    assert.equal(await first.stop("SIGKILL"), 137);
    stop = true;
    await writers;

    const second = await spawnServerProcess(dataDir);
    try {
      assert.ok(!second.output().includes("New admin credentials"), "not a first start");
      const again = new ApiClient(second.url);
      const tasks = await again.ok("tasks.get_all", { id: acked.tasks, only_fields: ["id", "status"], page_size: 500 });
      assert.equal(tasks.tasks.length, acked.tasks.length, "every acknowledged task survived");
      const q = await again.ok("queues.get_all", { name: "^survivors$" });
      assert.equal(q.queues.length, 1);
      const entries = new Set(q.queues[0].entries.map((e: { task: string }) => e.task));
      assert.ok(acked.queued.every((id) => entries.has(id)), "every acknowledged enqueue survived");
      const log = await again.ok("events.get_task_log", { task: logTask, batch_size: 1 });
      assert.ok(
        log.total >= acked.lines && acked.lines > 0,
        `log lines: ${log.total} stored, ${acked.lines} acknowledged`,
      );
      assert.equal((await again.ok("queues.get_default", {})).name, "default");
    } finally {
      assert.equal(await second.stop("SIGTERM"), 0);
    }
    assert.ok(second.output().includes("Shutting down"));
    await assert.rejects(Deno.stat(join(dataDir, "server.pid")), Deno.errors.NotFound);
    const wal = await Deno.stat(join(dataDir, "clearml.db-wal")).then((s) => s.size, () => 0);
    assert.equal(wal, 0, "the WAL was checkpointed on graceful shutdown");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
