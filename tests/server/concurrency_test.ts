import assert from "node:assert/strict";
import { withServer } from "../helpers/server.ts";

const TASKS = 500;
const POLLERS = 8;

Deno.test("queues.get_next_task: 8 concurrent pollers x 500 queued tasks, each task dequeued exactly once", async () => {
  await withServer(async ({ client }) => {
    const { id: queue } = await client.ok("queues.create", { name: "contended" });
    const ids: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < TASKS) {
        next++;
        const { id } = await client.ok("tasks.create", { name: `task ${next}`, type: "training" });
        await client.ok("tasks.enqueue", { task: id, queue });
        ids.push(id);
      }
    }));
    assert.equal((await client.ok("queues.get_num_entries", { queue })).num, TASKS);
    const got = new Map<string, number>();
    const perPoller = await Promise.all(Array.from({ length: POLLERS }, async () => {
      let mine = 0;
      for (let i = 0; i < TASKS + 1; i++) { // bounded: never more polls than tasks + the final empty one
        const data = await client.ok("queues.get_next_task", { queue }, { version: "2.14", method: "GET" });
        if (!data.entry) break;
        got.set(data.entry.task, (got.get(data.entry.task) ?? 0) + 1);
        mine++;
      }
      return mine;
    }));
    assert.equal(perPoller.reduce((a, b) => a + b, 0), TASKS);
    assert.ok(perPoller.filter((n) => n > 0).length > 1, `work was spread over pollers: ${perPoller}`);
    assert.equal(got.size, TASKS);
    assert.ok([...got.values()].every((n) => n === 1));
    assert.deepEqual([...got.keys()].sort(), [...ids].sort());
    assert.equal((await client.ok("queues.get_num_entries", { queue })).num, 0);
  });
});
