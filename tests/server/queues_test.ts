import assert from "node:assert/strict";
import { type ApiClient, withServer } from "../helpers/server.ts";

async function newTask(client: ApiClient, name = "queued task"): Promise<string> {
  return (await client.ok("tasks.create", { name, type: "training", system_tags: ["development"] })).id;
}

Deno.test("a fresh server has one default queue; create, update and get_all behave like upstream", async () => {
  await withServer(async ({ client }) => {
    const def = await client.ok("queues.get_default", {});
    assert.equal(def.name, "default");
    const all = await client.ok("queues.get_all", {});
    assert.equal(all.queues.length, 1);
    assert.deepEqual(all.queues[0].system_tags, ["default"]);
    const { id } = await client.ok("queues.create", { name: "gpu queue", tags: ["b", "a"] });
    const dup = await client.call("queues.create", { name: "gpu queue" });
    assert.equal(dup.meta.result_subcode, 801);
    const short = await client.call("queues.create", { name: "ab" });
    assert.equal(short.meta.result_subcode, 800);
    const byName = await client.ok("queues.get_all", {
      name: "gpu\\ queue",
      only_fields: ["name", "id"],
      search_hidden: true,
    });
    assert.deepEqual(byName.queues, [{ id, name: "gpu queue" }]);
    const byId = await client.ok("queues.get_by_id", { queue: id });
    assert.deepEqual(byId.queue.tags, ["a", "b"]);
    assert.deepEqual(byId.queue.metadata, {});
    const asName = await client.call("queues.get_by_id", { queue: "gpu queue" });
    assert.equal(asName.status, 400);
    assert.equal(asName.meta.result_subcode, 701);
    const upd = await client.ok("queues.update", { queue: id, tags: ["force_workers:off"] });
    assert.deepEqual(upd, { updated: 1, fields: { tags: ["force_workers:off"] } });
    const tagged = await client.ok("queues.get_all", { id: [id], only_fields: ["id", "tags"] }, { version: "2.5" });
    assert.deepEqual(tagged.queues, [{ id, tags: ["force_workers:off"] }]);
    await client.ok("queues.create", { name: "glue queue", tags: ["k8s-glue"] });
    assert.equal((await client.ok("queues.get_all", {})).queues.length, 2);
    assert.equal((await client.ok("queues.get_all", { search_hidden: true })).queues.length, 3);
    assert.equal((await client.ok("queues.get_all", { name: "glue" })).queues.length, 1);
    await client.ok("queues.add_or_update_metadata", { queue: id, metadata: [{ key: "k", type: "str", value: "v" }] });
    assert.deepEqual((await client.ok("queues.get_by_id", { queue: id })).queue.metadata, {
      k: { key: "k", type: "str", value: "v" },
    });
    assert.deepEqual((await client.ok("queues.get_by_id", { queue: id }, { version: "2.16" })).queue.metadata, []);
  });
});

Deno.test("queues: FIFO get_next_task, empty answers {}, entries, duplicates and unknown ids", async () => {
  await withServer(async ({ client }) => {
    const { id: q } = await client.ok("queues.create", { name: "fifo" });
    const tasks = [await newTask(client, "t one"), await newTask(client, "t two"), await newTask(client, "t three")];
    for (const t of tasks) await client.ok("tasks.enqueue", { task: t, queue: q });
    const again = await client.call("tasks.enqueue", { task: tasks[0], queue: q });
    assert.equal(again.meta.result_subcode, 706);
    assert.equal((await client.ok("tasks.get_by_id", { task: tasks[0] })).task.status, "queued");
    const got = await client.ok("queues.get_by_id", { queue: q, max_task_entries: 2 });
    assert.deepEqual(got.queue.entries.map((e: { task: string }) => e.task), tasks.slice(0, 2));
    assert.deepEqual(await client.ok("queues.peek_task", { queue: q }), { task: tasks[0] });
    assert.deepEqual(await client.ok("queues.get_num_entries", { queue: q }), { num: 3 });
    const notHead = await client.ok("queues.get_next_task", { queue: q, task: tasks[1] });
    assert.deepEqual(notHead, {});
    const withInfo = await client.ok("queues.get_next_task", { queue: q, get_task_info: true });
    assert.equal(withInfo.entry.task, tasks[0]);
    assert.equal(withInfo.task_info.company, "d1bd92a3b039400cbafc60a7a5b1e52b");
    assert.equal((await client.ok("queues.get_next_task", { queue: q })).entry.task, tasks[1]);
    assert.equal(
      (await client.ok("tasks.get_by_id", { task: tasks[1] })).task.status,
      "queued",
      "a pop keeps the status",
    );
    assert.equal((await client.ok("queues.get_next_task", { queue: q })).entry.task, tasks[2]);
    assert.deepEqual(await client.ok("queues.get_next_task", { queue: q }), {});
    const unknown = await client.call("queues.get_next_task", { queue: "0".repeat(32) }, { version: "2.14" });
    assert.equal(unknown.meta.result_subcode, 701);
    assert.deepEqual(await client.ok("queues.peek_task", { queue: q }), { task: null });
  });
});

Deno.test("queues: enqueue moves between queues, removes the development tag, dequeue restores the status", async () => {
  await withServer(async ({ client }) => {
    const { id: q1 } = await client.ok("queues.create", { name: "first" });
    const { id: q2 } = await client.ok("queues.create", { name: "second" });
    const t = await newTask(client);
    const e1 = await client.ok("tasks.enqueue", { task: t, queue: q1, verify_watched_queue: true });
    assert.equal(e1.queue_watched, false);
    assert.deepEqual(e1.fields.system_tags, []);
    await client.ok("tasks.enqueue", { task: t, queue: q2 });
    assert.equal((await client.ok("queues.get_num_entries", { queue: q1 })).num, 0);
    assert.equal((await client.ok("queues.get_num_entries", { queue: q2 })).num, 1);
    const doc =
      (await client.ok("tasks.get_all", { id: [t], only_fields: ["enqueue_status", "execution.queue"] })).tasks[0];
    assert.deepEqual(doc, { id: t, enqueue_status: "created", execution: { queue: q2 } });
    const both = await client.call("tasks.enqueue", { task: t, queue: q1, queue_name: "first" });
    assert.equal(both.meta.result_subcode, 12);
    const named = await client.ok("tasks.enqueue", { task: t, queue_name: "made on the fly" });
    assert.equal(named.queued, 1);
    const made = await client.ok("queues.get_all", { name: "^made on the fly$" });
    assert.equal(made.queues[0].entries[0].task, t);
    const deq = await client.ok("tasks.dequeue", { task: t });
    assert.equal(deq.fields.status, "created");
    assert.equal((await client.ok("queues.get_num_entries", { queue: made.queues[0].id })).num, 0);
    assert.deepEqual(await client.ok("tasks.dequeue", { task: t }), { dequeued: 1, updated: 0 });
    assert.deepEqual(await client.ok("tasks.dequeue", { task: "9".repeat(32) }), { dequeued: 1, updated: 0 });
    await client.ok("tasks.enqueue", { task: t, queue: q1 });
    const pub = await client.ok("tasks.dequeue", { task: t, new_status: "published" });
    assert.equal(pub.fields.status, "published");
    const bad = await client.call("tasks.dequeue", { task: t, new_status: "nope" });
    assert.equal(bad.meta.result_subcode, 12);
    const stopped = await newTask(client, "stopped one");
    await client.ok("tasks.edit", { task: stopped, force: true, status: "stopped" });
    assert.equal((await client.ok("tasks.enqueue", { task: stopped })).fields.status, "queued");
  });
});

Deno.test("queues: add/remove/clear/delete entries and move_* positions", async () => {
  await withServer(async ({ client }) => {
    const { id: q } = await client.ok("queues.create", { name: "moves" });
    const ts: string[] = [];
    for (let i = 0; i < 4; i++) ts.push(await newTask(client, `move ${i}`));
    for (const t of ts) assert.deepEqual(await client.ok("queues.add_task", { queue: q, task: t }), { added: 1 });
    assert.equal((await client.call("queues.add_task", { queue: q, task: ts[0] })).meta.result_subcode, 706);
    assert.equal(
      (await client.ok("tasks.get_by_id", { task: ts[0] })).task.status,
      "created",
      "add_task keeps the status",
    );
    const order = async () =>
      (await client.ok("queues.get_by_id", { queue: q })).queue.entries.map((e: { task: string }) =>
        ts.indexOf(e.task)
      );
    assert.deepEqual(await client.ok("queues.move_task_forward", { queue: q, task: ts[3], count: 2 }), { position: 1 });
    assert.deepEqual(await order(), [0, 3, 1, 2]);
    assert.deepEqual(await client.ok("queues.move_task_backward", { queue: q, task: ts[0], count: 10 }), {
      position: 3,
    });
    assert.deepEqual(await order(), [3, 1, 2, 0]);
    assert.deepEqual(await client.ok("queues.move_task_to_front", { queue: q, task: ts[2] }), { position: 0 });
    assert.deepEqual(await client.ok("queues.move_task_to_back", { queue: q, task: ts[3] }), { position: 3 });
    assert.deepEqual(await order(), [2, 1, 0, 3]);
    const missing = await client.call("queues.move_task_forward", { queue: q, task: "0".repeat(32) });
    assert.equal(missing.meta.result_subcode, 703);
    assert.deepEqual(await client.ok("queues.remove_task", { queue: q, task: ts[1] }), { removed: 1 });
    assert.equal((await client.call("queues.remove_task", { queue: q, task: ts[1] })).meta.result_subcode, 703);
    const busy = await client.call("queues.delete", { queue: q });
    assert.equal(busy.meta.result_subcode, 702);
    const queued = await newTask(client, "queued then cleared");
    await client.ok("tasks.enqueue", { task: queued, queue: q });
    const cleared = await client.ok("queues.clear_queue", { queue: q });
    assert.deepEqual(cleared.removed_tasks, [queued]);
    assert.equal((await client.ok("tasks.get_by_id", { task: queued })).task.status, "created");
    await client.ok("tasks.enqueue", { task: queued, queue: q });
    assert.deepEqual(await client.ok("queues.delete", { queue: q, force: true }), { deleted: 1 });
    const reverted = (await client.ok("tasks.get_by_id", { task: queued })).task;
    assert.equal(reverted.status, "created");
    assert.equal(reverted.status_reason, `Queue ${q} was deleted`);
    assert.equal(reverted.execution.queue, undefined);
    assert.equal((await client.call("queues.get_by_id", { queue: q })).meta.result_subcode, 701);
  });
});

/** Wait (bounded: 100 × 10 ms) until the server holds a long poll. */
async function waitForPoll(srv: { readonly waitingPolls: number }): Promise<void> {
  for (let i = 0; i < 100 && srv.waitingPolls === 0; i++) await new Promise((r) => setTimeout(r, 10));
}

Deno.test("queues.get_next_task with wait_ms returns as soon as a task is enqueued", async () => {
  await withServer(async (srv) => {
    const { client } = srv;
    const { id: q } = await client.ok("queues.create", { name: "long poll" });
    const t = await newTask(client);
    const started = performance.now();
    const poll = client.ok("queues.get_next_task", { queue: q, wait_ms: 10_000 });
    await waitForPoll(srv);
    assert.equal(srv.waitingPolls, 1);
    await client.ok("tasks.enqueue", { task: t, queue: q });
    assert.equal((await poll).entry.task, t);
    assert.ok(performance.now() - started < 5000);
    const empty = await client.ok("queues.get_next_task", { queue: q, wait_ms: 50 });
    assert.deepEqual(empty, {});
    const closing = client.ok("queues.get_next_task", { queue: q, wait_ms: 10_000 });
    await waitForPoll(srv);
    await srv.close(); // graceful shutdown releases the long poll with an empty answer
    assert.deepEqual(await closing, {});
  });
});
