import assert from "node:assert/strict";
import { TaskLog, taskSpoolDir } from "../../lib/job/task_log.ts";
import type { LogEvent } from "../../lib/wire/log_event.ts";

function lines(events: LogEvent[]): string[] {
  return events.flatMap((e) => e.msg.replace(/\n$/, "").split("\n"));
}

Deno.test("TaskLog keeps undelivered lines in the task's spool and the next TaskLog of the task sends them first", async () => {
  const root = await Deno.makeTempDir();
  try {
    let up = false;
    const sent: LogEvent[] = [];
    const printed: string[] = [];
    const open = () =>
      TaskLog.open({
        taskId: "T1",
        workerId: "W",
        spoolRoot: root,
        stdout: (b) => printed.push(new TextDecoder().decode(b)),
        upload: (events) => up ? (sent.push(...events), Promise.resolve()) : Promise.reject(new Error("server down")),
      });
    const first = open();
    first.info("agent says hi");
    first.output(new TextEncoder().encode("out 1\nout 2\npartial"), "stdout");
    assert.equal(await first.close({ timeoutMs: 300 }), false);
    assert.equal(first.pending, 4);
    await Deno.stat(taskSpoolDir(root, "T1"));

    up = true;
    const second = open();
    second.lines(["again"]);
    assert.equal(await second.close({ timeoutMs: 5_000 }), true);
    assert.deepEqual(lines(sent), ["agent says hi", "out 1", "out 2", "partial", "again"]);
    assert.deepEqual(sent.slice(0, 2).map((e) => e.level), ["INFO", "DEBUG"]);
    await assert.rejects(() => Deno.stat(taskSpoolDir(root, "T1")), Deno.errors.NotFound);
    assert.equal(printed.join(""), "agent says hi\nout 1\nout 2\npartialagain\n");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("TaskLog sends a partial line (a progress bar without newline) once it is partialFlushMs old", async () => {
  const root = await Deno.makeTempDir();
  try {
    const sent: LogEvent[] = [];
    const log = TaskLog.open({
      taskId: "T2",
      workerId: "W",
      spoolRoot: root,
      stdout: () => {},
      partialFlushMs: 50,
      latencyMs: 10,
      upload: (events) => (sent.push(...events), Promise.resolve()),
    });
    log.output(new TextEncoder().encode(" 10%\r 50%"), "stdout");
    for (let i = 0; i < 100 && sent.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(lines(sent), [" 50%"]);
    assert.equal(await log.close(), true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
