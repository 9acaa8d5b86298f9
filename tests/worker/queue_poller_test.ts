import assert from "node:assert/strict";
import { ApiClient } from "../../lib/api/client.ts";
import { QueuePoller, resolveQueues } from "../../lib/worker/queue_poller.ts";
import { startTestServer, TEST_ACCESS_KEY, TEST_SECRET_KEY, type TestServer } from "../helpers/server.ts";

async function withServer(fn: (srv: TestServer, client: ApiClient) => Promise<void>): Promise<void> {
  const srv = await startTestServer();
  const client = new ApiClient({ host: srv.url, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY });
  try {
    await client.login();
    await fn(srv, client);
  } finally {
    await srv.close();
  }
}

async function task(client: ApiClient, name: string, queue: string): Promise<string> {
  const { id } = await client.call<{ id: string }>("tasks.create", { name, type: "training" });
  await client.call("tasks.enqueue", { task: id, queue });
  return id;
}

Deno.test("resolveQueues() resolves names and ids in order, creates with create, and names an unknown queue", async () => {
  await withServer(async (_srv, client) => {
    const a = await client.call<{ id: string }>("queues.create", { name: "alpha" });
    const resolved = await resolveQueues(client, ["alpha", a.id]);
    assert.deepEqual(resolved.map((q) => [q.id, q.name]), [[a.id, "alpha"], [a.id, "alpha"]]);
    await assert.rejects(() => resolveQueues(client, ["nope"]), /Could not find queue with name\/id "nope"/);
    const [made] = await resolveQueues(client, ["made"], { create: true });
    assert.equal(made.name, "made");
    const [dflt] = await resolveQueues(client, []);
    assert.equal(dflt.name, "default");
  });
});

Deno.test("QueuePoller.next() takes tasks in priority order, or round-robin with fairness", async () => {
  await withServer(async (_srv, client) => {
    const queues = await resolveQueues(client, ["high", "low"], { create: true });
    for (const fairness of [false, true]) {
      const names = new Map<string, string>();
      for (let i = 0; i < 3; i++) {
        for (const q of queues) names.set(await task(client, `${q.name}-${i}`, q.id), `${q.name}-${i}`);
      }
      const poller = new QueuePoller({ client, queues, fairness, say: () => {} });
      const stop = new AbortController();
      const got: string[] = [];
      for (let i = 0; i < 6; i++) got.push(names.get((await poller.next(stop.signal))!.taskId)!);
      assert.deepEqual(
        got,
        fairness
          ? ["high-0", "low-0", "high-1", "low-1", "high-2", "low-2"]
          : ["high-0", "high-1", "high-2", "low-0", "low-1", "low-2"],
      );
    }
  });
});

Deno.test("QueuePoller long-polls when the server advertises it, and a graceful stop hands a task popped meanwhile back", async () => {
  await withServer(async (srv, client) => {
    const queues = await resolveQueues(client, ["longpoll"], { create: true });
    const poller = new QueuePoller({ client, queues, fairness: false, longPollMs: 2_000, say: () => {} });
    assert.equal(poller.longPoll, true);
    const stop = new AbortController();
    const pending = poller.next(stop.signal);
    while (srv.waitingPolls === 0) await new Promise((r) => setTimeout(r, 10));
    const id = await task(client, "arrives later", queues[0].id);
    assert.equal((await pending)?.taskId, id);

    const lines: string[] = [];
    const stopping = new QueuePoller({ client, queues, fairness: false, longPollMs: 2_000, say: (l) => lines.push(l) });
    const next = stopping.next(stop.signal);
    while (srv.waitingPolls === 0) await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    const late = await task(client, "popped while stopping", queues[0].id);
    assert.equal(await next, null);
    const q = await client.call<{ queue: { entries: { task: string }[] } }>("queues.get_by_id", {
      queue: queues[0].id,
    });
    assert.deepEqual(q.queue.entries.map((e) => e.task), [late]);
    assert.match(lines.join("\n"), /returned to queue "longpoll"/);
  });
});

Deno.test("QueuePoller uses short polls without the extension and never more than 2 requests per second", async () => {
  await withServer(async (_srv, client) => {
    const queues = await resolveQueues(client, ["short1", "short2", "short3"], { create: true });
    const poller = new QueuePoller({
      client,
      queues,
      fairness: false,
      longPoll: false,
      idleIntervalMs: 1,
      say: () => {},
    });
    assert.equal(poller.longPoll, false);
    const calls: number[] = [];
    const counting = new Proxy(client, {
      get: (target, prop) =>
        prop === "call"
          ? (endpoint: string, ...rest: unknown[]) => {
            if (endpoint === "queues.get_next_task") calls.push(performance.now());
            // deno-lint-ignore no-explicit-any
            return (target.call as any)(endpoint, ...rest);
          }
          : Reflect.get(target, prop),
    });
    const idle = new QueuePoller({
      client: counting as ApiClient,
      queues,
      fairness: false,
      longPoll: false,
      idleIntervalMs: 1,
      say: () => {},
      random: () => 0.5,
    });
    const stop = new AbortController();
    const run = idle.next(stop.signal);
    await new Promise((r) => setTimeout(r, 2_000));
    stop.abort();
    assert.equal(await run, null);
    const rounds = Math.ceil(calls.length / queues.length);
    assert.ok(rounds >= 1 && rounds <= 2, `one round of 3 requests per 1.5 s at most (${calls.length} requests)`);
    assert.equal(poller.longPoll, false);
  });
});
