import assert from "node:assert/strict";
import { ApiClient } from "../../lib/api/client.ts";
import { LONG_POLL_EXTENSION, longPollWaitMs, QueuePoller, resolveQueues } from "../../lib/worker/queue_poller.ts";
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

function countingClient(client: ApiClient, calls: { endpoint: string; body: unknown; at: number }[]): ApiClient {
  return new Proxy(client, {
    get: (target, prop) =>
      prop === "call"
        ? (endpoint: string, body: unknown, ...rest: unknown[]) => {
          calls.push({ endpoint, body, at: performance.now() });
          // deno-lint-ignore no-explicit-any
          return (target.call as any)(endpoint, body, ...rest);
        }
        : Reflect.get(target, prop),
  });
}

Deno.test("QueuePoller short-polls a server without long poll once per polling interval (5 s by default)", async () => {
  await withServer(async (_srv, client) => {
    const queues = await resolveQueues(client, ["short1", "short2", "short3"], { create: true });
    const calls: { endpoint: string; body: unknown; at: number }[] = [];
    const idle = new QueuePoller({
      client: countingClient(client, calls),
      queues,
      fairness: false,
      longPoll: false,
      say: () => {},
      random: () => 0.5,
    });
    assert.equal(idle.longPoll, false);
    assert.equal(idle.idleWaitMs(), 5_000);
    const stop = new AbortController();
    const run = idle.next(stop.signal);
    await new Promise((r) => setTimeout(r, 1_500));
    stop.abort();
    assert.equal(await run, null);
    const polls = calls.filter((c) => c.endpoint === "queues.get_next_task");
    assert.equal(polls.length, 3, "one round over the three queues, then a 5 s pause");
    assert.ok(polls.every((c) => !("wait_ms" in (c.body as Record<string, unknown>))));
    // --polling-interval below 1 s is raised to 1 s.
    const fast = new QueuePoller({
      client,
      queues,
      fairness: false,
      longPoll: false,
      idleIntervalMs: 1,
      say: () => {},
    });
    assert.equal(fast.idleWaitMs(), 1_000);
  });
});

Deno.test("QueuePoller polls every second for 10 s after a pick, then every polling interval", async () => {
  await withServer(async (_srv, client) => {
    const queues = await resolveQueues(client, ["burst"], { create: true });
    let now = 1_000_000;
    const poller = new QueuePoller({
      client,
      queues,
      fairness: false,
      longPoll: false,
      idleIntervalMs: 7_000,
      now: () => now,
      say: () => {},
    });
    assert.equal(poller.idleWaitMs(), 7_000);
    const id = await task(client, "picked", queues[0].id);
    assert.equal((await poller.next(new AbortController().signal))?.taskId, id);
    assert.equal(poller.idleWaitMs(), 1_000);
    now += 9_999;
    assert.equal(poller.idleWaitMs(), 1_000);
    now += 2;
    assert.equal(poller.idleWaitMs(), 7_000);
  });
});

Deno.test("QueuePoller short-polls a server started without long poll (server --no-long-poll)", async () => {
  const srv = await startTestServer({ longPoll: false });
  const client = new ApiClient({ host: srv.url, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY });
  try {
    await client.login();
    assert.equal(client.hasExtension(LONG_POLL_EXTENSION), false);
    const [q] = await resolveQueues(client, ["plain"], { create: true });
    assert.equal(new QueuePoller({ client, queues: [q], fairness: false, say: () => {} }).longPoll, false);
    // Like a real ClearML server, it ignores wait_ms: an empty queue answers at once.
    const t0 = performance.now();
    const answer = await client.call<Record<string, unknown>>("queues.get_next_task", { queue: q.id, wait_ms: 3_000 });
    assert.deepEqual(answer, {});
    assert.ok(performance.now() - t0 < 2_000, "no long poll");
    const info = await client.call<Record<string, unknown>>("server.info", {}, { version: "2.20" });
    assert.equal(info.extensions, undefined);
  } finally {
    await srv.close();
  }
});

Deno.test("longPollWaitMs() splits one 5 s round over the queues, at least 1 s per call", () => {
  assert.deepEqual([1, 2, 3, 5, 8].map((n) => longPollWaitMs(5_000, n)), [5_000, 2_500, 1_667, 1_000, 1_000]);
});
