/** The docker executor against the real engine and the local base image. */
import assert from "node:assert/strict";
import { ContainerRun, DockerExecutor } from "../../../executors/docker/executor.ts";
import { cleanDeadContainers, LABELS, ownerLabel, runLabels } from "../../../executors/docker/cleanup.ts";
import { ensureImage, withTag } from "../../../executors/docker/image.ts";
import { SetupError } from "../../../executors/executor.ts";
import { containersWith, removeContainersWith, requireEngine, TEST_IMAGE, TEST_LABEL } from "./_engine_env.ts";

const [LABEL_KEY, LABEL_VALUE] = TEST_LABEL.split("=");

function spec(cmd: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Image: TEST_IMAGE, Cmd: cmd, Labels: { [LABEL_KEY]: LABEL_VALUE }, HostConfig: { Init: true }, ...extra };
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

Deno.test("ContainerRun streams a container's output in order, reports its exit code and is removed", async () => {
  const engine = await requireEngine();
  try {
    const run = await ContainerRun.start(
      engine,
      spec(["/bin/sh", "-c", "exec 2>&1; echo one; echo two >&2; echo three; exit 3"]),
    );
    assert.equal(await text(run.output), "one\ntwo\nthree\n");
    assert.equal((await run.status).code, 3);
    assert.deepEqual(await run.end(), { exitCode: 3, oomKilled: false, error: undefined });
    await run.remove();
    assert.equal((await containersWith(TEST_LABEL)).length, 0);
  } finally {
    await removeContainersWith(TEST_LABEL);
  }
});

Deno.test("ContainerRun.terminate() stops with the grace period, then kills a process that ignores SIGTERM", async () => {
  const engine = await requireEngine();
  try {
    const run = await ContainerRun.start(
      engine,
      spec(["/bin/sh", "-c", "trap 'echo got TERM' TERM; echo ready; while true; do sleep 0.1; done"]),
    );
    const reader = run.output.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "ready\n");
    await run.terminate({ graceMs: 1_000 });
    assert.equal(run.exited?.code, 137);
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    assert.match(rest, /got TERM/);
    await run.remove();
  } finally {
    await removeContainersWith(TEST_LABEL);
  }
});

Deno.test("ContainerRun reports an OOM kill from the container's state", async () => {
  const engine = await requireEngine();
  try {
    const run = await ContainerRun.start(
      engine,
      spec(["python3", "-c", "a = bytearray(512 * 1024 * 1024); print(len(a))"], {
        HostConfig: { Init: true, Memory: 64 * 1024 ** 2, MemorySwap: 64 * 1024 ** 2 },
      }),
    );
    await text(run.output);
    assert.equal((await run.status).code, 137);
    assert.equal((await run.end()).oomKilled, true);
    await run.remove();
  } finally {
    await removeContainersWith(TEST_LABEL);
  }
});

Deno.test("ContainerRun.start() fails with the engine's reason and leaves nothing when the container cannot start", async () => {
  const engine = await requireEngine();
  try {
    await assert.rejects(
      () => ContainerRun.start(engine, spec(["/no/such/program"], { HostConfig: { Init: false } })),
      (err: Error) => err instanceof SetupError && /^Cannot start the container: .*no such file/i.test(err.message),
    );
    await assert.rejects(
      () => ContainerRun.start(engine, spec(["true"], { HostConfig: { ShmSize: "lots" } })),
      (err: Error) => err instanceof SetupError && /^Cannot create the container: /.test(err.message),
    );
    assert.equal((await containersWith(TEST_LABEL)).length, 0);
  } finally {
    await removeContainersWith(TEST_LABEL);
  }
});

Deno.test("ensureImage() uses a local image and fails clearly for one that is neither here nor pullable", async () => {
  const engine = await requireEngine();
  const lines: string[] = [];
  assert.ok((await ensureImage(engine, TEST_IMAGE, { say: (l) => lines.push(l) })).Id.startsWith("sha256:"));
  assert.equal(lines.length, 0);
  await assert.rejects(
    () => ensureImage(engine, "clearml-agent-test/no-such-image:0", { say: (l) => lines.push(l) }),
    (err: Error) =>
      err instanceof SetupError &&
      /^Docker image "clearml-agent-test\/no-such-image:0" is not available locally and cannot be pulled: /.test(
        err.message,
      ),
  );
  // A forced pull that fails keeps the local image.
  const local = await ensureImage(engine, TEST_IMAGE, { forcePull: true, say: (l) => lines.push(l) });
  assert.ok(local.Id);
  assert.ok(
    lines.some((l) => /^Warning: could not pull docker image .* using the local one$/.test(l)),
    lines.join("\n"),
  );
  assert.deepEqual(["a", "a:1", "reg:5000/a", "reg:5000/a:2", "a@sha256:x"].map(withTag), [
    "a:latest",
    "a:1",
    "reg:5000/a:latest",
    "reg:5000/a:2",
    "a@sha256:x",
  ]);
});

Deno.test("DockerExecutor runs each command in a fresh container and removes it", async () => {
  const engine = await requireEngine();
  try {
    const executor = new DockerExecutor({
      engine,
      image: TEST_IMAGE,
      base: { Labels: { [LABEL_KEY]: LABEL_VALUE } },
      env: { GREETING: "hi" },
    });
    await executor.prepare();
    const res = await executor.capture({
      argv: ["sh", "-c", 'echo "$GREETING $EXTRA from $(pwd)"; echo e >&2; exit 4'],
      cwd: "/tmp",
      env: { EXTRA: "x" },
    });
    assert.deepEqual(res, { code: 4, stdout: "hi x from /tmp\n", stderr: "e\n" });
    await executor.cleanup();
    assert.equal((await containersWith(TEST_LABEL)).length, 0);
  } finally {
    await removeContainersWith(TEST_LABEL);
  }
});

Deno.test("cleanDeadContainers() removes containers of dead owners and of our worker id's predecessor, and keeps live ones", async () => {
  const engine = await requireEngine();
  const worker = `cleanup-test-${crypto.randomUUID().slice(0, 6)}`;
  const make = async (labels: Record<string, string>) =>
    (await engine.createContainer(spec(["true"], { Labels: { [LABEL_KEY]: LABEL_VALUE, ...labels } }))).id;
  try {
    const mine = runLabels(worker, "task-live");
    const [boot] = ownerLabel().split("/");
    const live = await make({ ...mine, [LABELS.worker]: "someone-else" });
    const dead = await make({
      ...mine,
      [LABELS.worker]: "someone-else",
      [LABELS.task]: "task-dead",
      [LABELS.owner]: `${boot}/999999999/1`,
    });
    const predecessor = await make({ ...mine, [LABELS.task]: "task-pred", [LABELS.owner]: `${boot}/1/-` });
    const otherHost = await make({
      ...mine,
      [LABELS.worker]: "x",
      [LABELS.owner]: "other-boot/2/3",
      [LABELS.host]: "another-host",
    });
    const lines: string[] = [];
    const cleaned = await cleanDeadContainers(engine, { workerId: worker, say: (l) => lines.push(l) });
    const ours = cleaned.filter((c) => [dead, predecessor].includes(c.id));
    assert.deepEqual(ours.map((c) => c.taskId).sort(), ["task-dead", "task-pred"]);
    const left = (await containersWith(TEST_LABEL)).map((c) => c.Id);
    assert.ok(left.includes(live) && left.includes(otherHost) && !left.includes(dead) && !left.includes(predecessor));
    assert.ok(lines.some((l) => /^Removing container .* of a dead run of task task-dead$/.test(l)));
  } finally {
    await removeContainersWith(TEST_LABEL);
  }
});
