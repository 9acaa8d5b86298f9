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

const LONG_TASK = `
import os, time
print("pids", os.getpid(), flush=True)
time.sleep(600)
`;

async function workers(env: { client: { call: <T>(e: string, b: unknown) => Promise<T> } }): Promise<string[]> {
  const data = await env.client.call<{ workers: { id: string }[] }>("workers.get_all", {});
  return data.workers.map((w) => w.id);
}

Deno.test("daemon --detached returns at once; --stop stops it: task stopped with agent shutdown, worker unregistered", async () => {
  const env = await startDaemonEnv();
  let daemonPid = 0;
  try {
    const q = await env.queue("detached");
    const started = await env.cli(["daemon", "--queue", "detached", "--detached"]);
    assert.equal(started.code, 0, started.out);
    const m = /daemon started: worker "testhost:0", pid (\d+)/.exec(started.out);
    assert.ok(m, started.out);
    daemonPid = Number(m[1]);
    assert.ok(alive(daemonPid));
    assert.deepEqual(await workers(env), ["testhost:0"]);
    const id = await env.createTask(LONG_TASK);
    await env.enqueue(id, q);
    await env.waitTask(id, (t) => t.status === "in_progress");
    let lines: string[] = [];
    for (let i = 0; i < 200 && !lines.some((l) => l.startsWith("pids ")); i++) {
      await new Promise((r) => setTimeout(r, 100));
      lines = await env.logLines(id);
    }
    const task = Number(lines.find((l) => l.startsWith("pids "))!.split(" ")[1]);
    const stopped = await env.cli(["daemon", "--stop"]);
    assert.equal(stopped.code, 0, stopped.out);
    assert.match(stopped.out, new RegExp(`Terminating clearml-agent worker_id=testhost:0 pid=${daemonPid}`));
    assert.ok(!alive(daemonPid), "the daemon is gone");
    assert.ok(!alive(task), "the task process is gone");
    const t = await env.task(id);
    assert.equal(t.status, "stopped");
    assert.equal(t.status_reason, "agent shutdown");
    assert.deepEqual(await workers(env), []);
    assert.equal((await env.logLines(id)).at(-1), "Process terminated by agent shutdown");
    const again = await env.cli(["daemon", "--stop"]);
    assert.equal(again.code, 1);
    assert.match(again.out, /Could not find a running clearml-agent instance with worker_name=testhost/);
    assert.deepEqual([...Deno.readDirSync(env.tmpDir)].map((e) => e.name), [], "a clean stop leaves nothing in TMPDIR");
  } finally {
    if (daemonPid && alive(daemonPid)) Deno.kill(daemonPid, "SIGKILL");
    await env.close();
  }
});

Deno.test("daemon --stop finds the daemon by the arguments it was started with; with several and none named, it stops none", async () => {
  const env = await startDaemonEnv();
  const pids: number[] = [];
  try {
    await env.queue("stop_a");
    await env.queue("stop_b");
    for (const q of ["stop_a", "stop_b"]) {
      const started = await env.cli(["daemon", "--queue", q, "--detached"]);
      const m = /daemon started: worker "(testhost:\d)", pid (\d+)/.exec(started.out);
      assert.ok(m, started.out);
      pids.push(Number(m[2]));
    }
    const bare = await env.cli(["daemon", "--stop"]);
    assert.equal(bare.code, 1, bare.out);
    assert.match(bare.out, /Several clearml-agent daemons run with this configuration; none stopped/);
    assert.match(bare.out, new RegExp(`worker_id=testhost:0 pid=${pids[0]}: --queue stop_a \\(server ${env.url}\\)`));
    assert.match(bare.out, new RegExp(`worker_id=testhost:1 pid=${pids[1]}: --queue stop_b`));
    assert.ok(pids.every(alive), "nothing was stopped");
    const wrong = await env.cli(["daemon", "--stop", "--queue", "stop_c"]);
    assert.equal(wrong.code, 1, wrong.out);
    assert.match(wrong.out, /No running clearml-agent daemon was started with --queue stop_c; none stopped\. Running:/);
    const b = await env.cli(["daemon", "--stop", "--queue", "stop_b"]);
    assert.equal(b.code, 0, b.out);
    assert.match(b.out, new RegExp(`Terminating clearml-agent worker_id=testhost:1 pid=${pids[1]}`));
    assert.deepEqual(pids.map(alive), [true, false]);
    const a = await env.cli(["daemon", "--stop"]);
    assert.equal(a.code, 0, a.out);
    assert.deepEqual(pids.map(alive), [false, false]);
  } finally {
    for (const pid of pids) if (alive(pid)) Deno.kill(pid, "SIGKILL");
    await env.close();
  }
});

Deno.test("daemon restarted after kill -9 mid-task kills the task's leftover processes and fails it: agent restarted", async () => {
  const env = await startDaemonEnv();
  try {
    const q = await env.queue("crash");
    const id = await env.createTask(FORKS_STUBBORN_GRANDCHILD);
    await env.enqueue(id, q);
    const first = env.daemon(["--queue", "crash", "--foreground"]);
    const m = await first.waitFor(/^pids (\d+) (\d+)$/m);
    const pids = [Number(m[1]), Number(m[2])];
    await first.stop("SIGKILL");
    assert.ok(pids.every(alive), "the run outlives a daemon killed with SIGKILL");
    assert.equal((await env.task(id)).status, "in_progress");
    const second = env.daemon(["--queue", "crash", "--foreground"]);
    await second.waitFor(/Listening to queues/);
    assert.match(second.output(), /Killing \d+ leftover process\(es\) of task/);
    assert.ok(!pids.some(alive), "the leftover processes are gone");
    const t = await env.task(id);
    assert.equal(t.status, "failed");
    assert.equal(t.status_reason, "agent restarted");
    assert.ok(
      (await env.logLines(id)).some((l) => l.startsWith("Agent restarted: the run of this task was interrupted")),
    );
    assert.equal(await second.stop(), 0);
  } finally {
    await env.close();
  }
});

Deno.test("two daemons on one queue run each of 50 tasks exactly once", async () => {
  const env = await startDaemonEnv();
  try {
    const q = await env.queue("shared");
    const a = env.daemon(["--queue", "shared", "--foreground"]);
    const b = env.daemon(["--queue", "shared", "--foreground"]);
    await Promise.all([a.waitFor(/Listening to queues/), b.waitFor(/Listening to queues/)]);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const id = await env.createTask(`print("task number ${i}")`, `task ${i}`);
      await env.enqueue(id, q);
      ids.push(id);
    }
    await Promise.all(ids.map((id) => env.waitTask(id, (t) => t.status === "completed", 180_000)));
    await Promise.all([a.stop(), b.stop()]);
    const runs = [a, b].flatMap((d) => [...d.output().matchAll(/^Running task '(\w+)'/gm)].map((m) => m[1]));
    assert.equal(runs.length, 50);
    assert.deepEqual([...new Set(runs)].sort(), [...ids].sort());
    assert.ok([a, b].every((d) => /^Running task/m.test(d.output())), "both daemons took tasks");
    for (const [i, id] of ids.entries()) {
      const lines = await env.logLines(id);
      assert.equal(lines.filter((l) => l === `task number ${i}`).length, 1, lines.join("\n"));
      assert.equal(lines.filter((l) => l.includes(" pulled from ")).length, 1);
    }
  } finally {
    await env.close();
  }
});

Deno.test("daemon fails with one clear line on an unknown queue; --create-queue creates it", async () => {
  const env = await startDaemonEnv();
  try {
    const res = await env.cli(["daemon", "--queue", "no-such-queue", "--foreground"]);
    assert.equal(res.code, 1);
    assert.match(res.out, /Could not find queue with name\/id "no-such-queue": create it or run with --create-queue/);
    const d = env.daemon(["--queue", "made-here", "--create-queue", "--foreground"]);
    await d.waitFor(/Listening to queues/);
    const found = await env.client.call<{ queues: { name: string }[] }>("queues.get_all", { name: "made-here" });
    assert.deepEqual(found.queues.map((q) => q.name), ["made-here"]);
    assert.equal(await d.stop(), 0);
  } finally {
    await env.close();
  }
});

Deno.test("daemon retries an unreachable server with backoff and a clear line per attempt, and stops on SIGTERM", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const env = await startDaemonEnv({ url: `http://127.0.0.1:${port}` });
  try {
    const d = env.daemon(["--queue", "q", "--foreground"]);
    await d.waitFor(/Cannot reach the ClearML server at "http:\/\/127\.0\.0\.1:\d+" \(.*\); retrying in/);
    await new Promise((r) => setTimeout(r, 3500));
    const attempts = d.output().split("\n").filter((l) => l.startsWith("Cannot reach the ClearML server")).length;
    assert.ok(attempts >= 2 && attempts <= 4, `backoff, not a busy loop: ${attempts} attempts in about 4 s`);
    assert.equal(await d.stop(), 0);
  } finally {
    await env.close();
  }
});

Deno.test("daemon --stop --drain lets the running task finish, takes no new one, and returns once the daemon exited", async () => {
  const env = await startDaemonEnv();
  try {
    const q = await env.queue("drain");
    const first = await env.createTask(`import time\nprint("working", flush=True)\ntime.sleep(2)\nprint("done")`);
    const second = await env.createTask(`print("never")`);
    await env.enqueue(first, q);
    await env.enqueue(second, q);
    const d = env.daemon(["--queue", "drain", "--foreground"]);
    await d.waitFor(/^working$/m);
    const res = await env.cli(["daemon", "--stop", "--drain"]);
    assert.equal(res.code, 0, res.out);
    // It returns only once the daemon has exited (systemd's ExecStop relies on it), its task completed.
    assert.equal(alive(d.pid), false, res.out);
    assert.match(res.out, new RegExp(`pid=${d.pid} has exited\n$`));
    assert.equal((await env.task(first)).status, "completed");
    assert.equal((await d.status).code, 0);
    assert.equal((await env.task(second)).status, "queued");
  } finally {
    await env.close();
  }
});

Deno.test("daemons on one box each get their own GPUs: worker ids and the task's CUDA/NVIDIA_VISIBLE_DEVICES", async () => {
  const env = await startDaemonEnv();
  try {
    const cases: [string[], RegExp, string][] = [
      [["--gpus", "0-1"], /testhost:gpu0,1/, "0,1 0,1"],
      [["--gpus", "2:1"], /testhost:gpu2\.1/, "2:1 2:1"],
      [["--gpus", "all"], /testhost:gpuall/, "all None"],
      [["--cpu-only"], /testhost:cpu:\d+/, "none none"],
    ];
    const noGpuEnv = { NVIDIA_VISIBLE_DEVICES: "", CUDA_VISIBLE_DEVICES: "" };
    const runs = await Promise.all(cases.map(async ([args, workerId], i) => {
      const queue = `gpu-queue-${i}`;
      const q = await env.queue(queue);
      const d = env.daemon(["--queue", queue, "--foreground", ...args], noGpuEnv);
      await d.waitFor(new RegExp(`Worker "${workerId.source}" - Listening`));
      const id = await env.createTask(
        `import os\nprint("env", os.environ.get("CLEARML_WORKER_ID"), os.environ.get("NVIDIA_VISIBLE_DEVICES"), os.environ.get("CUDA_VISIBLE_DEVICES"))`,
      );
      await env.enqueue(id, q);
      await env.waitTask(id, (t) => t.status === "completed");
      assert.equal(await d.stop(), 0);
      return (await env.logLines(id)).find((l) => l.startsWith("env "))!;
    }));
    for (const [i, [, workerId, devices]] of cases.entries()) {
      assert.match(runs[i], new RegExp(`^env ${workerId.source} ${devices.replaceAll(".", "\\.")}$`));
    }
  } finally {
    await env.close();
  }
});

Deno.test("execute --full-monitoring runs one task as a one-task daemon and returns 0 unless CLEARML_AGENT_PROPAGATE_EXITCODE", async () => {
  const env = await startDaemonEnv();
  try {
    const q = await env.queue("full");
    const ok = await env.createTask(`print("monitored run")`);
    await env.enqueue(ok, q);
    const res = await env.cli(["execute", "--full-monitoring", "--id", ok]);
    assert.equal(res.code, 0, res.out);
    assert.match(res.out, /^Running task '\w+'$/m);
    const t = await env.task(ok);
    assert.deepEqual([t.status, t.status_reason], ["completed", "worker execution done"]);
    assert.ok((await env.logLines(ok)).includes("monitored run"));
    assert.deepEqual(await workers(env), []);
    const queued = await env.client.call<{ queue: { entries: unknown[] } }>("queues.get_by_id", { queue: q });
    assert.equal(queued.queue.entries.length, 0);

    const failing = await env.createTask(`import sys\nsys.exit(3)`);
    const quiet = await env.cli(["execute", "--full-monitoring", "--id", failing]);
    assert.equal(quiet.code, 0);
    const again = await env.createTask(`import sys\nsys.exit(3)`);
    const loud = await env.cli(["execute", "--full-monitoring", "--id", again], {
      CLEARML_AGENT_PROPAGATE_EXITCODE: "1",
    });
    assert.equal(loud.code, 3);
    assert.equal((await env.task(again)).status_reason, "worker execution exit code 3");
  } finally {
    await env.close();
  }
});

Deno.test("daemon in background mode logs to a file; a second SIGTERM stops a task whose tree ignores the first at once", async () => {
  const env = await startDaemonEnv({ agent: { abort_grace_s: 120 } });
  try {
    const status = await env.cli(["daemon", "--status"]);
    assert.deepEqual([status.code, status.out.split("\n")[0]], [1, "No uptime/downtime configurations found"]);
    const q = await env.queue("background");
    const id = await env.createTask(`
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ignoring SIGINT, ignoring SIGTERM", flush=True)
time.sleep(600)
`);
    await env.enqueue(id, q);
    const d = env.daemon(["--queue", "background"]);
    const m = await d.waitFor(/background mode, writing stdout\/stderr to (\S+)/);
    const logFile = m[1];
    assert.ok(logFile.startsWith(env.tmpDir), logFile);
    for (let i = 0; i < 300 && !(await Deno.readTextFile(logFile)).includes("ignoring SIGTERM"); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    Deno.kill(d.pid, "SIGTERM");
    for (let i = 0; i < 100 && !(await Deno.readTextFile(logFile)).includes("Agent shutdown: stopping task"); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await env.task(id)).status, "in_progress", "the first signal waits for the 120 s grace period");
    const handle = await Deno.open(logFile); // still readable once a clean stop has removed the file
    assert.equal(await d.stop("SIGTERM"), 0);
    const t = await env.task(id);
    assert.deepEqual([t.status, t.status_reason], ["stopped", "agent shutdown"]);
    const log = await new Response(handle.readable).text();
    assert.match(log, /SIGTERM received again: stopping now/);
    await assert.rejects(Deno.stat(logFile), Deno.errors.NotFound, "a clean stop leaves no log file in the temp dir");
    assert.ok(!d.output().includes("Listening to queues"), "the console only gets the log file's name");
  } finally {
    await env.close();
  }
});
