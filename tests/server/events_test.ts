import assert from "node:assert/strict";
import { type ApiClient, withServer } from "../helpers/server.ts";

async function newTask(client: ApiClient): Promise<string> {
  const { id } = await client.ok("tasks.create", { name: "events task", type: "training" });
  await client.ok("tasks.started", { task: id });
  return id;
}

Deno.test("events.add_batch stores every type, counts bad events, refuses empty or all-bad batches", async () => {
  await withServer(async ({ client }) => {
    const task = await newTask(client);
    const r = await client.batch("events.add_batch", [
      { type: "log", task, timestamp: 1000, level: "INFO", msg: "hello" },
      { type: "training stats scalar", task, iter: 3, metric: "loss", variant: "train", value: 0.5 },
      { type: "training_stats_vector", task, iter: 3, metric: "v", variant: "x", values: [1, 2] },
      { type: "training_debug_image", task, iter: 3, metric: "img", variant: "a", key: "k", url: "http://f/x.png" },
      { type: "plot", task, iter: 3, metric: "p", variant: "p", plot_str: "{}" },
      { type: "nonsense", task },
      { msg: "no type" },
      { type: "log", msg: "no task" },
      { type: "log", task: "0".repeat(32), msg: "unknown task" },
      { type: "log", task, iter: 1.5, msg: "bad iter" },
    ], { headers: { "X-ClearML-Worker": "w9" } });
    assert.equal(r.status, 200);
    assert.equal(r.data.added, 5);
    assert.equal(r.data.errors, 5);
    assert.deepEqual(r.data.errors_info, {
      "invalid event type": 1,
      "missing event type": 1,
      "missing task": 1,
      "invalid task id": 1,
      "invalid iteration": 1,
    });
    const none = await client.batch("events.add_batch", [{ type: "log", msg: "x" }]);
    assert.equal(none.status, 400);
    assert.equal(none.meta.result_subcode, 131);
    assert.equal(none.meta.result_msg, "Events not added: missing task=1");
    const empty = await client.raw("events.add_batch", "", { contentType: "application/json-lines" });
    assert.equal(empty.meta.result_subcode, 17);
    const single = await client.ok("events.add", { type: "log", task, msg: "single" });
    assert.equal(single.added, 1);
    const all = await client.ok("events.get_task_events", { task });
    assert.equal(all.total, 6);
    const log = all.events.find((e: { msg?: string }) => e.msg === "hello");
    assert.equal(log.worker, "w9");
    assert.equal(log.metric, "");
    assert.equal(typeof log["@timestamp"], "string");
    const vec = all.events.find((e: { type: string }) => e.type === "training_stats_vector");
    assert.deepEqual(vec.value, [1, 2]);
    const doc = (await client.ok("tasks.get_by_id", { task })).task;
    assert.equal(doc.last_iteration, 3);
    const published = await newTask(client);
    await client.ok("tasks.completed", { task: published, publish: true });
    const locked = await client.batch("events.add_batch", [{ type: "log", task: published, msg: "late" }]);
    assert.equal(locked.meta.result_subcode, 131);
    const allowed = await client.batch("events.add_batch", [{
      type: "log",
      task: published,
      msg: "late",
      allow_locked: true,
    }]);
    assert.equal(allowed.data.added, 1);
  });
});

Deno.test("events.add_batch upserts metric events and keeps last_metrics", async () => {
  await withServer(async ({ client }) => {
    const task = await newTask(client);
    const scalar = (iter: number, value: number, timestamp: number) => ({
      type: "training_stats_scalar",
      task,
      iter,
      metric: "loss",
      variant: "train",
      value,
      timestamp,
    });
    await client.batch("events.add_batch", [scalar(0, 2.0, 1), scalar(1, 1.0, 2), scalar(2, 3.0, 3)]);
    await client.batch("events.add_batch", [scalar(1, 0.5, 4), {
      type: "training_stats_scalar",
      task,
      iter: 99,
      metric: ":monitor:machine",
      variant: "cpu",
      value: 5,
    }]);
    const events = await client.ok("events.get_task_events", {
      task,
      event_type: "training_stats_scalar",
      metrics: [{ metric: "loss" }],
    });
    assert.deepEqual(events.events.map((e: { iter: number; value: number }) => [e.iter, e.value]), [[0, 2], [1, 0.5], [
      2,
      3,
    ]]);
    const doc = (await client.ok("tasks.get_by_id", { task })).task;
    assert.equal(doc.last_iteration, 2, ":monitor:machine does not move last_iteration");
    const entries = Object.values(doc.last_metrics).flatMap((v) =>
      Object.values(v as Record<string, unknown>)
    ) as Record<string, unknown>[];
    const loss = entries.find((e) => e.metric === "loss")!;
    assert.equal(loss.value, 3);
    assert.equal(loss.min_value, 0.5);
    assert.equal(loss.min_value_iteration, 1);
    assert.equal(loss.max_value, 3);
    assert.equal(loss.max_value_iteration, 2);
    assert.equal(loss.first_value, 2);
    assert.equal(loss.first_value_iteration, 0);
    assert.equal(loss.count, 4);
    assert.equal(doc._metric_state, undefined);
    const projected = await client.ok("tasks.get_all", { id: [task], only_fields: ["unique_metrics"] });
    assert.deepEqual(projected.tasks[0].unique_metrics.sort(), [":monitor:machine/cpu", "loss/train"]);
  });
});

Deno.test("events.get_task_log navigates by timestamp and never splits a timestamp", async () => {
  await withServer(async ({ client }) => {
    const task = await newTask(client);
    const ts = [100, 200, 200, 200, 300, 400, 500];
    await client.batch("events.add_batch", ts.map((t, i) => ({ type: "log", task, timestamp: t, msg: `m${i}` })));
    const msgs = (r: Record<string, unknown>) => (r.events as { msg: string }[]).map((e) => e.msg);
    const latest = await client.ok("events.get_task_log", { task, batch_size: 3 });
    assert.deepEqual(msgs(latest), ["m6", "m5", "m4"]);
    assert.equal(latest.total, 7);
    assert.equal(latest.returned, 3);
    const earlier = await client.ok("events.get_task_log", { task, batch_size: 2, from_timestamp: 300 });
    assert.deepEqual(msgs(earlier), ["m3", "m2", "m1"], "the 200 batch is not split");
    const asc = await client.ok("events.get_task_log", { task, batch_size: 2, navigate_earlier: false });
    assert.deepEqual(msgs(asc), ["m0", "m1", "m2", "m3"]);
    const next = await client.ok("events.get_task_log", {
      task,
      batch_size: 2,
      navigate_earlier: false,
      from_timestamp: 200,
    });
    assert.deepEqual(msgs(next), ["m4", "m5"]);
    const ordered = await client.ok("events.get_task_log", { task, batch_size: 2, order: "asc" });
    assert.deepEqual(msgs(ordered), ["m5", "m6"]);
    const unknown = await client.call("events.get_task_log", { task: "0".repeat(32) });
    assert.equal(unknown.meta.result_subcode, 101);
    assert.deepEqual(await client.ok("events.clear_task_log", { task, threshold_sec: 0 }), { deleted: 7 });
  });
});

Deno.test("events.get_task_events scrolls by iteration; delete_for_task removes everything", async () => {
  await withServer(async ({ client }) => {
    const task = await newTask(client);
    const items = Array.from(
      { length: 7 },
      (_, i) => ({ type: "training_stats_scalar", task, iter: 6 - i, metric: "m", variant: "v", value: i }),
    );
    await client.batch("events.add_batch", items);
    const seen: number[] = [];
    let scroll: string | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await client.ok("events.get_task_events", { task, batch_size: 3, scroll_id: scroll });
      seen.push(...r.events.map((e: { iter: number }) => e.iter));
      assert.equal(r.total, 7);
      scroll = r.scroll_id;
      if (r.returned === 0) break;
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6]);
    const desc = await client.ok("events.get_task_events", { task, order: "desc", batch_size: 2 });
    assert.deepEqual(desc.events.map((e: { iter: number }) => e.iter), [6, 5]);
    const bad = await client.call("events.get_task_events", { task, scroll_id: "nope" });
    assert.equal(bad.meta.result_subcode, 1104);
    assert.deepEqual(await client.ok("events.delete_for_task", { task }), { deleted: 7 });
    assert.equal((await client.ok("events.get_task_events", { task })).total, 0);
  });
});
