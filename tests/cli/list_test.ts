/**
 * `clearml-agent list`: the server's workers as the reference prints them (PyYAML block style, sorted keys),
 * and as JSON.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { workersYaml } from "../../lib/cli/list.ts";
import { startUserEnv } from "./_user_env.ts";

Deno.test("workersYaml() writes what PyYAML's safe_dump writes for worker entries", () => {
  const data = {
    workers: [{
      id: "host:cpu",
      user: { name: "admin", id: "u1" },
      queues: [{ id: "q1", name: "default", num_tasks: 0 }],
      register_time: "2025-01-01T10:00:00.123456",
      tags: [],
      task: null,
      register_timeout: 600,
      ip: "127.0.0.1",
      key: "yes",
    }],
  };
  assert.equal(
    workersYaml(data),
    [
      "workers:",
      "- id: host:cpu",
      "  ip: 127.0.0.1",
      "  key: 'yes'",
      "  queues:",
      "  - id: q1",
      "    name: default",
      "    num_tasks: 0",
      "  register_time: '2025-01-01T10:00:00.123456'",
      "  register_timeout: 600",
      "  tags: []",
      "  task: null",
      "  user:",
      "    id: u1",
      "    name: admin",
      "",
    ].join("\n"),
  );
  assert.equal(workersYaml({ workers: [] }), "workers: []\n");
});

Deno.test("list prints the registered workers as YAML and, with --json, as JSON", async () => {
  const env = await startUserEnv();
  try {
    const empty = await env.cli(["list"]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, "workers: []\n");
    const queue = await env.api.call<{ queues: { id: string }[] }>("queues.get_all", { name: "^default$" });
    await env.api.call("workers.register", { worker: "gpu-box:gpu0", queues: [queue.queues[0].id] });
    const yaml = await env.cli(["list"]);
    const json = await env.cli(["list", "--json"]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.equal(json.code, 0, json.stderr);
    const fromJson = JSON.parse(json.stdout);
    assert.deepEqual(parse(yaml.stdout, { version: "1.1" }), fromJson);
    assert.equal(fromJson.workers.length, 1);
    assert.equal(fromJson.workers[0].id, "gpu-box:gpu0");
    assert.equal(fromJson.workers[0].queues[0].name, "default");
    assert.match(yaml.stdout, /^workers:\n- company:\n/);
    const keys = [...yaml.stdout.matchAll(/^ {2}([a-z_]+):/gm)].map((m) => m[1]);
    assert.deepEqual(keys, [...keys].sort(), "keys sorted");
  } finally {
    await env.close();
  }
});
