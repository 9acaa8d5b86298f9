/**
 * `build --docker` against the real engine: an image holding the task's environment, and one that runs the task
 * with a plain `docker run` (no mounts: the agent is copied into the image).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeTinyIndex, serveFolder } from "../helpers/execute_env.ts";
import { removeImage, requireEngine } from "../executors/docker/_engine_env.ts";
import { scriptTask, startDockerEnv, taskOutput, TEST_IMAGE, TEST_LABEL } from "./_docker_env.ts";

/** `docker run --rm --network host IMAGE [CMD...]` through the engine; resolves to the exit code and output. */
async function dockerRun(image: string, cmd?: string[]): Promise<{ code: number; out: string }> {
  const engine = await requireEngine();
  const [key, value] = TEST_LABEL.split("=");
  const c = await engine.createContainer({
    Image: image,
    ...(cmd ? { Cmd: cmd } : {}),
    Labels: { [key]: value },
    HostConfig: { NetworkMode: "host" },
  });
  try {
    await c.start();
    const { StatusCode } = await c.wait();
    const logs = await (c as unknown as { logs(o: object): Promise<Uint8Array> }).logs({ stdout: true, stderr: true });
    // Non-tty logs are framed: drop the 8-byte headers.
    const bytes = new Uint8Array(logs);
    let text = "";
    for (let at = 0; at + 8 <= bytes.length;) {
      const size = new DataView(bytes.buffer, bytes.byteOffset + at + 4, 4).getUint32(0);
      text += new TextDecoder().decode(bytes.subarray(at + 8, at + 8 + size));
      at += 8 + size;
    }
    return { code: StatusCode, out: text };
  } finally {
    await c.remove({ force: true });
  }
}

Deno.test("build --docker makes a base image with the task's environment, and with --entry-point an image that runs the task with docker run", async (t) => {
  const env = await startDockerEnv();
  await makeTinyIndex(join(env.dir, "index"));
  const index = serveFolder(join(env.dir, "index"));
  const tag = `${Deno.pid}-${crypto.randomUUID().slice(0, 6)}`;
  const images = [`clearml-agent-test/build-base:${tag}`, `clearml-agent-test/build-reuse:${tag}`];
  const buildEnv = env.dockerEnv;
  try {
    const id = await env.createFull({
      script: scriptTask(
        `import sys, tinypkg\nprint("built task says", tinypkg.greet(), sys.prefix != sys.base_prefix)`,
        `--index-url ${index.url}/simple\ntinypkg==0.1\n`,
      ),
      container: { image: TEST_IMAGE },
    });

    await t.step("without --entry-point: a base image whose python has the requirements", async () => {
      const res = await env.cli(["build", "--id", id, "--docker", "--target", images[0]], buildEnv);
      assert.equal(res.code, 0, res.out);
      assert.match(res.out, new RegExp(`Building Task ${id} inside docker image: ${TEST_IMAGE} `));
      const run = await dockerRun(images[0], ["python", "-c", "import tinypkg; print(tinypkg.greet())"]);
      assert.deepEqual(run, { code: 0, out: "tinypkg says hi\n" });
      const inspect = await (await requireEngine()).getImage(images[0]).inspect();
      const labels = (inspect as unknown as { Config: { Labels: Record<string, string> } }).Config.Labels ?? {};
      assert.equal(labels["clearml-agent-owner"] ?? "", "", "our labels are blanked in the image");
    });

    await t.step("--entry-point reuse_task: docker run IMAGE runs the task to completed", async () => {
      const res = await env.cli(
        ["build", "--id", id, "--docker", "--target", images[1], "--entry-point", "reuse_task"],
        buildEnv,
      );
      assert.equal(res.code, 0, res.out);
      assert.equal((await env.task(id)).status, "created", "building does not run the task");
      const run = await dockerRun(images[1]);
      assert.equal(run.code, 0, run.out);
      const task = await env.task(id);
      assert.equal(task.status, "completed", `${task.status_reason}\n${run.out}`);
      const lines = await env.logLines(id);
      assert.deepEqual(taskOutput(lines).slice(0, 2), [
        "built task says tinypkg says hi True",
        "Process completed successfully",
      ]);
      assert.ok(!lines.some((l) => /^Installing \d+ requirement/.test(l)), "nothing is installed at run time");
    });
    assert.deepEqual(await env.leftovers(), []);
  } finally {
    for (const image of images) await removeImage(image);
    await index.close();
    await env.close();
  }
});
