/**
 * The log event's wire shapes end to end: the agent's client sends `LogEvent`s built by `lib/logs/log_events.ts`
 * to the embedded server, and reads them back as the `TaskLogEvent`s of a `TaskLogPage`.
 */
import assert from "node:assert/strict";
import { ApiClient } from "../../lib/api/client.ts";
import { addLogEvents, getTaskLog } from "../../lib/api/events.ts";
import { buildLogEvents } from "../../lib/logs/log_events.ts";
import { isLogLevel, LOG_LEVELS, type LogEvent } from "../../lib/wire/log_event.ts";
import { TEST_ACCESS_KEY, TEST_SECRET_KEY, withServer } from "../helpers/server.ts";

Deno.test("isLogLevel() accepts the five upper-case levels only", () => {
  for (const level of LOG_LEVELS) assert.equal(isLogLevel(level), true, level);
  for (const other of ["info", "WARN", "", "FATAL", 10, null, undefined]) assert.equal(isLogLevel(other), false);
});

Deno.test("LogEvents built by the agent go to events.add_batch and come back from events.get_task_log", async () => {
  await withServer(async (srv) => {
    const { id: task } = await srv.client.ok("tasks.create", { name: "wire log", type: "training" });
    const client = new ApiClient({
      host: srv.url,
      accessKey: TEST_ACCESS_KEY,
      secretKey: TEST_SECRET_KEY,
      worker: "header:w",
    });
    const { events } = buildLogEvents([
      { seq: 1, ts: 1000, level: "DEBUG", text: "out 1" },
      { seq: 2, ts: 1001, level: "DEBUG", text: "out 2" },
      { seq: 3, ts: 1002, level: "WARNING", text: "careful" },
    ], { task, worker: "host:cpu" });
    const sent: LogEvent[] = [...events, { type: "log", task, level: "INFO", msg: "no worker\n", timestamp: 2000 }];
    assert.equal(await addLogEvents(client, sent), 3);

    const page = await getTaskLog(client, task);
    assert.equal(page.total, 3);
    assert.deepEqual(
      page.events.map((e) => [e.timestamp, e.level, e.msg, e.worker, e.task, e.type]),
      [
        [1000, "DEBUG", "out 1\nout 2\n", "host:cpu", task, "log"],
        [1002, "WARNING", "careful\n", "host:cpu", task, "log"],
        [2000, "INFO", "no worker\n", "header:w", task, "log"],
      ],
    );
    for (const e of page.events) assert.equal(typeof e["@timestamp"], "string");
    const after = await getTaskLog(client, task, { fromTimestamp: 1002 });
    assert.deepEqual(after.events.map((e) => e.msg), ["no worker\n"]);
  });
});
