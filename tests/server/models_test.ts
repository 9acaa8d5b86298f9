import assert from "node:assert/strict";
import { withServer } from "../helpers/server.ts";

Deno.test("models: create, get, edit, update_for_task, set_ready publishes the task, metadata, delete", async () => {
  await withServer(async ({ client }) => {
    const { id: task } = await client.ok("tasks.create", { name: "trainer", type: "training" });
    await client.ok("tasks.started", { task });
    assert.equal((await client.call("models.create", { name: "no uri" })).meta.result_subcode, 12);
    assert.equal(
      (await client.call("models.create", { name: "m", uri: "u", task: "0".repeat(32) })).meta.result_subcode,
      101,
    );
    const { id, created } = await client.ok("models.create", {
      name: "Anonymous model",
      uri: "file:///tmp/uploading_file",
      labels: { cat: 1 },
      design: { design: "net" },
      framework: "PyTorch",
    });
    assert.equal(created, true);
    const edited = await client.ok("models.edit", { model: id, uri: "file:///tmp/m.pt", task, iteration: 5 });
    assert.equal(edited.updated, 1);
    const { model } = await client.ok("models.get_by_id", { model: id });
    assert.equal(model.uri, "file:///tmp/m.pt");
    assert.equal(model.ready, false);
    assert.deepEqual(model.labels, { cat: 1 });
    assert.equal(model.last_iteration, 5);
    assert.equal((await client.call("models.get_by_id", { model: "nope" })).meta.result_subcode, 201);
    assert.equal((await client.call("models.edit", { model: id, labels: { cat: "x" } })).meta.result_subcode, 12);

    const linked = await client.ok("models.update_for_task", { task, override_model_id: id, iteration: 7 });
    assert.deepEqual(linked, { id, created: false, updated: 1, fields: {} });
    const t = (await client.ok("tasks.get_by_id", { task })).task;
    assert.equal(t.models.output[0].model, id);
    assert.equal(t.last_iteration, 7);
    assert.equal((await client.ok("tasks.get_by_id", { task }, { version: "2.12" })).task.output.model, id);
    assert.equal((await client.ok("models.get_by_task_id", { task })).model.id, id);
    const byTask = await client.ok("models.get_all", { task: [task], only_fields: ["id", "uri"] });
    assert.deepEqual(byTask.models, [{ id, uri: "file:///tmp/m.pt" }]);
    const fresh = await client.ok("models.update_for_task", { task, uri: "file:///tmp/other.pt" });
    assert.equal(fresh.created, false, "the draft output model is updated in place");

    await client.ok("models.add_or_update_metadata", {
      model: id,
      metadata: [{ key: "acc", type: "float", value: "0.9" }],
    });
    assert.deepEqual((await client.ok("models.get_by_id", { model: id })).model.metadata, {
      acc: { key: "acc", type: "float", value: "0.9" },
    });
    await client.ok("tasks.stopped", { task });
    const ready = await client.ok("models.set_ready", { model: id });
    assert.equal(ready.updated, 1);
    assert.equal(ready.published_task.id, task);
    assert.equal((await client.ok("tasks.get_by_id", { task })).task.status, "published");

    const ev = await client.batch("events.add_batch", [
      { type: "training_stats_scalar", model_event: true, task: id, iter: 1, metric: "m", variant: "v", value: 1 },
      { type: "log", model_event: true, task: id, msg: "no logs for models" },
    ]);
    assert.equal(ev.data.added, 1);
    assert.deepEqual(ev.data.errors_info, { "log events are not supported for models": 1 });
    assert.deepEqual(await client.ok("models.delete", { model: id }), { deleted: true, url: "file:///tmp/other.pt" });
    assert.equal((await client.call("models.get_by_id", { model: id })).meta.result_subcode, 201);
  });
});
