/**
 * Per-run folders (the task's configuration file, a container's run files) that never outlive their run: each is
 * created 0700 with the pid of the process that owns it in its name (`<label>.p<pid>.<random>`), removed by that
 * process when the run ends, and — when the owner died without cleaning up (kill -9) — removed by the next
 * `sweepDeadRuns` over the same base folder: at daemon start, after each run of a daemon, and at `execute` start.
 *
 * @module
 */

import { join } from "node:path";
import { pidAlive } from "./proc_table.ts";

const OWNED = /\.p(\d+)\.[^.]+$/;

/** Create a private run folder under `base` owned by process `pid` (this one by default). */
export async function makeRunFolder(base: string, label: string, pid = Deno.pid): Promise<string> {
  await Deno.mkdir(base, { recursive: true, mode: 0o700 });
  const dir = await Deno.makeTempDir({ dir: base, prefix: `${label.replace(/[^A-Za-z0-9_-]/g, "_")}.p${pid}.` });
  await Deno.chmod(dir, 0o700);
  return dir;
}

/** The owner pid of a run folder name, or `undefined` for a name not made by `makeRunFolder`. */
export function runFolderOwner(name: string): number | undefined {
  const m = OWNED.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Remove the run folders under `base` whose owner process is gone; resolves to the removed paths. Folders of
 * live owners, and anything not named by `makeRunFolder`, are left alone.
 */
export async function sweepDeadRuns(
  base: string,
  alive: (pid: number) => boolean = pidAlive,
): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(base)];
  } catch {
    return removed;
  }
  for (const e of entries) {
    const owner = runFolderOwner(e.name);
    if (owner === undefined || owner === Deno.pid || alive(owner)) continue;
    const path = join(base, e.name);
    try {
      await Deno.remove(path, { recursive: true });
      removed.push(path);
    } catch { /* gone meanwhile, or not ours to remove */ }
  }
  return removed;
}
