/**
 * `WorkerSchedule` against the embedded server: queue tags and the `force` runtime property (with its expiry)
 * override the working hours, read at most every `refreshMs` of an injected clock; the `drain:<id>` tag; a server
 * without runtime properties; `daemon --status` lines. No test sleeps: both clocks are moved by hand.
 */
import assert from "node:assert/strict";
import { ApiClient } from "../../lib/api/client.ts";
import { parseSchedule } from "../../lib/worker/schedule_spans.ts";
import type { WorkingHours } from "../../lib/worker/schedule.ts";
import { scheduleStatus } from "../../lib/worker/schedule_status.ts";
import { WorkerSchedule } from "../../lib/worker/worker_schedule.ts";
import { startTestServer, TEST_ACCESS_KEY, TEST_SECRET_KEY, type TestServer } from "../helpers/server.ts";

const UPTIME: WorkingHours = { kind: "uptime", entries: ["9-17 MON-FRI"], spans: parseSchedule(["9-17 MON-FRI"]) };
// Local times: 2025-01-06 is a Monday.
const MONDAY_10 = new Date(2025, 0, 6, 10, 0).getTime();
const MONDAY_22 = new Date(2025, 0, 6, 22, 0).getTime();
const TUESDAY_10 = new Date(2025, 0, 7, 10, 0).getTime();

async function world(srv: TestServer) {
  const client = new ApiClient({ host: srv.url, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY });
  const make = async (name: string, tags: string[] = []) => ({
    id: (await srv.client.ok("queues.create", { name, tags })).id as string,
    name,
    tags,
  });
  return { client, gpu: await make("gpu"), cpu: await make("cpu") };
}

const setForce = (srv: TestServer, worker: string, value: string, expiry?: number) =>
  srv.client.ok("workers.set_runtime_properties", {
    worker,
    runtime_properties: [{ key: "force", value, ...(expiry !== undefined ? { expiry } : {}) }],
  });

Deno.test("WorkerSchedule follows the working hours, then the force property until it expires, then queue tags", async () => {
  const srv = await startTestServer();
  try {
    const { client, gpu, cpu } = await world(srv);
    let now = MONDAY_22;
    const lines: string[] = [];
    const changes: boolean[] = [];
    const schedule = new WorkerSchedule({
      client,
      workerId: "box:0",
      queues: [gpu, cpu],
      hours: UPTIME,
      refreshMs: 5_000,
      now: () => now,
      say: (l) => lines.push(l),
      onChange: (s) => changes.push(s.active),
    });
    await schedule.refresh();
    assert.deepEqual(schedule.update(), { active: false, reason: "outside working hours" });
    assert.match(lines.at(-1)!, /^Worker "box:0" paused, pulling no task: outside working hours$/);

    // Forced on for 60 s (server clock): read at the next refresh only.
    await setForce(srv, "box:0", "ON", 60);
    await schedule.refresh();
    assert.equal(schedule.decide(gpu).active, false, "not refetched before refreshMs");
    now += 5_000;
    await schedule.refresh();
    assert.deepEqual(schedule.decide(gpu), {
      active: true,
      source: "runtime property",
      reason: 'forced on by runtime property "force: on"',
    });
    assert.equal(schedule.force?.expiresAt, now + 60_000);
    assert.equal(schedule.update().active, true);
    assert.match(lines.at(-1)!, /resumed pulling tasks: forced on/);

    // The expiry passes on the agent's clock before the next fetch; then the server drops it too.
    now += 61_000;
    assert.equal(schedule.decide(gpu).active, false);
    srv.clock.advance(61_000);
    await schedule.refresh();
    assert.equal(schedule.force, null);
    assert.equal(schedule.update().active, false);

    // Queue tags beat everything: "off" on gpu while forced on; "on" on cpu outside the working hours.
    await setForce(srv, "box:0", "on");
    await srv.client.ok("queues.update", { queue: gpu.id, tags: ["force_workers:off"] });
    await srv.client.ok("queues.update", { queue: cpu.id, tags: ["force_workers:on"] });
    now += 5_000;
    await schedule.refresh();
    assert.deepEqual([schedule.decide(gpu).active, schedule.decide(gpu).source], [false, "queue tag"]);
    assert.deepEqual([schedule.decide(cpu).active, schedule.decide(cpu).source], [true, "queue tag"]);

    // Expiry 0 removes the property; inside working hours the schedule decides again.
    await setForce(srv, "box:0", "on", 0);
    await srv.client.ok("queues.update", { queue: gpu.id, tags: [] });
    await srv.client.ok("queues.update", { queue: cpu.id, tags: [] });
    now = TUESDAY_10;
    await schedule.refresh();
    assert.equal(schedule.force, null);
    assert.deepEqual(schedule.update(), { active: true, reason: "inside working hours" });
    assert.deepEqual(changes, [false, true, false, true]);
  } finally {
    await srv.close();
  }
});

Deno.test("WorkerSchedule warns once about an invalid force value and ignores it", async () => {
  const srv = await startTestServer();
  try {
    const { client, gpu } = await world(srv);
    const lines: string[] = [];
    const schedule = new WorkerSchedule({
      client,
      workerId: "box:1",
      queues: [gpu],
      hours: UPTIME,
      refreshMs: 0,
      now: () => MONDAY_22,
      say: (l) => lines.push(l),
    });
    await setForce(srv, "box:1", "maybe");
    await schedule.refresh();
    await schedule.refresh();
    assert.equal(schedule.decide(gpu).source, "schedule");
    assert.deepEqual(lines, [
      "Warning: invalid runtime_property 'force: maybe' supported values are: 'on'/'off', ignoring",
    ]);
  } finally {
    await srv.close();
  }
});

Deno.test("WorkerSchedule drains on a drain:<worker id> queue tag and removes the tag", async () => {
  const srv = await startTestServer();
  try {
    const { client, gpu, cpu } = await world(srv);
    const lines: string[] = [];
    const schedule = new WorkerSchedule({
      client,
      workerId: "box:2",
      queues: [gpu, cpu],
      hours: null,
      refreshMs: 0,
      say: (l) => lines.push(l),
    });
    await srv.client.ok("queues.update", { queue: cpu.id, tags: ["drain:box:9", "keep"] });
    await schedule.refresh();
    assert.equal(schedule.drainSignal.aborted, false, "another worker's tag");
    await srv.client.ok("queues.update", { queue: cpu.id, tags: ["drain:box:9", "drain:box:2", "keep"] });
    await schedule.refresh();
    assert.equal(schedule.drainSignal.aborted, true);
    assert.match(lines.join("\n"), /Queue "cpu" is tagged "drain:box:2": draining/);
    const [q] = (await srv.client.ok("queues.get_all", { id: [cpu.id] })).queues;
    assert.deepEqual(q.tags, ["drain:box:9", "keep"]);
  } finally {
    await srv.close();
  }
});

/** A server that lacks runtime properties, as an open-source ClearML server (404), in front of ours. */
function withoutRuntimeProperties(target: string): { url: string; close: () => Promise<void> } {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname.endsWith("workers.get_runtime_properties")) {
      const msg = "Unable to find endpoint for name workers.get_runtime_properties and version 2.31";
      return Response.json({ meta: { result_code: 404, result_subcode: 0, result_msg: msg }, data: {} }, {
        status: 404,
      });
    }
    const body = await req.arrayBuffer();
    return await fetch(`${target}${url.pathname}${url.search}`, {
      method: "POST",
      headers: req.headers,
      body: body.byteLength > 0 ? body : undefined,
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("WorkerSchedule on a server without runtime properties says so once and keeps the schedule and tags", async () => {
  const srv = await startTestServer();
  const proxy = withoutRuntimeProperties(srv.url);
  try {
    const { gpu } = await world(srv);
    const client = new ApiClient({
      host: proxy.url,
      accessKey: TEST_ACCESS_KEY,
      secretKey: TEST_SECRET_KEY,
      defaultMethod: "post",
    });
    const lines: string[] = [];
    const schedule = new WorkerSchedule({
      client,
      workerId: "box:3",
      queues: [gpu],
      hours: UPTIME,
      refreshMs: 0,
      now: () => MONDAY_22,
      say: (l) => lines.push(l),
    });
    await schedule.refresh();
    await schedule.refresh();
    assert.equal(schedule.propertiesSupported, false);
    assert.deepEqual(lines, ['Note: the server has no worker runtime properties (404): the "force" override is off']);
    assert.equal(schedule.decide(gpu).reason, "outside working hours");
    await srv.client.ok("queues.update", { queue: gpu.id, tags: ["force_workers:on"] });
    await schedule.refresh();
    assert.equal(schedule.decide(gpu).active, true);
  } finally {
    await proxy.close();
    await srv.close();
  }
});

Deno.test("scheduleStatus() prints hours, forcing with expiry, the worker's state and each queue", async () => {
  const srv = await startTestServer();
  try {
    const { client, gpu } = await world(srv);
    await srv.client.ok("queues.update", { queue: gpu.id, tags: ["force_workers:on"] });
    await setForce(srv, "box:4", "off", 3600);
    const lines = await scheduleStatus({
      client,
      hours: UPTIME,
      queues: ["gpu", "cpu"],
      workerId: "box:4",
      now: () => MONDAY_10,
    });
    const expires = new Date(MONDAY_10 + 3600_000);
    const hhmm = `${String(expires.getHours()).padStart(2, "0")}:${String(expires.getMinutes()).padStart(2, "0")}`;
    const cpuId = (await srv.client.ok("queues.get_all", { name: "^cpu$" })).queues[0].id;
    assert.deepEqual(lines, [
      "Working hours uptime configurations",
      "  - 09:00-16:59 on MON-FRI",
      "Currently forced ON",
      "  - Listening to queue 'gpu' (tagged 'force_workers:on')",
      "Currently forced OFF",
      `  - Server runtime property 'force: off' expires at ${hhmm}`,
      'Worker "box:4": pulling (forced on by queue tag "force_workers:on")',
      "Queues:",
      `  - 'gpu' (${gpu.id}): pulling, forced on by queue tag "force_workers:on"`,
      `  - 'cpu' (${cpuId}): not pulling, forced off by runtime property "force: off"`,
    ]);
    const offline = new ApiClient({ host: "http://127.0.0.1:9", accessKey: "x", secretKey: "y" });
    const local = await scheduleStatus({ client: offline, hours: null, queues: [], workerId: "box:4" });
    assert.equal(local[0], "No uptime/downtime configurations found");
    assert.match(local[1], /^Cannot read queue tags and runtime properties from the server: /);
  } finally {
    await srv.close();
  }
});
