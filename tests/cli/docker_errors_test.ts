/**
 * `daemon --docker` with bad input: each task fails with one clear reason and the daemon goes on with the next.
 */
import assert from "node:assert/strict";
import { importImage, removeImage } from "../executors/docker/_engine_env.ts";
import { scriptTask, startDockerEnv, TEST_IMAGE } from "./_docker_env.ts";

const ended = (t: Record<string, unknown>) => ["completed", "failed", "stopped"].includes(t.status as string);
const MUSL_IMAGE = `clearml-agent-test/musl:${Deno.pid}`;

Deno.test("daemon --docker fails bad tasks with their reason and keeps serving", async () => {
  const env = await startDockerEnv();
  await importImage(MUSL_IMAGE, { "lib/ld-musl-x86_64.so.1": "", "etc/alpine-release": "3.20.0\n" });
  try {
    const ok = scriptTask(`print("fine")`);
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { script: ok, container: { image: "clearml-agent-test/no-such-image:0" } },
        /^setup failure: Docker image "clearml-agent-test\/no-such-image:0" is not available locally and cannot be pulled: /,
      ],
      [
        { script: ok, container: { image: TEST_IMAGE, setup_shell_script: "echo setting up\nexit 5" } },
        /^setup failure: the container exited with code 5 before the agent started$/,
      ],
      [
        {
          script: scriptTask(`a = bytearray(1536 * 1024 * 1024)\nprint(len(a))`),
          container: { image: TEST_IMAGE, arguments: "--memory=384m --memory-swap=384m" },
        },
        /^OOM killed$/,
      ],
      [
        { script: ok, container: { image: TEST_IMAGE, arguments: "--shm-size=lots" } },
        /^setup failure: Bad docker argument "--shm-size lots": expected a size/,
      ],
      [
        { script: ok, container: { image: TEST_IMAGE, arguments: "--privileged -e A=1" } },
        /^setup failure: Docker argument "--privileged" of the task is forbidden by agent.forbidden_docker_args$/,
      ],
      [
        { script: ok, container: { image: TEST_IMAGE, arguments: "-v /:/host" } },
        /^setup failure: Docker argument "-v \/:\/host" of the task is forbidden by agent.forbidden_docker_args$/,
      ],
      [
        { script: ok, container: { image: MUSL_IMAGE } },
        /^setup failure: Docker image "clearml-agent-test\/musl:\d+" is musl based \(Alpine\?\): the agent needs a glibc image/,
      ],
    ];
    const q = await env.queue("docker_bad");
    const ids: string[] = [];
    for (const [fields] of cases) {
      const id = await env.createFull(fields);
      await env.enqueue(id, q);
      ids.push(id);
    }
    const good = await env.createFull({ script: ok });
    await env.enqueue(good, q);
    const d = env.dockerDaemon("docker_bad");
    const last = await env.waitTask(good, ended, 240_000);
    assert.equal(last.status, "completed", d.output());
    for (const [i, id] of ids.entries()) {
      const t = await env.task(id);
      assert.equal(t.status, "failed", `case ${i}: ${t.status_reason}`);
      assert.match(t.status_reason as string, cases[i][1], `case ${i}`);
    }
    assert.deepEqual(await env.leftovers(), []);
  } finally {
    await env.close();
    await removeImage(MUSL_IMAGE);
  }
});

Deno.test("daemon --docker without a reachable engine warns, fails each task with the reason and keeps running", async () => {
  const env = await startDockerEnv();
  try {
    const q = await env.queue("docker_noengine");
    const ids = [
      await env.createFull({ script: scriptTask(`print(1)`) }),
      await env.createFull({ script: scriptTask(`print(2)`) }),
    ];
    for (const id of ids) await env.enqueue(id, q);
    const d = env.dockerDaemon("docker_noengine", [], { DOCKER_HOST: `unix://${env.dir}/no-docker.sock` });
    await d.waitFor(/Warning: the Docker engine at "unix:\/\/.*no-docker\.sock" does not answer/, 60_000);
    for (const id of ids) {
      const t = await env.waitTask(id, ended, 60_000);
      assert.equal(t.status, "failed");
      assert.match(
        t.status_reason as string,
        /^setup failure: Cannot inspect docker image ".*": cannot reach the Docker engine at ".*no-docker\.sock": no such socket/,
      );
    }
    await d.waitFor(/No tasks in queue|Listening/, 10_000);
    assert.equal(
      await Promise.race([d.status.then(() => "exited"), new Promise((r) => setTimeout(() => r("running"), 500))]),
      "running",
    );
  } finally {
    await env.close();
  }
});
