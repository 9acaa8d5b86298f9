/**
 * A snapshot of the process table: who is alive, in which process group and session, started when. On Linux it
 * reads `/proc/<pid>/stat` (no extra process); elsewhere it runs `ps` once.
 *
 * Zombies are reported with `state: "Z"` and are treated as dead by every helper here: a zombie cannot run, and
 * where PID 1 does not reap orphans (some containers) they would otherwise look alive forever.
 *
 * @module
 */

/** One process, as far as killing and identifying it is concerned. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** Session id. */
  sid: number;
  /** One-letter state (`R`, `S`, `D`, `Z`, `T`...). */
  state: string;
  /** Start time in clock ticks since boot (Linux), `null` when unknown. Identifies a pid across pid reuse. */
  startTicks: number | null;
  /** Executable name as the kernel reports it (at most 15 characters on Linux). */
  comm: string;
}

/**
 * Parse the text of `/proc/<pid>/stat`. Returns `null` for text that is not a stat line. The command name may
 * contain spaces and parentheses, so fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcInfo | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); starttime is field 22 → rest[19].
  if (!Number.isInteger(pid) || rest.length < 20) return null;
  const [ppid, pgid, sid, start] = [Number(rest[1]), Number(rest[2]), Number(rest[3]), Number(rest[19])];
  if (![ppid, pgid, sid].every(Number.isInteger)) return null;
  return {
    pid,
    ppid,
    pgid,
    sid,
    state: rest[0],
    startTicks: Number.isFinite(start) ? start : null,
    comm: text.slice(open + 1, close),
  };
}

/**
 * Parse `ps -A -o pid=,ppid=,pgid=,sess=,stat=,comm=` output (the non-Linux fallback). Lines that do not parse
 * are skipped.
 */
export function parsePsOutput(text: string): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      pgid: Number(m[3]),
      sid: Number(m[4]),
      state: m[5][0],
      startTicks: null,
      comm: m[6],
    });
  }
  return out;
}

/** True when this platform has a readable `/proc/<pid>/stat`. */
const HAS_PROC = Deno.build.os === "linux";

/** Read one process from `/proc`, or `null` when it does not exist (or this is not Linux). */
export function readProcess(pid: number): ProcInfo | null {
  if (!HAS_PROC) return listProcesses().find((p) => p.pid === pid) ?? null;
  try {
    return parseProcStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return null;
  }
}

/** Every process visible to us, zombies included. */
export function listProcesses(): ProcInfo[] {
  if (!HAS_PROC) {
    const out = new Deno.Command("ps", {
      args: ["-A", "-o", "pid=,ppid=,pgid=,sess=,stat=,comm="],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return parsePsOutput(new TextDecoder().decode(out.stdout));
  }
  const procs: ProcInfo[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const info = parseProcStat(Deno.readTextFileSync(`/proc/${entry.name}/stat`));
      if (info) procs.push(info);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return procs;
}

/** True for a process that can still run (anything but a zombie or a dead task). */
export function isLive(p: ProcInfo): boolean {
  return p.state !== "Z" && p.state !== "X";
}

/** True while process `pid` exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  const p = readProcess(pid);
  return p !== null && isLive(p);
}

/** Live members of process group `pgid`. */
export function groupMembers(pgid: number, table: readonly ProcInfo[] = listProcesses()): ProcInfo[] {
  return table.filter((p) => p.pgid === pgid && isLive(p));
}

/**
 * True while any live process is in group `pgid` (zombies do not count). The equivalent of `kill(-pgid, 0)`
 * succeeding, minus the zombies that signal 0 would still find.
 */
export function groupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

/**
 * The live processes that belong to a tree we started: members of group `pgid`, members of session `sid` (when
 * given: a child spawned with `detached` leads its own session, so a grandchild that moved to another group
 * with `setpgid` is still found), and live descendants of any of them by parent pid (a grandchild that called
 * `setsid` is found while its parent lives). Our own process is never included.
 */
export function treeMembers(
  root: { pgid: number; sid?: number },
  table: readonly ProcInfo[] = listProcesses(),
): ProcInfo[] {
  const self = Deno.pid;
  const picked = new Map<number, ProcInfo>();
  for (const p of table) {
    if (p.pid === self || !isLive(p)) continue;
    if (p.pgid === root.pgid || (root.sid !== undefined && p.sid === root.sid)) picked.set(p.pid, p);
  }
  const children = new Map<number, ProcInfo[]>();
  for (const p of table) {
    if (!isLive(p) || p.pid === self) continue;
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const stack = [...picked.keys(), root.pgid];
  while (stack.length > 0) {
    for (const child of children.get(stack.pop()!) ?? []) {
      if (picked.has(child.pid)) continue;
      picked.set(child.pid, child);
      stack.push(child.pid);
    }
  }
  return [...picked.values()];
}

/** This machine's boot id (`/proc/sys/kernel/random/boot_id`), or `null` off Linux. */
export function bootId(): string | null {
  if (!HAS_PROC) return null;
  try {
    return Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
  } catch {
    return null;
  }
}
