import assert from "node:assert/strict";
import { ApiClient } from "../../lib/api/client.ts";
import { LogSpool } from "../../lib/logs/spool.ts";
import { spawnChild } from "../../lib/process/child.ts";
import { taskSpoolDir } from "../../lib/job/task_log.ts";
import { readRunState, reconcile, reconcileOrphans, runStatePath, writeRunState } from "../../lib/worker/reconcile.ts";
import { startTestServer, TEST_ACCESS_KEY, TEST_SECRET_KEY } from "../helpers/server.ts";

function alive(pid: number): boolean {
  try {
    return !Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].startsWith("Z");
  } catch {
    return false;
  }
}

Deno.test("reconcile() kills a dead predecessor's leftover tree, sends its spooled lines and fails the task: agent restarted", async () => {
  const srv = await startTestServer();
  const dir = await Deno.makeTempDir();
  const client = new ApiClient({ host: srv.url, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY });
  try {
    const { id } = await client.call<{ id: string }>("tasks.create", { name: "orphan", type: "training" });
    await client.call("tasks.started", { task: id, force: true });
    const child = spawnChild({ cmd: "sh", args: ["-c", "sleep 60 & sleep 60; wait"], output: "null" });
    await new Promise((r) => setTimeout(r, 100));
    const path = runStatePath(dir, "box:0");
    await writeRunState(path, { workerId: "box:0", taskId: id, pgid: child.pgid });
    assert.equal((await readRunState(path))?.taskId, id);
    const spool = LogSpool.open(taskSpoolDir(`${dir}/spool`, id));
    spool.append("a line the dead agent never sent");
    spool.close();

    const lines: string[] = [];
    const result = await reconcile({
      client,
      stateDir: dir,
      workerId: "box:0",
      spoolRoot: `${dir}/spool`,
      say: (l) => lines.push(l),
    });
    assert.equal(result.taskId, id);
    assert.ok(result.killed.length >= 2, JSON.stringify(result));
    assert.ok(result.killed.every((pid) => !alive(pid)));
    assert.equal(result.markedFailed, true);
    await child.status;
    const task =
      (await client.call<{ task: { status: string; status_reason: string } }>("tasks.get_by_id", { task: id })).task;
    assert.deepEqual([task.status, task.status_reason], ["failed", "agent restarted"]);
    const log = await client.call<{ events: { msg: string }[] }>("events.get_task_log", {
      task: id,
      navigate_earlier: false,
    });
    const text = log.events.map((e) => e.msg).join("");
    assert.match(text, /a line the dead agent never sent\n[^]*Agent restarted: the run of this task was interrupted/);
    assert.equal(await readRunState(path), null);
    assert.equal(
      (await reconcile({ client, stateDir: dir, workerId: "box:0", spoolRoot: dir, say: () => {} })).taskId,
      null,
    );
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reconcileOrphans() also cleans up after dead daemons of other worker ids, never after live ones", async () => {
  const srv = await startTestServer();
  const dir = await Deno.makeTempDir();
  const client = new ApiClient({ host: srv.url, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY });
  try {
    const ids: string[] = [];
    for (const worker of ["box:gpu0", "box:gpu1"]) {
      const { id } = await client.call<{ id: string }>("tasks.create", { name: `run on ${worker}`, type: "training" });
      await client.call("tasks.started", { task: id, force: true });
      const child = spawnChild({ cmd: "sleep", args: ["60"], output: "null" });
      await writeRunState(runStatePath(dir, worker), { workerId: worker, taskId: id, pgid: child.pgid });
      await child.terminate({ graceMs: 0 });
      ids.push(id);
    }
    const results = await reconcileOrphans({
      client,
      stateDir: dir,
      workerId: "box:0",
      spoolRoot: `${dir}/spool`,
      say: () => {},
      liveWorkerIds: new Set(["box:gpu1"]),
      pidAlive: () => false,
    });
    assert.deepEqual(results.map((r) => [r.taskId, r.markedFailed]), [[ids[0], true]]);
    const status = async (id: string) =>
      (await client.call<{ task: { status: string } }>("tasks.get_by_id", { task: id })).task.status;
    assert.deepEqual([await status(ids[0]), await status(ids[1])], ["failed", "in_progress"]);
    assert.equal(await readRunState(runStatePath(dir, "box:gpu1")) !== null, true);
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
