/**
 * Working hours, forcing and the remote drain trigger of a real `clearml-agent daemon` against the embedded
 * server: outside its hours the worker stays registered, pulls nothing and says so (log line, `system_tags`);
 * the `force` runtime property and the `force_workers:*` queue tags override; `daemon --status` shows it all; a
 * `drain:<worker id>` queue tag drains it. Bad schedule configuration fails with one line.
 */
import assert from "node:assert/strict";
import { startDaemonEnv } from "../helpers/daemon_env.ts";
import { runCli } from "../helpers/cli.ts";

/** Worker ids do not depend on the GPUs of the machine running the tests. */
const NO_GPUS = { NVIDIA_VISIBLE_DEVICES: "", CUDA_VISIBLE_DEVICES: "" };

Deno.test("daemon outside its working hours pulls nothing and says so; force:on, force_workers:off and drain:<id> take over", async () => {
  // Downtime all day, every day (a span from hour 0: the reference would ignore it).
  const env = await startDaemonEnv({ agent: { downtime: ["0-24 SUN-SAT"] } });
  try {
    const q = await env.queue("sched");
    const first = await env.createTask(`print("first ran")`);
    await env.enqueue(first, q);
    const d = env.daemon(["--queue", "sched", "--foreground", "--polling-interval", "1"], NO_GPUS);
    await d.waitFor(/Worker "testhost:0" paused, pulling no task: inside downtime/);
    assert.equal((await env.task(first)).status, "queued");
    const worker = async () =>
      (await env.client.call<{ workers: { id: string; system_tags?: string[] }[] }>("workers.get_all", {}))
        .workers.find((w) => w.id === "testhost:0");
    await waitFor(async () => (await worker())?.system_tags?.[0] === "paused:inside downtime", "paused tag");

    // The worker's runtime property beats the schedule.
    await env.client.call("workers.set_runtime_properties", {
      worker: "testhost:0",
      runtime_properties: [{ key: "force", value: "on", expiry: 3600 }],
    });
    await d.waitFor(/resumed pulling tasks: forced on by runtime property "force: on"/);
    await env.waitTask(first, (t) => t.status === "completed");
    await waitFor(async () => (await worker())?.system_tags?.length === 0, "paused tag cleared");

    // A queue tag beats the runtime property.
    await env.client.call("queues.update", { queue: q, tags: ["force_workers:off"] });
    await d.waitFor(/paused, pulling no task: forced off by queue tag "force_workers:off"/);
    const second = await env.createTask(`print("second ran")`);
    await env.enqueue(second, q);
    const status = await env.cli(["daemon", "--status", "--queue", "sched"], NO_GPUS);
    assert.equal(status.code, 1);
    const lines = status.out.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, 2), ["Working hours downtime configurations", "  - 00:00-23:59 on SUN-SAT"]);
    assert.ok(lines.includes("Currently forced ON"), status.out);
    assert.ok(
      lines.some((l) => /^ {2}- Server runtime property 'force: on' expires at \d\d:\d\d$/.test(l)),
      status.out,
    );
    assert.ok(lines.includes("Currently forced OFF"), status.out);
    assert.ok(lines.includes("  - Listening to queue 'sched' (tagged 'force_workers:off')"), status.out);
    assert.ok(lines.includes('Worker "testhost:0": not pulling (forced off by queue tag "force_workers:off")'));

    // drain:<worker id> on its queue: the daemon exits 0, the queued task stays queued, the tag is gone.
    await env.client.call("queues.update", { queue: q, tags: ["force_workers:off", "drain:testhost:0"] });
    assert.equal((await d.status).code, 0);
    assert.match(d.output(), /Queue "sched" is tagged "drain:testhost:0": draining/);
    assert.equal((await env.task(second)).status, "queued");
    const queue = await env.client.call<{ queues: { tags: string[] }[] }>("queues.get_all", { id: [q] });
    assert.deepEqual(queue.queues[0].tags, ["force_workers:off"]);
  } finally {
    await env.close();
  }
});

Deno.test("daemon --stop --drain in services mode lets every running task finish, takes no new one, and exits 0", async () => {
  const env = await startDaemonEnv();
  try {
    const q = await env.queue("svc-drain");
    const work = `import time\nprint("working", flush=True)\ntime.sleep(2)\nprint("done")`;
    const running = [await env.createTask(work), await env.createTask(work)];
    const waiting = await env.createTask(`print("never")`);
    for (const id of [...running, waiting]) await env.enqueue(id, q);
    const d = env.daemon(["--queue", "svc-drain", "--services-mode", "2", "--foreground"]);
    await d.waitFor(/Reached max number of services 2/);
    const res = await env.cli(["daemon", "--stop", "--drain", "--services-mode"]);
    assert.equal(res.code, 0, res.out);
    assert.equal((await d.status).code, 0);
    for (const id of running) assert.equal((await env.task(id)).status, "completed");
    assert.equal((await env.task(waiting)).status, "queued");
  } finally {
    await env.close();
  }
});

Deno.test("daemon refuses a configuration with both agent.uptime and agent.downtime, and a fraction, with one line", async () => {
  const env = await startDaemonEnv({ agent: { uptime: ["9-17 MON-FRI"], downtime: ["1-2 SUN"] } });
  try {
    const both = await runCli(["daemon", "--queue", "x"], { env: env.env });
    assert.equal(both.code, 1);
    assert.equal(
      both.stderr.trim(),
      "clearml-agent: error: agent.uptime and agent.downtime are both set in the configuration: keep one of them",
    );
    const fraction = await runCli(
      ["daemon", "--dynamic-gpus", "--gpus", "0-1", "--queue", "half=0.5", "--docker"],
      { env: env.env },
    );
    assert.deepEqual([fraction.code, fraction.stderr.trim()], [
      1,
      "clearml-agent: error: not implemented yet: fractional GPUs",
    ]);
  } finally {
    await env.close();
  }
});

async function waitFor(pred: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
