import assert from "node:assert/strict";
import { parseProcStat, parsePsOutput, type ProcInfo, readProcess, treeMembers } from "../../lib/process/proc_table.ts";
import { signalGroup } from "../../lib/process/group_kill.ts";

Deno.test("parseProcStat() reads pid, ppid, group, session, state and start time, even with ') ' in the name", () => {
  const cases: [string, Partial<ProcInfo> | null][] = [
    [
      "9291 (sh) S 9285 9291 9291 0 -1 4194560 128 0 0 0 0 0 0 0 20 0 1 0 1234567 2777088 226 18446744073709551615",
      { pid: 9291, ppid: 9285, pgid: 9291, sid: 9291, state: "S", startTicks: 1234567, comm: "sh" },
    ],
    [
      "42 (a) b (c)) Z 1 40 40 0 -1 4228108 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0 18446744073709551615",
      { pid: 42, ppid: 1, pgid: 40, sid: 40, state: "Z", startTicks: 99, comm: "a) b (c)" },
    ],
    ["garbage", null],
    ["12 (x) S 1 2", null],
  ];
  for (const [text, want] of cases) {
    const got = parseProcStat(text);
    if (want === null) assert.equal(got, null, text);
    else assert.deepEqual({ ...got, ...want }, got, text);
  }
});

Deno.test("parsePsOutput() reads ps -o pid,ppid,pgid,sess,stat,comm lines", () => {
  const text = "    1     0     1     1 Ss   launchd\n  512     1   512   512 S+   /bin/zsh -l\nbad line\n";
  assert.deepEqual(parsePsOutput(text), [
    { pid: 1, ppid: 0, pgid: 1, sid: 1, state: "S", startTicks: null, comm: "launchd" },
    { pid: 512, ppid: 1, pgid: 512, sid: 512, state: "S", startTicks: null, comm: "/bin/zsh -l" },
  ]);
});

Deno.test("treeMembers() finds group, session and descendants and skips zombies", () => {
  const p = (pid: number, ppid: number, pgid: number, sid: number, state = "S"): ProcInfo => ({
    pid,
    ppid,
    pgid,
    sid,
    state,
    startTicks: 1,
    comm: "x",
  });
  const table = [
    p(100, 50, 100, 100), // leader
    p(101, 1, 100, 100), // reparented, same group
    p(102, 100, 102, 100), // moved to another group, same session
    p(103, 102, 103, 103), // new session, child of 102
    p(104, 100, 100, 100, "Z"), // zombie
    p(200, 1, 200, 200), // unrelated
  ];
  const got = treeMembers({ pgid: 100, sid: 100 }, table).map((x) => x.pid).sort();
  assert.deepEqual(got, [100, 101, 102, 103]);
});

Deno.test("signalGroup() refuses to signal pid 1 or the agent's own group", () => {
  assert.throws(() => signalGroup(1, "SIGTERM"), /Refusing to signal process group "1"/);
  assert.throws(() => signalGroup(0, "SIGTERM"), RangeError);
  const own = readProcess(Deno.pid)!.pgid;
  assert.throws(() => signalGroup(own, "SIGTERM"), /it is the agent's own group/);
});
