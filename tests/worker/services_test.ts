/**
 * `daemon --services-mode` end to end without docker (real daemon, real `execute` children, real Python tasks):
 * the daemon takes the next task without waiting, at most N at once, each task its own worker
 * (`<daemon id>:service:<task>`), aborted on its own; a finished one frees its slot.
 */
import assert from "node:assert/strict";
import { startDaemonEnv } from "../helpers/daemon_env.ts";

const SERVICE = `
import os, time
print("service", os.environ.get("CLEARML_WORKER_ID"), flush=True)
time.sleep(600)
`;

Deno.test("services mode with N=3 runs exactly 3 of 6 long tasks at once; aborting one lets the 4th start", async () => {
  const env = await startDaemonEnv();
  try {
    const d = env.daemon(["--queue", "services", "--create-queue", "--services-mode", "3", "--foreground"]);
    await d.waitFor(/Worker "testhost:cpu:0" - Listening/);
    await d.waitFor(/running in services mode \(at most 3 at once\)/);
    const q = await env.queue("services");
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(await env.createTask(SERVICE, `service-${i}`));
      await env.enqueue(ids[i], q);
    }
    const statuses = async () => (await Promise.all(ids.map((id) => env.task(id)))).map((t) => t.status);

    // The daemon claims three, then waits for a free slot: three in progress, three still queued.
    await d.waitFor(/Reached max number of services 3/);
    assert.deepEqual(await statuses(), ["in_progress", "in_progress", "in_progress", "queued", "queued", "queued"]);
    for (const id of ids.slice(0, 3)) {
      const worker = `testhost:cpu:0:service:${id}`;
      await env.waitTask(id, (t) => t.last_worker === worker);
      await waitFor(async () => (await env.logLines(id)).includes(`service ${worker}`), `${id} prints its worker id`);
    }
    const workers = await env.client.call<{ workers: { id: string }[] }>("workers.get_all", {});
    assert.deepEqual(
      workers.workers.map((w) => w.id).filter((w) => w.includes(":service:")).sort(),
      ids.slice(0, 3).map((id) => `testhost:cpu:0:service:${id}`).sort(),
    );

    // Aborting one stops just that one; its slot goes to the 4th.
    await env.client.call("tasks.stop", { task: ids[1] });
    const aborted = await env.waitTask(ids[1], (t) => t.status === "stopped", 30_000);
    assert.equal(aborted.status_reason, "user abort");
    await env.waitTask(ids[3], (t) => t.status === "in_progress", 60_000);
    await waitFor(() => [...d.output().matchAll(/Reached max number of services 3/g)].length >= 2, "full again");
    assert.deepEqual(await statuses(), ["in_progress", "stopped", "in_progress", "in_progress", "queued", "queued"]);

    // Stopping the daemon stops its services (agent shutdown) and leaves the rest queued.
    assert.equal(await d.stop(), 0);
    const end = await Promise.all(ids.map((id) => env.task(id)));
    assert.deepEqual(end.map((t) => t.status), ["stopped", "stopped", "stopped", "stopped", "queued", "queued"]);
    for (const i of [0, 2, 3]) assert.equal(end[i].status_reason, "agent shutdown");
    const after = await env.client.call<{ workers: { id: string }[] }>("workers.get_all", {});
    assert.deepEqual(after.workers.filter((w) => w.id.startsWith("testhost:")), [], "every worker unregistered");
  } finally {
    await env.close();
  }
});

async function waitFor(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
