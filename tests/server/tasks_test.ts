import assert from "node:assert/strict";
import { withServer } from "../helpers/server.ts";

Deno.test("tasks.create validates name, type and references; get_by_id returns the full document", async () => {
  await withServer(async ({ client }) => {
    const bad: [Record<string, unknown>, number, RegExp][] = [
      [{ type: "training" }, 12, /field=name/],
      [{ name: "ok name" }, 12, /field=type/],
      [{ name: "ok name", type: "juggling" }, 12, /field=type/],
      [{ name: "ab", type: "training" }, 800, /field=name/],
      [{ name: "ok name", type: "training", project: "f".repeat(32) }, 16, /project=/],
      [{ name: "ok name", type: "training", parent: "e".repeat(32) }, 16, /parent=/],
      [{ name: "ok name", type: "training", hyperparams: { " ": {} } }, 12, /Empty section name/],
      [{ name: "ok name", type: "training", hyperparams: { a: { " ": { value: "1" } } } }, 12, /Empty key/],
      [{ name: "ok name", type: "training", tags: "x" }, 200, /OK/],
      [{ name: "ok name", type: "training", tags: [1] }, 12, /field=tags/],
    ];
    for (const [body, sub, msg] of bad) {
      const r = await client.call("tasks.create", body);
      if (sub === 200) assert.equal(r.status, 200, JSON.stringify(body));
      else {
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.meta.result_subcode, sub, JSON.stringify(body));
      }
      assert.match(r.meta.result_msg, msg);
    }
    const { id: project } = await client.ok("projects.create", { name: "Team/Proj" });
    const { id } = await client.ok("tasks.create", {
      name: "  full task  ",
      type: "training",
      project,
      tags: ["b", "a"],
      system_tags: ["development"],
      comment: "Auto-generated",
      output_dest: "s3://bucket",
      models: { input: [{ name: "Input Model", model: "m1" }] },
      ignored_field: 1,
    });
    assert.match(id, /^[0-9a-f]{32}$/);
    const { task } = await client.ok("tasks.get_by_id", { task: id }, { version: "2.23" });
    assert.equal(task.name, "full task");
    assert.equal(task.status, "created");
    assert.deepEqual(task.tags, ["a", "b"]);
    assert.deepEqual(task.output, { destination: "s3://bucket" });
    assert.deepEqual(task.script, { binary: "python", repository: "", entry_point: "", requirements: {} });
    assert.deepEqual(task.execution, {});
    assert.equal(task.models.input[0].model, "m1");
    assert.equal(typeof task.models.input[0].updated, "string");
    assert.deepEqual(task.models.output, []);
    assert.equal(task.last_iteration, 0);
    assert.equal(task.enqueue_status, undefined);
    assert.equal(task.ignored_field, undefined);
    const unknown = await client.call("tasks.get_by_id", { task: "0".repeat(32) });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.meta.result_subcode, 101);
  });
});

Deno.test("tasks.get_all filters, projects, orders and pages like upstream", async () => {
  await withServer(async ({ client, clock }) => {
    const { id: p1 } = await client.ok("projects.create", { name: "proj one" });
    const { id: p1sub } = await client.ok("projects.create", { name: "proj one/sub" });
    const mk = async (name: string, extra: Record<string, unknown> = {}) => {
      clock.advance(1000);
      return (await client.ok("tasks.create", { name, type: "training", ...extra })).id as string;
    };
    const a = await mk("My Project task", { tags: ["x"], project: p1 });
    const b = await mk("my project task", { tags: ["x", "y"], system_tags: ["hidden"] });
    const c = await mk("other-task", { project: p1sub, hyperparams: { Args: { lr: { value: "10" } } } });
    const d = await mk("task #4", { hyperparams: { Args: { lr: { value: "9" } } } });
    const names = async (body: Record<string, unknown>, version?: string) =>
      (await client.ok("tasks.get_all", { ...body, only_fields: ["name"] }, { version })).tasks.map((
        t: { name: string },
      ) => t.name);
    assert.deepEqual(await names({}), ["My Project task", "other-task", "task #4"]);
    assert.deepEqual(await names({ search_hidden: true, name: "^My\\ Project\\ task$" }), ["My Project task"]);
    assert.deepEqual(await names({ search_hidden: true, name: "(?i)project" }), ["My Project task", "my project task"]);
    assert.deepEqual(await names({ name: "task\\ \\#4" }), ["task #4"]);
    assert.deepEqual(await names({ search_hidden: true, tags: ["-y"] }), ["My Project task", "other-task", "task #4"]);
    assert.deepEqual(await names({ id: [b, a] }), ["My Project task", "my project task"], "an id filter shows hidden");
    assert.deepEqual(await names({ project: [p1] }), ["My Project task"]);
    await client.ok("tasks.started", { task: d });
    assert.deepEqual(await names({ status: ["in_progress"] }), ["task #4"]);
    assert.deepEqual(await names({ status: ["-created"] }), ["task #4"]);
    assert.deepEqual(await names({ status: ["created"], project: [p1, p1sub] }), ["My Project task", "other-task"]);
    assert.deepEqual(await names({ project: [null] }), ["task #4"]);
    assert.deepEqual(await names({ project: [p1], include_subprojects: true }), ["My Project task", "other-task"]);
    assert.deepEqual(await names({ order_by: ["-name"] }), ["task #4", "other-task", "My Project task"]);
    assert.deepEqual(await names({ order_by: ["hyperparams.Args.lr.value"] }), [
      "task #4",
      "other-task",
      "My Project task",
    ]);
    assert.deepEqual(await names({ order_by: ["-created"], page: 1, page_size: 2 }), ["My Project task"]);
    assert.deepEqual(await names({ "hyperparams.Args.lr.value": ["9"] }), ["task #4"]);
    assert.deepEqual(await names({ order_by: ["execution.parameters.lr"] }, "2.8"), [
      "task #4",
      "other-task",
      "My Project task",
    ]);
    const bad = await client.call("tasks.get_all", { name: "([" });
    assert.equal(bad.status, 400);
    assert.equal(bad.meta.result_subcode, 21);
    assert.match(bad.meta.result_msg, /field=name/);
    const proj = await client.ok("tasks.get_all", {
      id: [c],
      only_fields: ["hyperparams.Args", "-hyperparams.Args.lr.section"],
    });
    assert.deepEqual(proj.tasks, [{ id: c, hyperparams: { Args: { lr: { value: "10", name: "lr" } } } }]);
    const first = await client.ok("tasks.get_all", { scroll_id: null, size: 2, only_fields: ["id"] });
    assert.deepEqual(first.tasks.map((t: { id: string }) => t.id), [a, c]);
    const second = await client.ok("tasks.get_all", { scroll_id: first.scroll_id, size: 2, only_fields: ["id"] });
    assert.deepEqual(second.tasks.map((t: { id: string }) => t.id), [d]);
    const refresh = await client.ok("tasks.get_all", {
      scroll_id: second.scroll_id,
      size: 2,
      refresh_scroll: true,
      only_fields: ["id"],
    });
    assert.equal(refresh.tasks.length, 3);
    const badScroll = await client.call("tasks.get_all", { scroll_id: "garbage!", size: 2 });
    assert.equal(badScroll.meta.result_subcode, 1104);
    const noSize = await client.call("tasks.get_all", { scroll_id: null });
    assert.equal(noSize.meta.result_subcode, 12);
  });
});

Deno.test("tasks.get_all caps page_size at 500", async () => {
  await withServer(async ({ client }) => {
    const body = Array.from({ length: 510 }, (_, i) => ({ name: `bulk ${i}`, type: "testing" }));
    await Promise.all(body.map((b) => client.ok("tasks.create", b)));
    assert.equal((await client.ok("tasks.get_all", { only_fields: ["id"] })).tasks.length, 500);
    assert.equal((await client.ok("tasks.get_all", { page_size: 1000, only_fields: ["id"] })).tasks.length, 500);
    assert.equal((await client.ok("tasks.get_all", { page: 1, only_fields: ["id"] })).tasks.length, 10);
  });
});

Deno.test("tasks.edit merges script/execution/output/models one level and replaces everything else", async () => {
  await withServer(async ({ client }) => {
    const { id } = await client.ok("tasks.create", {
      name: "edit me",
      type: "training",
      script: { repository: "r", branch: "main", requirements: { pip: "a" } },
      hyperparams: { Args: { a: { value: "1" } }, General: { g: { value: "2" } } },
      container: { image: "img", arguments: "-x" },
      runtime: { progress: "1" },
      tags: ["t1"],
    });
    const r = await client.ok("tasks.edit", {
      task: id,
      script: { version_num: "abc", requirements: { conda: "c" } },
      hyperparams: { Args: { b: { value: "3" } } },
      container: { image: "other" },
      runtime: { _exec_agent_hostname: "h" },
      execution: { framework: "pytorch" },
      tags: ["t2"],
    });
    assert.equal(r.updated, 1);
    assert.deepEqual(r.fields.script, {
      binary: "python",
      repository: "r",
      entry_point: "",
      branch: "main",
      version_num: "abc",
      requirements: { conda: "c" },
    });
    const { task } = await client.ok("tasks.get_by_id", { task: id });
    assert.equal(task.script.repository, "r");
    assert.equal(task.script.version_num, "abc");
    assert.deepEqual(task.script.requirements, { conda: "c" });
    assert.deepEqual(task.hyperparams, { Args: { b: { section: "Args", name: "b", value: "3" } } });
    assert.deepEqual(task.container, { image: "other" });
    assert.deepEqual(task.runtime, { _exec_agent_hostname: "h" });
    assert.deepEqual(task.tags, ["t2"]);
    assert.equal(task.execution.framework, "pytorch");
    await client.ok("tasks.started", { task: id });
    const locked = await client.call("tasks.edit", { task: id, name: "new name" });
    assert.equal(locked.status, 400);
    assert.equal(locked.meta.result_subcode, 110);
    assert.equal(locked.meta.result_msg, "Invalid task status: expected=created, status=in_progress");
    assert.equal((await client.ok("tasks.edit", { task: id, name: "new name", force: true })).fields.name, "new name");
    const status = await client.ok("tasks.edit", { task: id, force: true, status: "queued" });
    assert.equal(status.fields.status, "queued");
    const badStatus = await client.call("tasks.edit", { task: id, force: true, status: "sleeping" });
    assert.equal(badStatus.meta.result_subcode, 12);
  });
});

Deno.test("legacy views: v2.5 sees docker_cmd and the input model, v2.8 sees execution.parameters", async () => {
  await withServer(async ({ client }) => {
    const { id } = await client.ok("tasks.create", {
      name: "legacy",
      type: "training",
      execution: {
        parameters: { lr: 0.5, "TF_DEFINE/x": "y", flag: true },
        docker_cmd: "nvidia/cuda:12 --ipc=host",
        model: "m9",
      },
    }, { version: "2.5" });
    const now = (await client.ok("tasks.get_by_id", { task: id })).task;
    assert.deepEqual(now.hyperparams, {
      Args: {
        lr: { section: "Args", name: "lr", value: "0.5", type: "legacy" },
        flag: { section: "Args", name: "flag", value: "True", type: "legacy" },
      },
      TF_DEFINE: { x: { section: "TF_DEFINE", name: "x", value: "y", type: "legacy" } },
    });
    assert.deepEqual(now.container, { image: "nvidia/cuda:12", arguments: "--ipc=host" });
    assert.equal(now.models.input[0].model, "m9");
    assert.equal(now.execution.parameters, undefined);
    const v25 = (await client.ok("tasks.get_by_id", { task: id }, { version: "2.5" })).task;
    assert.equal(v25.execution.docker_cmd, "nvidia/cuda:12 --ipc=host");
    assert.equal(v25.execution.model, "m9");
    assert.deepEqual(v25.execution.parameters, { lr: "0.5", flag: "True", "TF_DEFINE/x": "y" });
    const v213 = (await client.ok("tasks.get_by_id", { task: id }, { version: "2.13" })).task;
    assert.equal(v213.execution.docker_cmd, undefined);
    await client.ok("tasks.edit", { task: id, execution: { parameters: { lr: 1 } } }, { version: "2.8" });
    const after = (await client.ok("tasks.get_by_id", { task: id }, { version: "2.8" })).task;
    assert.deepEqual(after.execution.parameters, { lr: "1" });
    const proj = await client.ok("tasks.get_all", { id: [id], only_fields: ["execution.docker_cmd"] }, {
      version: "2.5",
    });
    assert.deepEqual(proj.tasks, [{ id, execution: { docker_cmd: "nvidia/cuda:12 --ipc=host" } }]);
  });
});

Deno.test("tasks.clone copies the right fields and applies the new_task_* overrides", async () => {
  await withServer(async ({ client }) => {
    const { id: src } = await client.ok("tasks.create", {
      name: "source",
      type: "testing",
      tags: ["t"],
      system_tags: ["development", "keep"],
      script: { repository: "r" },
      hyperparams: { Args: { lr: { value: "1", type: "float" } } },
      configuration: { cfg: { value: "{}", type: "dictionary" } },
      container: { image: "img" },
      execution: { queue: "q".repeat(32), artifacts: [{ key: "in", mode: "input" }, { key: "out", mode: "output" }] },
      runtime: { progress: "50" },
    });
    await client.ok("tasks.started", { task: src });
    const { id } = await client.ok("tasks.clone", {
      task: src,
      new_task_name: "clone",
      new_task_hyperparams: { Args: { lr: { value: "2", type: "float" } } },
      execution_overrides: { model_labels: { cat: "1" } },
      new_project_name: "Clones/Team",
    });
    const { task } = await client.ok("tasks.get_by_id", { task: id });
    assert.equal(task.name, "clone");
    assert.equal(task.status, "created");
    assert.equal(task.type, "testing");
    assert.equal(task.parent, src);
    assert.deepEqual(task.tags, ["t"]);
    assert.deepEqual(task.system_tags, ["keep"]);
    assert.equal(task.hyperparams.Args.lr.value, "2");
    assert.deepEqual(task.configuration.cfg.value, "{}");
    assert.deepEqual(task.container, { image: "img" });
    assert.equal(task.execution.queue, undefined);
    assert.deepEqual(task.execution.artifacts, [{ key: "in", mode: "input" }]);
    assert.deepEqual(task.execution.model_labels, { cat: 1 });
    assert.deepEqual(task.runtime, {});
    assert.equal(task.script.repository, "r");
    const proj = await client.ok("projects.get_by_id", { project: task.project });
    assert.equal(proj.project.name, "Clones/Team");
    const missing = await client.call("tasks.clone", { task: "0".repeat(32) });
    assert.equal(missing.meta.result_subcode, 101);
  });
});

Deno.test("tasks.delete and tasks.reset follow the documented rules", async () => {
  await withServer(async ({ client }) => {
    const { id: queue } = await client.ok("queues.get_default", {});
    const { id } = await client.ok("tasks.create", {
      name: "to reset",
      type: "training",
      script: { repository: "r", diff: "d" },
    });
    const { id: child } = await client.ok("tasks.create", { name: "child task", type: "training", parent: id });
    await client.ok("tasks.enqueue", { task: id, queue });
    await client.batch("events.add_batch", [{ type: "log", task: id, msg: "x" }]);
    const reset = await client.ok("tasks.reset", { task: id });
    assert.deepEqual(reset.dequeued, { removed: 1 });
    assert.equal(reset.fields.status, "created");
    const after = (await client.ok("tasks.get_by_id", { task: id })).task;
    assert.equal(after.execution.queue, undefined);
    assert.equal(after.script.diff, "d", "script survives reset");
    assert.equal((await client.ok("events.get_task_log", { task: id })).total, 0);
    await client.ok("tasks.reset", { task: id, clear_all: true });
    assert.equal((await client.ok("tasks.get_by_id", { task: id })).task.script, undefined);
    const noScript = await client.call("tasks.set_requirements", { task: id, requirements: { pip: "x" } });
    assert.equal(noScript.meta.result_subcode, 122);

    await client.ok("tasks.started", { task: id });
    const refused = await client.call("tasks.delete", { task: id });
    assert.equal(refused.status, 400);
    assert.equal(refused.meta.result_subcode, 123);
    await client.ok("tasks.archive", { tasks: [id] });
    const deleted = await client.ok("tasks.delete", { task: id });
    assert.equal(deleted.deleted, true);
    assert.equal(deleted.updated_children, 1);
    assert.equal((await client.ok("tasks.get_by_id", { task: child })).task.parent, `__DELETED__${id}`);
    assert.equal((await client.call("tasks.get_by_id", { task: id })).meta.result_subcode, 101);
  });
});

Deno.test("hyperparams and configuration endpoints round-trip strings and enforce the status rule", async () => {
  await withServer(async ({ client }) => {
    const { id } = await client.ok("tasks.create", { name: "params", type: "training" });
    const items = [
      { section: "Args", name: "lr", value: "0.1", type: "float", description: "rate" },
      { section: "Args", name: "epochs", value: "10", type: "int" },
      { section: "General", name: "x", value: "[1, 2]", type: "list/int" },
    ];
    assert.deepEqual(await client.ok("tasks.edit_hyper_params", { task: id, hyperparams: items }), { updated: 1 });
    const got = await client.ok("tasks.get_hyper_params", { tasks: [id] });
    assert.deepEqual(got.params[0].hyperparams.map((i: { name: string }) => i.name), ["epochs", "lr", "x"]);
    assert.deepEqual(got.params[0].hyperparams[1], items[0]);
    await client.ok("tasks.edit_hyper_params", {
      task: id,
      hyperparams: [{ section: "Args", name: "new", value: "v" }],
      replace_hyperparams: "section",
    });
    const sec = (await client.ok("tasks.get_by_id", { task: id })).task.hyperparams;
    assert.deepEqual(Object.keys(sec.Args), ["new"]);
    assert.deepEqual(Object.keys(sec.General), ["x"]);
    const conflict = await client.call("tasks.delete_hyper_params", {
      task: id,
      hyperparams: [{ section: "Args" }, { section: "Args", name: "new" }],
    });
    assert.equal(conflict.meta.result_subcode, 15);
    assert.deepEqual(
      await client.ok("tasks.delete_hyper_params", { task: id, hyperparams: [{ section: "General" }] }),
      { deleted: 1 },
    );

    await client.ok("tasks.edit_configuration", {
      task: id,
      configuration: [{ name: "cfg", value: "a: 1", type: "yaml" }, { name: "empty", value: "" }],
    });
    const conf = await client.ok("tasks.get_configurations", { tasks: [id], names: ["cfg"] });
    assert.deepEqual(conf.configurations, [{
      task: id,
      configuration: [{ name: "cfg", value: "a: 1", type: "yaml" }],
    }]);
    assert.deepEqual((await client.ok("tasks.get_configuration_names", { tasks: [id] })).configurations, [{
      task: id,
      names: ["cfg"],
    }]);

    await client.ok("tasks.started", { task: id });
    const locked = await client.call("tasks.edit_hyper_params", {
      task: id,
      hyperparams: [{ section: "Args", name: "z", value: "1" }],
    });
    assert.equal(locked.meta.result_subcode, 110);
    assert.equal(
      (await client.call("tasks.edit_hyper_params", {
        task: id,
        force: true,
        hyperparams: [{ section: "Args", name: "z", value: "1" }],
      })).status,
      200,
    );
    assert.equal(
      (await client.call("tasks.edit_hyper_params", {
        task: id,
        hyperparams: [{ section: "Properties", name: "p", value: "1" }],
      })).status,
      200,
    );
    const props = (await client.ok("tasks.get_by_id", { task: id })).task.hyperparams.properties;
    assert.equal(props.p.value, "1");
    await client.ok("tasks.stopped", { task: id });
    assert.equal(
      (await client.call("tasks.edit_configuration", {
        task: id,
        force: true,
        configuration: [{ name: "c", value: "v" }],
      })).meta.result_subcode,
      110,
    );
  });
});

Deno.test("tasks.create, edit and set_requirements refuse wrong-typed script fields as the real server does", async () => {
  await withServer(async ({ client }) => {
    const create = await client.call("tasks.create", {
      name: "bad requirements",
      type: "training",
      script: { entry_point: "a.py", requirements: "numpy" },
    });
    assert.equal(create.status, 400);
    assert.equal(create.meta.result_subcode, 12);
    assert.match(create.meta.result_msg, /field=script\.requirements/);
    const { id } = await client.ok("tasks.create", {
      name: "good one",
      type: "training",
      script: { entry_point: "a.py" },
    });
    const edit = await client.call("tasks.edit", { task: id, script: { binary: 3 } });
    assert.equal(edit.status, 400);
    assert.match(edit.meta.result_msg, /field=script\.binary/);
    const set = await client.call("tasks.set_requirements", { task: id, requirements: { pip: { a: 1 } } });
    assert.equal(set.status, 400);
    assert.match(set.meta.result_msg, /field=script\.requirements\.pip/);
  });
});
