/**
 * The complete agent round trip of server-api.md Appendix A, replayed as raw HTTP the way the Python agent sends
 * it: GET requests with JSON bodies, versioned and unversioned paths, json-lines log uploads.
 */
import assert from "node:assert/strict";
import { type ApiResponse, withServer } from "../helpers/server.ts";

Deno.test("Appendix A round trip: daemon and execute calls get the documented answers", async () => {
  await withServer(async ({ client }) => {
    const get = async (path: string, body: unknown, status = 200): Promise<ApiResponse["data"]> => {
      const [version, endpoint] = path.includes("/") ? path.split("/") : [undefined, path];
      const r = await client.call(endpoint, body, { method: "GET", version: version?.slice(1) });
      assert.equal(r.status, status, `${path}: ${r.meta.result_msg}`);
      return r.data;
    };
    const log = (task: string, msg: string, ts: number) =>
      client.batch("events.add_batch", [{ type: "log", task, timestamp: ts, level: "INFO", worker: "host:cpu", msg }], {
        headers: { "Content-type": "application/json-lines", "X-ClearML-Worker": "host:cpu" },
      });

    // 1-3: login, resolve the queue, print it.
    const login = await client.call("auth.login", undefined, { auth: "basic", method: "GET" });
    assert.equal(login.status, 200);
    const byName = await get("v2.5/queues.get_all", {
      name: "default",
      only_fields: ["name", "id"],
      search_hidden: true,
    });
    assert.equal(byName.queues.length, 1);
    assert.deepEqual(Object.keys(byName.queues[0]).sort(), ["id", "name"]);
    const qid = byName.queues[0].id as string;
    assert.deepEqual(await get("v2.5/queues.get_default", {}), { id: qid, name: "default" });
    const full = await get("v2.5/queues.get_all", { id: [qid] });
    assert.deepEqual(full.queues[0].entries, []);
    assert.deepEqual(full.queues[0].metadata, []); // <= 2.16 clients get a list

    // 4-6: register, report, poll an empty queue.
    assert.deepEqual(await get("workers.register", { worker: "host:cpu", queues: [qid] }), {});
    const stats = { cpu_usage: [1.5], memory_used: 1024, gpu_usage: null };
    const report = { machine_stats: stats, timestamp: Date.now(), worker: "host:cpu", tags: null, queues: [qid] };
    assert.deepEqual(await get("workers.status_report", report), {});
    const tags = await get("v2.5/queues.get_all", { id: [qid], only_fields: ["id", "tags"] });
    assert.deepEqual(tags.queues, [{ id: qid, tags: [] }]);
    assert.deepEqual(await get("workers.get_runtime_properties", { worker: "host:cpu" }), { runtime_properties: [] });
    assert.deepEqual(await get("v2.14/queues.get_next_task", { queue: qid }), {});

    // Meanwhile an SDK user creates and enqueues a task (v2.23).
    const sdk = (ep: string, body: unknown) => client.ok(ep, body, { version: "2.23" });
    const { id: tid } = await sdk("tasks.create", {
      name: "remote train",
      type: "training",
      system_tags: ["development"],
    });
    await sdk("tasks.edit", {
      task: tid,
      force: true,
      script: { repository: "https://example.com/r.git", entry_point: "train.py" },
    });
    await sdk("tasks.edit", {
      task: tid,
      force: true,
      hyperparams: { Environment: { FOO: { section: "Environment", name: "FOO", value: "bar" } } },
    });
    const enq = await sdk("tasks.enqueue", { task: tid, queue: qid });
    assert.equal(enq.queued, 1);
    assert.equal(enq.fields.status, "queued");
    assert.equal(enq.fields["execution.queue"], qid);
    assert.equal(enq.fields.enqueue_status, "created");

    // 6-7: pop, start, report, first log line.
    const popped = await get("v2.14/queues.get_next_task", { queue: qid });
    assert.equal(popped.entry.task, tid);
    assert.match(popped.entry.added, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    assert.deepEqual(await get("v2.14/queues.get_next_task", { queue: qid }), {});
    const started = await get("v2.5/tasks.started", { task: tid, status_message: "pulled by agent", force: true });
    assert.equal(started.updated, 1);
    assert.equal(started.fields.status, "in_progress");
    assert.equal(started.fields.status_message, "pulled by agent");
    assert.deepEqual(await get("workers.status_report", { ...report, task: tid, queue: qid }), {});
    const first = await log(tid, `task ${tid} pulled from ${qid} by worker host:cpu`, 1000);
    assert.deepEqual(first.data, { added: 1, errors: 0, errors_info: {} });

    // 8-9: runtime, container.
    const rt = await get("v2.15/tasks.get_all", { id: [tid], only_fields: ["runtime"], search_hidden: true });
    assert.deepEqual(rt.tasks, [{ id: tid, runtime: {} }]);
    const edited = await get("tasks.edit", { task: tid, force: true, runtime: { _exec_agent_hostname: "host" } });
    assert.equal(edited.updated, 1);
    await get("v2.5/tasks.started", { task: tid, status_message: "launch by agent", force: true });
    const cont = await get("v2.14/tasks.get_all", { id: [tid], only_fields: ["container"], search_hidden: true });
    assert.deepEqual(cont.tasks, [{ id: tid }]);
    const container = { image: "python:3.11", arguments: "-e A=1", setup_shell_script: "" };
    assert.equal((await get("v2.13/tasks.edit", { task: tid, container, force: true })).updated, 1);

    // 10: the child `execute`.
    const byId = await get("v2.5/tasks.get_by_id", { task: tid });
    assert.equal(byId.task.execution.docker_cmd, "python:3.11 -e A=1");
    assert.equal(byId.task.script.entry_point, "train.py");
    assert.equal(byId.task.runtime._exec_agent_hostname, "host");
    const deq = await get("tasks.dequeue", { task: tid, new_status: "in_progress" });
    assert.equal(deq.dequeued, 1);
    assert.equal(deq.updated, 1);
    for (const msg of ["starting execution soon", "worker started execution"]) {
      await get("v2.5/tasks.started", { task: tid, status_message: msg, force: true });
    }
    await get("v2.5/tasks.edit", { task: tid, script: { version_num: "abc123" }, force: true });
    const req = await get("v2.14/tasks.get_all", {
      id: [tid],
      only_fields: ["script.requirements"],
      search_hidden: true,
    });
    assert.deepEqual(req.tasks, [{ id: tid, script: { requirements: {} } }]);
    const setReq = await get("v2.5/tasks.set_requirements", { task: tid, requirements: { pip: "numpy==2.0\n" } });
    assert.deepEqual(setReq.fields["script.requirements"], { pip: "numpy==2.0\n" });
    const hp = await get("tasks.get_hyper_params", { tasks: [tid] });
    assert.deepEqual(hp.params, [{ task: tid, hyperparams: [{ section: "Environment", name: "FOO", value: "bar" }] }]);
    const script = (await get("v2.5/tasks.get_by_id", { task: tid })).task.script;
    assert.equal(script.repository, "https://example.com/r.git");
    assert.equal(script.version_num, "abc123");

    // 11: the daemon watches, pings, uploads logs.
    const watch = await get("v2.14/tasks.get_all", {
      id: [tid],
      only_fields: ["status", "status_message"],
      search_hidden: true,
    });
    assert.deepEqual(watch.tasks, [{ id: tid, status: "in_progress", status_message: "worker started execution" }]);
    assert.deepEqual(await get("v2.5/tasks.ping", { task: tid }), {});
    for (let i = 0; i < 3; i++) assert.equal((await log(tid, `epoch ${i}`, 2000 + i)).data.added, 1);

    // 12: end of run.
    const done = await get("v2.5/tasks.completed", { task: tid, status_reason: "worker finished", force: true });
    assert.equal(done.fields.status, "completed");
    assert.deepEqual(await get("workers.status_report", { ...report, timestamp: Date.now() }), {});
    const workers = await get("v2.5/workers.get_all", { last_seen: 600 });
    assert.equal(workers.workers.length, 1);
    assert.equal(workers.workers[0].id, "host:cpu");
    assert.equal(workers.workers[0].task, undefined);
    assert.deepEqual(await get("workers.unregister", { worker: "host:cpu", queues: [qid] }), {});
    assert.deepEqual((await get("workers.get_all", { last_seen: 0 })).workers, []);
    const logs = await client.ok("events.get_task_log", { task: tid, navigate_earlier: false });
    assert.deepEqual(logs.events.map((e: { msg: string }) => e.msg), [
      `task ${tid} pulled from ${qid} by worker host:cpu`,
      "epoch 0",
      "epoch 1",
      "epoch 2",
    ]);
    const final = (await get("v2.5/tasks.get_by_id", { task: tid })).task;
    assert.equal(final.status, "completed");
    assert.equal(final.last_worker, "host:cpu");
    assert.ok(!final.system_tags.includes("development"));
  });
});

Deno.test("Appendix A abort: tasks.stop on a worker-run task gives the stopping handshake", async () => {
  await withServer(async ({ client }) => {
    const { id: qid } = await client.ok("queues.get_default", {});
    const { id: tid } = await client.ok("tasks.create", { name: "long run", type: "training" });
    await client.ok("tasks.enqueue", { task: tid, queue: qid });
    await client.ok("workers.register", { worker: "host:gpu0", queues: [qid] }, { method: "GET" });
    assert.equal(
      (await client.ok("queues.get_next_task", { queue: qid }, { version: "2.14", method: "GET" })).entry.task,
      tid,
    );
    await client.ok("tasks.started", { task: tid, force: true }, { version: "2.5", method: "GET" });
    await client.ok("workers.status_report", { worker: "host:gpu0", timestamp: Date.now(), task: tid }, {
      method: "GET",
    });
    const stop = await client.ok("tasks.stop", { task: tid }, { version: "2.23" });
    assert.equal(stop.fields.status, "in_progress");
    assert.equal(stop.fields.status_message, "stopping");
    const watch = await client.ok("tasks.get_all", {
      id: [tid],
      only_fields: ["status", "status_message"],
      search_hidden: true,
    }, {
      version: "2.14",
      method: "GET",
    });
    assert.deepEqual(watch.tasks, [{ id: tid, status: "in_progress", status_message: "stopping" }]);
    const stopped = await client.ok("tasks.stopped", {
      task: tid,
      status_reason: "task was stopped by tasks.stop",
      force: true,
    }, {
      version: "2.5",
      method: "GET",
    });
    assert.equal(stopped.fields.status, "stopped");
    assert.equal(stopped.fields.status_message, "");
  });
});
