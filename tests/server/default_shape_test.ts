/**
 * The answers for every entity the workflows read, compared with the real server's schema
 * (`tests/fixtures/server_schema.json`, taken from allegroai/clearml-server): every field it always returns is
 * there, every field has the schema's JSON type, and no field is one upstream does not have.
 */

import assert from "node:assert/strict";
import { DEFAULT_SHAPES, type Entity } from "../../lib/server/default_shape.ts";
import { type ApiClient, withServer } from "../helpers/server.ts";

interface EntitySchema {
  schema: Record<string, string>;
  stored: string[];
  always: string[];
}

const SCHEMA: Record<Entity, EntitySchema> = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/server_schema.json", import.meta.url)),
);

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** The dotted paths the schema describes that `doc` has (top level, plus `execution.*` / `models.*`). */
function paths(doc: Record<string, unknown>, schema: Record<string, string>): string[] {
  const out = Object.keys(doc);
  for (const [key, value] of Object.entries(doc)) {
    if (jsonType(value) !== "object") continue;
    for (const sub of Object.keys(value as object)) if (`${key}.${sub}` in schema) out.push(`${key}.${sub}`);
  }
  return out;
}

function valueAt(doc: Record<string, unknown>, path: string): unknown {
  return path.split(".").reduce<unknown>((d, k) => (d as Record<string, unknown> | undefined)?.[k], doc);
}

/** Every field has the schema's type and is one the real server has. */
function assertTypes(entity: Entity, where: string, doc: Record<string, unknown>): void {
  const { schema, stored } = SCHEMA[entity];
  for (const path of paths(doc, schema)) {
    const type = schema[path];
    if (type === undefined) {
      assert.ok(stored.includes(path), `${where}: "${path}" is not a field of the real server's ${entity}`);
      continue;
    }
    if (type === "object" || type === "array" || type === "integer" || type === "boolean") {
      assert.equal(jsonType(valueAt(doc, path)), type, `${where}: "${path}" should be of type ${type}`);
    }
  }
}

/** `assertTypes`, and every field the real server always returns is there. */
function assertShape(entity: Entity, where: string, doc: Record<string, unknown>): void {
  for (const path of SCHEMA[entity].always) {
    assert.notEqual(valueAt(doc, path), undefined, `${where}: "${path}" is missing`);
  }
  assertTypes(entity, where, doc);
}

Deno.test("the default shapes name only fields of the real server's schema, with the schema's types", () => {
  for (const [entity, shape] of Object.entries(DEFAULT_SHAPES) as [Entity, Record<string, unknown>][]) {
    assertTypes(entity, `default shape of ${entity}`, shape);
  }
});

async function readAll(client: ApiClient, ids: { task: string; model: string; project: string; queue: string }) {
  const reads: [Entity, string, Record<string, unknown>][] = [];
  const one = async (entity: Entity, endpoint: string, body: Record<string, unknown>, key: string) => {
    const data = await client.ok(endpoint, body);
    const found = Array.isArray(data[key]) ? data[key] : [data[key]];
    assert.ok(found.length > 0, `${endpoint} found nothing`);
    for (const doc of found) reads.push([entity, endpoint, doc]);
  };
  await one("task", "tasks.get_by_id", { task: ids.task }, "task");
  await one("task", "tasks.get_all", { id: [ids.task] }, "tasks");
  await one("task", "tasks.get_all_ex", { id: [ids.task] }, "tasks");
  await one("model", "models.get_by_id", { model: ids.model }, "model");
  await one("model", "models.get_all", { id: [ids.model] }, "models");
  await one("model", "models.get_all_ex", { id: [ids.model] }, "models");
  await one("project", "projects.get_by_id", { project: ids.project }, "project");
  await one("project", "projects.get_all", { id: [ids.project] }, "projects");
  await one("queue", "queues.get_by_id", { queue: ids.queue }, "queue");
  await one("queue", "queues.get_all", { id: [ids.queue] }, "queues");
  return reads;
}

Deno.test("entities as created (nothing optional set) carry every field the real server always returns", async () => {
  await withServer(async ({ client }) => {
    const project = (await client.ok("projects.create", { name: "Shapes" })).id;
    const task = (await client.ok("tasks.create", { name: "bare task", type: "training" })).id;
    const model = (await client.ok("models.create", { name: "bare model", uri: "file:///m.bin" })).id;
    const queue = (await client.ok("queues.create", { name: "bare-queue" })).id;
    const reads = await readAll(client, { task, model, project, queue });
    for (const [entity, endpoint, doc] of reads) assertShape(entity, endpoint, doc);
    const bare = reads.find(([, e]) => e === "tasks.get_by_id")![2];
    // What the SDK iterates without a guard (decorator pipelines): lists, even when empty.
    assert.deepEqual((bare.execution as { artifacts: unknown }).artifacts, []);
    assert.deepEqual(bare.models, { input: [], output: [] });
  });
});

Deno.test("entities used by a run (artifacts, models, hyperparameters, a queued entry) keep the schema's shape", async () => {
  await withServer(async ({ client }) => {
    const project = (await client.ok("projects.create", { name: "Shapes busy", tags: ["b", "a"] })).id;
    const queue = (await client.ok("queues.create", { name: "busy-queue" })).id;
    const task = (await client.ok("tasks.create", {
      name: "busy task",
      type: "training",
      project,
      hyperparams: { Args: { lr: { section: "Args", name: "lr", value: "0.1" } } },
      configuration: { cfg: { name: "cfg", value: "{}", type: "dictionary" } },
    })).id;
    await client.ok("tasks.add_or_update_artifacts", {
      task,
      artifacts: [{ key: "data", type: "custom", mode: "output", uri: "file:///d", content_size: 3, timestamp: 1 }],
    });
    const model = (await client.ok("models.create", { name: "busy model", uri: "file:///m.bin", task, project }))
      .id;
    await client.ok("models.update_for_task", { task, uri: "file:///m2.bin", iteration: 3 });
    await client.ok("tasks.enqueue", { task, queue });
    const reads = await readAll(client, { task, model, project, queue });
    for (const [entity, endpoint, doc] of reads) assertShape(entity, endpoint, doc);
    const queued = reads.find(([, e]) => e === "queues.get_by_id")![2];
    assert.equal((queued.entries as { task: string }[])[0].task, task);
  });
});
