import assert from "node:assert/strict";
import { TEST_ACCESS_KEY, TEST_SECRET_KEY, withServer } from "../helpers/server.ts";

/** Wait (bounded: 200 × 10 ms) until `cond()` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

Deno.test("queues.get_next_task with wait_ms takes no task once its client has gone away", async () => {
  await withServer(async (srv) => {
    const { client } = srv;
    const { id: q } = await client.ok("queues.create", { name: "abandoned poll" });
    const { id: t } = await client.ok("tasks.create", { name: "waits in the queue", type: "training" });

    // A raw connection that starts a long poll, then disappears (an agent killed with -9, a dropped network).
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    const body = JSON.stringify({ queue: q, wait_ms: 20_000 });
    const auth = btoa(`${TEST_ACCESS_KEY}:${TEST_SECRET_KEY}`);
    await conn.write(new TextEncoder().encode(
      `GET /v2.14/queues.get_next_task HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Basic ${auth}\r\n` +
        `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    ));
    await until(() => srv.waitingPolls === 1);
    assert.equal(srv.waitingPolls, 1);
    conn.close();
    await until(() => srv.waitingPolls === 0);
    assert.equal(srv.waitingPolls, 0, "the abandoned long poll is still waiting");

    await client.ok("tasks.enqueue", { task: t, queue: q });
    const next = await client.ok("queues.get_next_task", { queue: q });
    assert.equal(next.entry?.task, t, "the task enqueued after the client left must still be in the queue");
  });
});

Deno.test("queues.get_next_task with wait_ms still answers a client that keeps its connection", async () => {
  await withServer(async (srv) => {
    const { client } = srv;
    const { id: q } = await client.ok("queues.create", { name: "kept poll" });
    const { id: t } = await client.ok("tasks.create", { name: "arrives later", type: "training" });
    const poll = client.ok("queues.get_next_task", { queue: q, wait_ms: 10_000 });
    await until(() => srv.waitingPolls === 1);
    await client.ok("tasks.enqueue", { task: t, queue: q });
    assert.equal((await poll).entry.task, t);
  });
});
