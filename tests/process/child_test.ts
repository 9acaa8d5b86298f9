import assert from "node:assert/strict";
import { spawnChild } from "../../lib/process/child.ts";
import { describeExit, exitCodeOf } from "../../lib/process/exit_status.ts";
import { groupAlive, readProcess } from "../../lib/process/proc_table.ts";

/** Wait until `path` holds text (the child wrote its pids), bounded. */
async function waitForFile(path: string, timeoutMs = 5_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      const text = await Deno.readTextFile(path);
      if (text.endsWith("\n")) return text;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for "${path}"`);
}

function alive(pid: number): boolean {
  const p = readProcess(pid);
  return p !== null && p.state !== "Z";
}

Deno.test("spawnChild() reports exit code 0 for a normal exit", async () => {
  const child = spawnChild({ cmd: "sh", args: ["-c", "exit 0"], output: "null" });
  const status = await child.status;
  assert.deepEqual(status, { code: 0, signal: null, signalNumber: null, success: true });
  assert.equal(exitCodeOf(status), 0);
});

Deno.test("spawnChild() reports a non-zero exit code as a value", async () => {
  const child = spawnChild({ cmd: "sh", args: ["-c", "exit 3"], output: "null" });
  const status = await child.status;
  assert.deepEqual(status, { code: 3, signal: null, signalNumber: null, success: false });
  assert.equal(describeExit(status), "exit code 3");
});

Deno.test("spawnChild() reports the signal when the child is killed by one", async () => {
  const child = spawnChild({ cmd: "sh", args: ["-c", "kill -KILL $$"], output: "null" });
  const status = await child.status;
  assert.deepEqual(status, { code: null, signal: "SIGKILL", signalNumber: 9, success: false });
  assert.equal(exitCodeOf(status), 137);
  assert.equal(describeExit(status), "killed by signal SIGKILL");
});

Deno.test("spawnChild() starts the child as leader of its own process group and session", async () => {
  const child = spawnChild({ cmd: "sleep", args: ["5"], output: "null" });
  try {
    const info = readProcess(child.pid);
    assert.equal(info?.pgid, child.pid);
    assert.equal(info?.sid, child.pid);
    assert.notEqual(info?.pgid, readProcess(Deno.pid)?.pgid);
  } finally {
    await child.terminate({ graceMs: 0 });
  }
});

Deno.test("spawnChild() merges stdout and stderr in the order the child wrote them", async () => {
  const script = "echo out1; echo err1 >&2; echo out2; echo err2 >&2";
  const child = spawnChild({ cmd: "sh", args: ["-c", script] });
  const text = await new Response(child.output).text();
  assert.equal(text, "out1\nerr1\nout2\nerr2\n");
  assert.equal((await child.status).code, 0);
});

Deno.test("spawnChild() keeps stdout and stderr apart in separate mode", async () => {
  const child = spawnChild({ cmd: "sh", args: ["-c", "echo out; echo err >&2"], output: "separate" });
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  assert.deepEqual([out, err], ["out\n", "err\n"]);
  await child.status;
});

Deno.test("spawnChild() appends both streams to a file in file mode", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/out.txt`;
    await Deno.writeTextFile(file, "before\n");
    const child = spawnChild({ cmd: "sh", args: ["-c", "echo a; echo b >&2"], output: { file } });
    assert.equal(child.output, null);
    await child.status;
    assert.equal(await Deno.readTextFile(file), "before\na\nb\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spawnChild() passes cwd and env, and clearEnv drops the parent's variables", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    Deno.env.set("CLEARML_INFRA_TEST_PARENT", "parent");
    const script = 'echo "$PWD|$FOO|${CLEARML_INFRA_TEST_PARENT:-unset}"';
    const a = spawnChild({ cmd: "/bin/sh", args: ["-c", script], cwd: dir, env: { FOO: "bar" } });
    assert.equal(await new Response(a.output).text(), `${dir}|bar|parent\n`);
    await a.status;
    const b = spawnChild({ cmd: "/bin/sh", args: ["-c", script], cwd: dir, env: { FOO: "x" }, clearEnv: true });
    assert.equal(await new Response(b.output).text(), `${dir}|x|unset\n`);
    await b.status;
  } finally {
    Deno.env.delete("CLEARML_INFRA_TEST_PARENT");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spawnChild() throws NotFound naming the program when it does not exist", () => {
  assert.throws(
    () => spawnChild({ cmd: "clearml-no-such-program-xyz" }),
    (err: unknown) => err instanceof Deno.errors.NotFound && /"clearml-no-such-program-xyz"/.test(err.message),
  );
});

Deno.test("terminate() kills a tree whose leader traps SIGINT and SIGTERM and whose reparented grandchild ignores them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Leader: traps INT and TERM and keeps running. Grandchild: started by an intermediate shell that exits at
    // once, so it is reparented; it ignores both. A second grandchild ignores them and stays the leader's child.
    const script = `
      trap 'echo leader-got-int' INT
      trap 'echo leader-got-term' TERM
      sh -c '(trap "" INT TERM; exec sleep 1000) & echo $! > "$1/orphan"' sh "$1"
      (trap "" INT TERM; exec sleep 1000) &
      echo $! > "$1/child"
      echo ready > "$1/ready"
      while :; do sleep 0.05; done`;
    const child = spawnChild({ cmd: "sh", args: ["-c", script, "sh", dir] });
    const outText = new Response(child.output).text();
    await waitForFile(`${dir}/ready`);
    const orphan = Number((await waitForFile(`${dir}/orphan`)).trim());
    const grandchild = Number((await waitForFile(`${dir}/child`)).trim());
    assert.equal(readProcess(orphan)?.ppid !== child.pid, true, "the orphan should have been reparented");
    assert.equal(readProcess(orphan)?.pgid, child.pid);
    assert.ok(child.groupAlive());

    const result = await child.terminate({ graceMs: 500 });

    assert.equal(result.graceful, false);
    assert.deepEqual(result.remaining, []);
    assert.ok(
      result.killed.includes(orphan) && result.killed.includes(grandchild) && result.killed.includes(child.pid),
    );
    assert.equal(result.status.signal, "SIGKILL");
    assert.equal(groupAlive(child.pid), false);
    assert.equal(alive(orphan), false);
    assert.equal(alive(grandchild), false);
    assert.match(await outText, /leader-got-int[\s\S]*leader-got-term/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("terminate() sends SIGINT first: a Python program ends through KeyboardInterrupt, its finally block run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `import pathlib, sys, time
pathlib.Path(sys.argv[1], "ready").write_text("ready\\n")
try:
    time.sleep(1000)
finally:
    pathlib.Path(sys.argv[1], "cleaned").write_text("finally ran")`;
    const child = spawnChild({ cmd: "python3", args: ["-c", script, dir], output: "null" });
    await waitForFile(`${dir}/ready`);
    const result = await child.terminate({ graceMs: 30_000, interruptMs: 20_000 });
    assert.equal(result.graceful, true);
    assert.equal(await Deno.readTextFile(`${dir}/cleaned`), "finally ran");
    assert.notEqual(result.status.signal, "SIGKILL");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("terminate() follows SIGINT with SIGTERM for a tree that ignores SIGINT, gracefully within the grace period", async () => {
  // A non-interactive shell's background job ignores SIGINT: only the SIGTERM sent after interruptMs ends it.
  const child = spawnChild({ cmd: "sh", args: ["-c", "trap '' INT; sleep 1000 & wait"], output: "null" });
  await new Promise((r) => setTimeout(r, 50));
  const result = await child.terminate({ graceMs: 5_000, interruptMs: 100 });
  assert.equal(result.graceful, true);
  assert.deepEqual(result.killed, []);
  assert.equal(result.status.signal, "SIGTERM");
  assert.equal(child.groupAlive(), false);
});

Deno.test("terminate() also kills a grandchild that started a new session while its parent lives", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `setsid sh -c 'trap "" TERM; echo $$ > "$1/escaped"; exec sleep 1000' sh "$1" & wait`;
    const child = spawnChild({ cmd: "sh", args: ["-c", script, "sh", dir], output: "null" });
    const escaped = Number((await waitForFile(`${dir}/escaped`)).trim());
    assert.notEqual(readProcess(escaped)?.sid, child.pid);
    const result = await child.terminate({ graceMs: 200 });
    assert.deepEqual(result.remaining, []);
    assert.equal(alive(escaped), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("terminate() skips the grace period when its signal is aborted", async () => {
  const child = spawnChild({ cmd: "sh", args: ["-c", "trap '' TERM; sleep 1000 & wait"], output: "null" });
  await new Promise((r) => setTimeout(r, 50));
  const abort = new AbortController();
  abort.abort();
  const started = Date.now();
  const result = await child.terminate({ graceMs: 60_000, signal: abort.signal });
  assert.ok(Date.now() - started < 30_000);
  assert.equal(result.graceful, false);
  assert.equal(result.status.signal, "SIGKILL");
});

Deno.test("interrupt() and kill() signal the group and report false once it is gone", async () => {
  const child = spawnChild({ cmd: "sleep", args: ["1000"], output: "null" });
  assert.equal(child.interrupt(), true);
  assert.equal((await child.status).signal, "SIGTERM");
  assert.equal(child.kill(), false);
});
