import assert from "node:assert/strict";
import { spawnChild } from "../../lib/process/child.ts";
import {
  groupRecordOf,
  killLeftoverGroup,
  leftoverMembers,
  readGroupRecord,
  writeGroupRecord,
} from "../../lib/process/group_record.ts";
import { groupAlive } from "../../lib/process/proc_table.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("killLeftoverGroup() kills a recorded tree that is still running and removes the record", async () => {
  await withDir(async (dir) => {
    const child = spawnChild({
      cmd: "sh",
      args: ["-c", "trap '' INT TERM; sleep 1000 & sleep 1000 & wait"],
      output: "null",
    });
    const path = `${dir}/run/task.pgid`;
    await writeGroupRecord(path, groupRecordOf(child.pgid, "task abc"));
    await new Promise((r) => setTimeout(r, 50));

    const out = await killLeftoverGroup(path, { graceMs: 100 });

    assert.equal(out.record?.pgid, child.pgid);
    assert.equal(out.record?.label, "task abc");
    assert.ok(out.found.includes(child.pgid) && out.found.length >= 3, `found ${out.found}`);
    assert.deepEqual(out.result?.remaining, []);
    assert.equal(groupAlive(child.pgid), false);
    assert.equal((await child.status).signal, "SIGKILL");
    assert.equal(await readGroupRecord(path), null);
  });
});

Deno.test("leftoverMembers() ignores a live pid whose start time differs from the record (pid reuse)", async () => {
  const child = spawnChild({ cmd: "sleep", args: ["1000"], output: "null" });
  try {
    const record = groupRecordOf(child.pgid);
    assert.equal(leftoverMembers(record).map((p) => p.pid).includes(child.pid), true);
    const reused = { ...record, startTicks: (record.startTicks ?? 0) - 1 };
    assert.deepEqual(leftoverMembers(reused), []);
    const otherBoot = { ...record, bootId: "00000000-0000-0000-0000-000000000000" };
    assert.deepEqual(leftoverMembers(otherBoot), []);
  } finally {
    await child.terminate({ graceMs: 0 });
  }
});

Deno.test("killLeftoverGroup() leaves an unrelated process with a reused pid alone", async () => {
  await withDir(async (dir) => {
    const child = spawnChild({ cmd: "sleep", args: ["1000"], output: "null" });
    try {
      const path = `${dir}/task.pgid`;
      const record = groupRecordOf(child.pgid);
      await writeGroupRecord(path, { ...record, startTicks: (record.startTicks ?? 0) - 5 });
      const out = await killLeftoverGroup(path, { graceMs: 0 });
      assert.deepEqual(out.found, []);
      assert.equal(out.result, null);
      assert.equal(child.groupAlive(), true);
    } finally {
      await child.terminate({ graceMs: 0 });
    }
  });
});

Deno.test("readGroupRecord() returns null for a missing file and rejects a corrupt one naming the file", async () => {
  await withDir(async (dir) => {
    assert.equal(await readGroupRecord(`${dir}/none`), null);
    await Deno.writeTextFile(`${dir}/bad`, "{not json");
    await assert.rejects(readGroupRecord(`${dir}/bad`), /Invalid process group record ".*\/bad": not JSON/);
    await Deno.writeTextFile(`${dir}/one`, JSON.stringify({ pgid: 1 }));
    await assert.rejects(readGroupRecord(`${dir}/one`), /no valid "pgid"/);
  });
});
