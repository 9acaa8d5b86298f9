/**
 * End-to-end `clearml-agent daemon` against the embedded server: real daemon processes, real `execute` children,
 * real Python tasks.
 */
import assert from "node:assert/strict";
import { startDaemonEnv } from "../helpers/daemon_env.ts";

Deno.test("daemon serves two queues in priority order, and round-robin with --order-fairness", async () => {
  const env = await startDaemonEnv();
  try {
    const high = await env.queue("high");
    const low = await env.queue("low");
    for (const [fairness, label] of [[false, "prio"], [true, "fair"]] as const) {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        for (const [q, name] of [[high, "high"], [low, "low"]]) {
          const id = await env.createTask(`print("${label} ${name} ${i}")`, `${label}-${name}-${i}`);
          await env.enqueue(id, q);
          ids.push(id);
        }
      }
      const d = env.daemon(["--queue", "high", "low", "--foreground", ...(fairness ? ["--order-fairness"] : [])]);
      const done = await Promise.all(ids.map((id) => env.waitTask(id, (t) => t.status === "completed", 120_000)));
      assert.equal(await d.stop(), 0);
      const names = new Map(done.map((t) => [t.id as string, t.name as string]));
      const order = [...d.output().matchAll(/^Running task '(\w+)'/gm)].map((m) => names.get(m[1]));
      const want = fairness
        ? [0, 1, 2, 3, 4].flatMap((i) => [`${label}-high-${i}`, `${label}-low-${i}`])
        : [...[0, 1, 2, 3, 4].map((i) => `${label}-high-${i}`), ...[0, 1, 2, 3, 4].map((i) => `${label}-low-${i}`)];
      assert.deepEqual(order, want);
    }
  } finally {
    await env.close();
  }
});

function procStat(pid: number): { pgid: number; state: string } | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0], pgid: Number(rest[2]) };
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  const s = procStat(pid);
  return s !== null && s.state !== "Z";
}

function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const s = procStat(Number(e.name));
    if (s && s.state !== "Z" && s.pgid === pgid) out.push(Number(e.name));
  }
  return out;
}

const FORKS_STUBBORN_GRANDCHILD = `
import os, subprocess, time
g = subprocess.Popen(["bash", "-c", "trap '' TERM; while true; do sleep 0.2; done"])
print("pids", os.getpid(), g.pid, flush=True)
time.sleep(600)
`;

Deno.test("daemon stops an aborted task's whole tree within the grace period: task stopped, reason user abort", async () => {
  const env = await startDaemonEnv({ agent: { abort_grace_s: 1 } });
  try {
    const q = await env.queue("abort");
    const id = await env.createTask(FORKS_STUBBORN_GRANDCHILD);
    await env.enqueue(id, q);
    const d = env.daemon(["--queue", "abort", "--foreground"]);
    const m = await d.waitFor(/^pids (\d+) (\d+)$/m);
    const [task, grandchild] = [Number(m[1]), Number(m[2])];
    const state = JSON.parse(await Deno.readTextFile(`${env.stateDir}/workers/testhost_0.json`));
    const executorGroup = state.group.pgid as number;
    assert.equal(state.taskId, id);
    assert.ok(alive(task) && alive(grandchild));
    assert.equal(procStat(grandchild)!.pgid, procStat(task)!.pgid);
    const started = performance.now();
    await env.client.call("tasks.stop", { task: id });
    const t = await env.waitTask(id, (t) => t.status === "stopped", 30_000);
    const elapsed = performance.now() - started;
    assert.equal(t.status_reason, "user abort");
    assert.ok(!alive(task), "the task process is gone");
    assert.ok(!alive(grandchild), "the grandchild that ignores SIGTERM is gone");
    const left = groupMembers(task);
    assert.deepEqual(
      left,
      [],
      left.map((p) =>
        `${p}: ${Deno.readTextFileSync(`/proc/${p}/stat`)} ${Deno.readTextFileSync(`/proc/${p}/cmdline`)}`
      ).join("\n"),
    );
    assert.deepEqual(groupMembers(executorGroup), []);
    console.log(`abort → stopped and tree gone in ${elapsed.toFixed(0)} ms (grace 1000 ms)`);
    const lines = await env.logLines(id);
    assert.ok(lines.some((l) => l.startsWith("User aborted: stopping task")), lines.join("\n"));
    assert.equal(lines.at(-1), "Process aborted by user");
    assert.equal(await d.stop(), 0);
  } finally {
    await env.close();
  }
});
