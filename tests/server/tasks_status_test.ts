import assert from "node:assert/strict";
import { TASK_STATUSES, type TaskStatus } from "../../lib/server/storage/model.ts";
import { TRANSITIONS, validateTransition } from "../../lib/server/services/tasks_status.ts";
import { ServerError } from "../../lib/server/errors.ts";
import { type ApiClient, withServer } from "../helpers/server.ts";

/** server-api.md §4.2.2, transcribed independently of the implementation. */
const TABLE: Record<string, string[]> = {
  created: ["queued", "in_progress"],
  queued: ["created", "in_progress", "stopped"],
  in_progress: ["stopped", "failed", "created", "completed"],
  stopped: ["closed", "created", "failed", "queued", "in_progress", "published", "publishing", "completed"],
  closed: ["created", "failed", "published", "publishing", "stopped"],
  failed: ["created", "stopped", "published", "queued"],
  publishing: ["published"],
  published: [],
  completed: ["published", "in_progress", "created"],
};

Deno.test("validateTransition() enforces the §4.2.2 table; same status and force always pass", () => {
  for (const from of Object.keys(TABLE) as TaskStatus[]) {
    assert.deepEqual([...TRANSITIONS[from]].sort(), [...TABLE[from]].sort(), from);
    for (const to of TASK_STATUSES) {
      const allowed = from === to || TABLE[from].includes(to);
      if (allowed) validateTransition(from, to, false);
      else {
        assert.throws(
          () => validateTransition(from, to, false),
          (err: unknown) =>
            err instanceof ServerError && err.code === 400 && err.subcode === 110 &&
            err.message === `Invalid task status (Invalid status change): current_status=${from}, new_status=${to}`,
        );
      }
      validateTransition(from, to, true);
    }
  }
});

/** The endpoint that moves a task to each target status (queued via a fresh queue to avoid 706). */
const ENDPOINTS: [string, TaskStatus][] = [
  ["tasks.started", "in_progress"],
  ["tasks.stopped", "stopped"],
  ["tasks.failed", "failed"],
  ["tasks.completed", "completed"],
  ["tasks.close", "closed"],
  ["tasks.publish", "published"],
  ["tasks.enqueue", "queued"],
  ["tasks.reset", "created"],
];

async function taskIn(client: ApiClient, status: string): Promise<string> {
  const { id } = await client.ok("tasks.create", { name: `task in ${status}`, type: "training" });
  await client.ok("tasks.edit", { task: id, force: true, status });
  return id;
}

Deno.test("status endpoints enforce the state machine over HTTP with the documented 400/110", async () => {
  await withServer(async ({ client }) => {
    const { id: queue } = await client.ok("queues.create", { name: "state machine" });
    for (const from of Object.keys(TABLE)) {
      for (const [endpoint, to] of ENDPOINTS) {
        const task = await taskIn(client, from);
        const body: Record<string, unknown> = { task };
        if (endpoint === "tasks.enqueue") body.queue = queue;
        const r = await client.call(endpoint, body);
        const allowed = from === to || TABLE[from].includes(to);
        const label = `${from} --${endpoint}--> ${to}`;
        if (allowed) {
          assert.equal(r.status, 200, `${label}: ${r.meta.result_msg}`);
          const doc = await client.ok("tasks.get_by_id", { task });
          assert.equal(doc.task.status, to, label);
        } else {
          assert.equal(r.status, 400, label);
          assert.equal(r.meta.result_subcode, 110, label);
          assert.match(r.meta.result_msg, new RegExp(`current_status=${from}`), label);
          const doc = await client.ok("tasks.get_by_id", { task });
          assert.equal(doc.task.status, from, `${label}: nothing written`);
          const forced = await client.call(endpoint, { ...body, force: true });
          assert.equal(forced.status, 200, `${label} with force: ${forced.meta.result_msg}`);
        }
        if (endpoint === "tasks.enqueue") await client.ok("tasks.dequeue", { task });
      }
    }
  });
});

Deno.test("status calls stamp the bookkeeping fields and clear the previous message", async () => {
  await withServer(async ({ client, clock }) => {
    const task = await taskIn(client, "created");
    const started = await client.ok("tasks.started", { task, status_reason: "r", status_message: "m" });
    assert.equal(started.started, 1);
    assert.equal(started.fields.status_reason, "r");
    assert.equal(started.fields.status_message, "m");
    assert.equal(typeof started.fields.started, "string");
    const me = (await client.ok("users.get_current_user", {})).user.id;
    assert.equal(started.fields.last_changed_by, me);
    clock.advance(5000);
    const again = await client.ok("tasks.started", { task, force: true });
    assert.equal(again.fields.started, undefined, "started is never moved later");
    assert.equal(again.fields.status_message, "");
    const pinged = await client.ok("tasks.ping", { task });
    assert.deepEqual(pinged, {});
    const doc = (await client.ok("tasks.get_by_id", { task })).task;
    assert.equal(doc.active_duration, 5);
    const done = await client.ok("tasks.completed", { task, publish: true });
    assert.equal(done.published, 1);
    assert.equal((await client.ok("tasks.get_by_id", { task })).task.status, "published");
    assert.deepEqual(await client.ok("tasks.ping", { task: "f".repeat(32) }), {});
  });
});

Deno.test("tasks.stop stops directly without a live worker and asks a running worker to stop", async () => {
  await withServer(async ({ client, clock }) => {
    const created = await taskIn(client, "created");
    const r = await client.call("tasks.stop", { task: created });
    assert.equal(r.status, 400);
    assert.equal(r.meta.result_subcode, 110);
    assert.equal((await client.ok("tasks.stop", { task: created, force: true })).fields.status, "stopped");

    const local = await taskIn(client, "in_progress");
    const stopLocal = await client.ok("tasks.stop", { task: local });
    assert.equal(stopLocal.fields.status, "stopped");
    assert.equal(stopLocal.fields.status_message, "Stopped by admin");

    const { id: queue } = await client.ok("queues.get_default", {});
    const queued = await taskIn(client, "created");
    await client.ok("tasks.enqueue", { task: queued, queue });
    assert.equal((await client.ok("tasks.stop", { task: queued })).fields.status, "stopped");
    assert.equal((await client.ok("queues.get_num_entries", { queue })).num, 0);

    const remote = await taskIn(client, "in_progress");
    await client.ok("workers.register", { worker: "w1", timeout: 60 });
    await client.ok("workers.status_report", { worker: "w1", timestamp: 1, task: remote });
    const asked = await client.ok("tasks.stop", { task: remote });
    assert.equal(asked.fields.status, "in_progress");
    assert.equal(asked.fields.status_message, "stopping");

    const dev = await taskIn(client, "in_progress");
    await client.ok("tasks.edit", { task: dev, force: true, system_tags: ["development"] });
    await client.ok("workers.status_report", { worker: "w1", timestamp: 2, task: dev });
    assert.equal((await client.ok("tasks.stop", { task: dev })).fields.status, "stopped");

    const orphan = await taskIn(client, "in_progress");
    await client.ok("workers.status_report", { worker: "w1", timestamp: 3, task: orphan });
    clock.advance(11 * 60 * 1000); // worker expired (60 s) and task silent for > 600 s
    assert.equal((await client.ok("tasks.stop", { task: orphan })).fields.status, "stopped");
  });
});
