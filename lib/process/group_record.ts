/**
 * Crash recovery for process trees: the agent writes down the process group of each task it starts, so that a
 * restarted agent can find and kill a tree its predecessor left behind — without killing an unrelated process
 * that happens to reuse the pid.
 *
 * A record carries the boot id and the leader's start time. A recorded group counts as ours only on the same
 * boot, and only while its leader pid, if alive, still has the recorded start time (the kernel never hands out a
 * pid that is still in use as a process group id, so a live leader with another start time means the old group
 * is gone and the pid was reused). Members must have started no earlier than the leader.
 *
 * @module
 */

import { dirname } from "node:path";
import { terminateGroup, type TerminateResult } from "./group_kill.ts";
import { bootId, isLive, listProcesses, type ProcInfo, readProcess, treeMembers } from "./proc_table.ts";

/** What is written to disk for one started process tree. */
export interface GroupRecord {
  /** Pid of the leader, equal to the group id and session id for children from `spawnChild`. */
  pgid: number;
  /** Leader start time in clock ticks since boot (`/proc/<pid>/stat` field 22), `null` off Linux. */
  startTicks: number | null;
  /** `/proc/sys/kernel/random/boot_id` when recorded, `null` off Linux. */
  bootId: string | null;
  /** Free text for people reading the file (task id, command). */
  label?: string;
  /** ISO time of recording. */
  recordedAt: string;
}

/** Describe a running group for `writeGroupRecord` (reads the leader's start time now). */
export function groupRecordOf(pgid: number, label?: string): GroupRecord {
  return {
    pgid,
    startTicks: readProcess(pgid)?.startTicks ?? null,
    bootId: bootId(),
    label,
    recordedAt: new Date().toISOString(),
  };
}

/** Write a record atomically (write aside, then rename into place). */
export async function writeGroupRecord(path: string, record: GroupRecord): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(record) + "\n");
  await Deno.rename(tmp, path);
}

/**
 * Read a record. Returns `null` when the file does not exist; throws `TypeError` naming the file when it is not a
 * record.
 */
export async function readGroupRecord(path: string): Promise<GroupRecord | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`Invalid process group record "${path}": not JSON`, { cause: err });
  }
  const rec = value as Partial<GroupRecord>;
  if (typeof rec !== "object" || rec === null || !Number.isInteger(rec.pgid) || (rec.pgid ?? 0) <= 1) {
    throw new TypeError(`Invalid process group record "${path}": no valid "pgid"`);
  }
  return {
    pgid: rec.pgid!,
    startTicks: typeof rec.startTicks === "number" ? rec.startTicks : null,
    bootId: typeof rec.bootId === "string" ? rec.bootId : null,
    label: typeof rec.label === "string" ? rec.label : undefined,
    recordedAt: typeof rec.recordedAt === "string" ? rec.recordedAt : "",
  };
}

/**
 * The live processes that still belong to a recorded tree (empty when it is gone, on another boot, or when the
 * pid was reused by an unrelated process).
 */
export function leftoverMembers(record: GroupRecord, table: readonly ProcInfo[] = listProcesses()): ProcInfo[] {
  if (record.bootId !== null && bootId() !== null && record.bootId !== bootId()) return [];
  const leader = table.find((p) => p.pid === record.pgid && isLive(p));
  if (leader && record.startTicks !== null && leader.startTicks !== record.startTicks) return [];
  return treeMembers({ pgid: record.pgid, sid: record.pgid }, table).filter((p) =>
    record.startTicks === null || p.startTicks === null || p.startTicks >= record.startTicks
  );
}

/** Result of `killLeftoverGroup`. */
export interface LeftoverKillResult {
  /** The record read, or `null` when there was no file. */
  record: GroupRecord | null;
  /** Pids found alive and belonging to the record before killing. */
  found: number[];
  /** What the kill did (`null` when nothing was found). */
  result: TerminateResult | null;
}

/**
 * Read the record at `path`; if processes of that tree are still alive, terminate them (SIGINT, SIGTERM, `graceMs`,
 * SIGKILL). The record file is removed once the tree is gone. A missing file is not an error.
 */
export async function killLeftoverGroup(
  path: string,
  options: { graceMs?: number; signal?: AbortSignal } = {},
): Promise<LeftoverKillResult> {
  const record = await readGroupRecord(path);
  if (record === null) return { record, found: [], result: null };
  const found = leftoverMembers(record).map((p) => p.pid);
  let result: TerminateResult | null = null;
  if (found.length > 0) {
    result = await terminateGroup(record.pgid, {
      graceMs: options.graceMs ?? 2_000,
      signal: options.signal,
      sid: record.pgid,
    });
  }
  if (result === null || result.remaining.length === 0) await Deno.remove(path).catch(() => {});
  return { record, found, result };
}
