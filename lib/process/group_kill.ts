/**
 * Signalling and tearing down a whole process tree by its process group: SIGINT → SIGTERM → SIGKILL of whatever
 * remains at the end of the grace period, grandchildren included, until nothing of the tree is alive.
 *
 * SIGINT comes first because it is the one signal every Python program honours: it raises `KeyboardInterrupt`,
 * so `finally` blocks and exit hooks run. The `clearml` SDK installs a SIGTERM handler that returns without
 * exiting, so a SIGTERM-only abort of an SDK task always waited out the whole grace period. (The reference agent
 * SIGKILLs the task's processes at once.)
 *
 * @module
 */

import { isLive, listProcesses, type ProcInfo, readProcess, treeMembers } from "./proc_table.ts";
import { sleep } from "../sleep.ts";

/** Options of `terminateGroup`. */
export interface TerminateOptions {
  /** How long the tree may take to exit after the first signal before SIGKILL. @default 10000 */
  graceMs?: number;
  /**
   * How long SIGINT alone is given before `termSignal` follows (both within `graceMs`); 0 sends no SIGINT.
   * @default min(1000, graceMs / 2)
   */
  interruptMs?: number;
  /** The polite signal sent after SIGINT. @default "SIGTERM" */
  termSignal?: Deno.Signal;
  /** Aborting ends the grace period early: SIGKILL follows at once. It never cancels the kill itself. */
  signal?: AbortSignal;
  /** Session id to sweep as well (children spawned by `spawnChild` lead their own session: `sid === pgid`). */
  sid?: number;
  /** How often the process table is re-read while waiting. @default 20 */
  pollMs?: number;
  /**
   * How long to keep SIGKILLing and waiting after the grace period. A process stuck in uninterruptible sleep
   * (`D`) can outlive SIGKILL; it is then reported in `remaining` rather than waited for forever. @default 5000
   */
  killWaitMs?: number;
}

/** What `terminateGroup` did. */
export interface TerminateResult {
  /** True when everything exited within the grace period (no SIGKILL was needed). */
  graceful: boolean;
  /** Pids that received SIGKILL. */
  killed: number[];
  /** Pids still alive when `killWaitMs` ran out (normally empty). */
  remaining: number[];
}

let cachedOwnGroup: number | null | undefined;

function ownGroup(): number | null {
  if (cachedOwnGroup === undefined) cachedOwnGroup = readProcess(Deno.pid)?.pgid ?? null;
  return cachedOwnGroup;
}

/**
 * Send `sig` to every process of group `pgid` (`kill(-pgid, sig)`). Returns false when the group does not
 * exist. Refuses (throws `RangeError`) pgid ≤ 1 and our own group, which would signal the agent itself.
 */
export function signalGroup(pgid: number, sig: Deno.Signal): boolean {
  assertForeignGroup(pgid);
  try {
    Deno.kill(-pgid, sig);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    // EPERM from a member owned by someone else: the rest of the group was still signalled.
    if (err instanceof Deno.errors.PermissionDenied) return true;
    throw err;
  }
}

function assertForeignGroup(pgid: number): void {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new RangeError(`Refusing to signal process group "${pgid}"`);
  if (pgid === ownGroup()) {
    throw new RangeError(`Refusing to signal process group "${pgid}": it is the agent's own group`);
  }
}

function signalPid(pid: number, sig: Deno.Signal): boolean {
  try {
    Deno.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** What one teardown has seen of the tree so far. */
interface Seen {
  /** pid → start time of every member seen. */
  pids: Map<number, number | null>;
  /** Process groups and sessions that members led or belonged to, other than the root's. */
  groups: Set<number>;
  sessions: Set<number>;
}

/**
 * Live members of the tree, plus processes seen in an earlier snapshot that are still alive (same start time):
 * a grandchild that left the group and session is found through its parent only while that parent lives. A
 * member that moved to a group or session of its own (e.g. a task started detached by `execute`) brings that
 * whole group and session into the tree, so a process it forked just before dying is still found there.
 */
function members(pgid: number, sid: number | undefined, seen: Seen): ProcInfo[] {
  const table = listProcesses();
  const found = treeMembers({ pgid, sid }, table);
  const ids = new Set(found.map((p) => p.pid));
  const own = ownGroup();
  for (const p of table) {
    if (ids.has(p.pid) || !isLive(p) || p.pid === Deno.pid || p.pgid === own) continue;
    const knownPid = seen.pids.has(p.pid) && seen.pids.get(p.pid) === p.startTicks;
    if (knownPid || seen.groups.has(p.pgid) || seen.sessions.has(p.sid)) {
      found.push(p);
      ids.add(p.pid);
    }
  }
  for (const p of found) {
    seen.pids.set(p.pid, p.startTicks);
    if (p.pgid !== pgid && p.pgid > 1 && p.pgid !== own) seen.groups.add(p.pgid);
    if (p.sid !== (sid ?? pgid) && p.sid > 1 && p.sid === p.pid) seen.sessions.add(p.sid);
  }
  return found;
}

/**
 * Signal the group, every other group the tree's members are in (a group signal reaches a process its member
 * forks at that very moment), and, one by one, members in none of those.
 */
function signalTree(pgid: number, sig: Deno.Signal, procs: ProcInfo[], seen: Seen): number[] {
  signalGroup(pgid, sig);
  for (const g of seen.groups) {
    try {
      signalGroup(g, sig);
    } catch {
      // our own group or an invalid id: the members are signalled one by one below
    }
  }
  const hit: number[] = [];
  for (const p of procs) {
    if (p.pgid !== pgid) signalPid(p.pid, sig);
    hit.push(p.pid);
  }
  return hit;
}

/**
 * Stop the process tree of group `pgid`: send SIGINT to the group (and to tree members that moved to another
 * group), `termSignal` after `interruptMs`, wait up to `graceMs` in all for them to exit, then SIGKILL what remains — repeatedly, since a
 * dying parent may still fork — and resolve once no live process of the tree is left or `killWaitMs` passed.
 * Zombies count as gone. Resolves at once when the tree is already gone.
 */
export async function terminateGroup(pgid: number, options: TerminateOptions = {}): Promise<TerminateResult> {
  const { graceMs = 10_000, termSignal = "SIGTERM", pollMs = 20, killWaitMs = 5_000, sid } = options;
  assertForeignGroup(pgid);
  const seen: Seen = { pids: new Map(), groups: new Set(), sessions: new Set() };
  let procs = members(pgid, sid, seen);
  if (procs.length === 0) return { graceful: true, killed: [], remaining: [] };

  if (graceMs > 0 && !options.signal?.aborted) {
    const interruptMs = Math.max(0, Math.min(options.interruptMs ?? Math.min(1_000, graceMs / 2), graceMs));
    const started = Date.now();
    const graceEnd = started + graceMs;
    let termAt: number | null = started + interruptMs;
    signalTree(pgid, interruptMs > 0 ? "SIGINT" : termSignal, procs, seen);
    if (interruptMs === 0) termAt = null;
    while (Date.now() < graceEnd && !options.signal?.aborted) {
      const until = termAt ?? graceEnd;
      await sleep(Math.max(0, Math.min(pollMs, until - Date.now())), options.signal);
      procs = members(pgid, sid, seen);
      if (procs.length === 0) return { graceful: true, killed: [], remaining: [] };
      if (termAt !== null && Date.now() >= termAt) {
        signalTree(pgid, termSignal, procs, seen);
        termAt = null;
      }
    }
  }

  const killed = new Set<number>();
  const killEnd = Date.now() + killWaitMs;
  for (;;) {
    procs = members(pgid, sid, seen);
    if (procs.length === 0) return { graceful: false, killed: [...killed], remaining: [] };
    if (Date.now() >= killEnd) return { graceful: false, killed: [...killed], remaining: procs.map((p) => p.pid) };
    for (const pid of signalTree(pgid, "SIGKILL", procs, seen)) killed.add(pid);
    await sleep(pollMs);
  }
}
