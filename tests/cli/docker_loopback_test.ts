/**
 * Docker mode against the embedded server on 127.0.0.1 with no docker arguments in any configuration: the agent
 * puts the container on the host network by itself, so the agent inside reaches the loopback server.
 */
import assert from "node:assert/strict";
import { removeImage } from "../executors/docker/_engine_env.ts";
import { spawnServerProcess } from "../helpers/server.ts";
import { scriptTask, startDockerEnv, taskOutput, TEST_IMAGE } from "./_docker_env.ts";

const ended = (t: Record<string, unknown>) => ["completed", "failed", "stopped"].includes(t.status as string);
const HOST_NET =
  /^The server "http:\/\/127\.0\.0\.1:\d+".* is on this machine's loopback: the container uses the host network/;

Deno.test("server + daemon --docker IMAGE with no docker arguments configured: the task completes inside the container", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "clearml_loopback_server_" });
  const server = await spawnServerProcess(dataDir); // `clearml-agent server`: listens on 127.0.0.1
  const env = await startDockerEnv({ extra_docker_arguments: [] }, {}, server.url);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(await Deno.readTextFile(env.configFile), /--network|extra_docker_arguments: \[[^\]]/);
    const id = await env.createFull({
      script: scriptTask(`import os\nprint("in container", os.path.exists("/.dockerenv"))`),
    });
    await env.enqueue(id, await env.queue("docker_loopback"));
    const d = env.dockerDaemon("docker_loopback");
    const task = await env.waitTask(id, ended, 180_000);
    assert.equal(task.status, "completed", `${task.status_reason}\n${d.output()}`);
    const lines = await env.logLines(id);
    assert.deepEqual(taskOutput(lines).slice(0, 1), ["in container True"], lines.join("\n"));
    assert.ok(lines.some((l) => HOST_NET.test(l)), lines.join("\n"));
    assert.match(lines.join("\n") + d.output(), /pulled from queue "docker_loopback" by worker/, "the queue by name");
    assert.ok(lines.some((l) => l.startsWith("Executing: docker run") && l.includes(" --network=host ")));
    assert.deepEqual(await env.leftovers(), []);
  } finally {
    await env.close();
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("execute --docker with no docker arguments configured reaches the loopback server", async () => {
  const env = await startDockerEnv({ extra_docker_arguments: [] });
  try {
    const id = await env.createFull({ script: scriptTask(`print("single run")`) });
    const res = await env.cli(["execute", "--id", id, "--docker", TEST_IMAGE], env.dockerEnv);
    assert.equal(res.code, 0, res.out);
    assert.equal((await env.task(id)).status, "completed", res.out);
    assert.deepEqual(taskOutput(await env.logLines(id)).slice(0, 1), ["single run"]);

    assert.deepEqual(await env.leftovers(), []);
  } finally {
    await env.close();
  }
});

Deno.test("build --docker with no docker arguments configured reaches the loopback server from its build container", async () => {
  const env = await startDockerEnv({ extra_docker_arguments: [] });
  const image = `clearml-agent-test/loopback-build:${Deno.pid}-${crypto.randomUUID().slice(0, 6)}`;
  try {
    const id = await env.createFull({ script: scriptTask(`print("built")`), container: { image: TEST_IMAGE } });
    const res = await env.cli(["build", "--id", id, "--docker", "--target", image], env.dockerEnv);
    assert.equal(res.code, 0, res.out);
    assert.match(res.out, /is on this machine's loopback: the container uses the host network/);
    assert.deepEqual(await env.leftovers(), []);
  } finally {
    await removeImage(image);
    await env.close();
  }
});
