/**
 * Doctor check: free disk space where the agent keeps venvs, caches and repositories, against
 * `agent.venvs_cache.free_space_threshold_gb`.
 *
 * @module
 */

import { dirname } from "node:path";
import { statfsSync } from "node:fs";
import type { CheckResult } from "./check.ts";
import { errorLine } from "./check.ts";

/** Inputs of `diskCheck`. */
export interface DiskCheckInput {
  /** Label → folder (it may not exist yet: its nearest existing parent is measured). */
  paths: Readonly<Record<string, string>>;
  /** Least free space, in GB (10^9 bytes). */
  minFreeGb: number;
}

function existingAncestor(path: string): string {
  let cur = path;
  for (let i = 0; i < 64; i++) {
    try {
      Deno.statSync(cur);
      return cur;
    } catch {
      const up = dirname(cur);
      if (up === cur) break;
      cur = up;
    }
  }
  return "/";
}

/** Free bytes available to this user on the file system holding `path`. */
export function freeBytes(path: string): number {
  const fs = statfsSync(existingAncestor(path));
  return Number(fs.bavail) * Number(fs.bsize);
}

/** Measure each folder's free space. */
export function diskCheck(input: DiskCheckInput): CheckResult {
  const name = "disk";
  const low: string[] = [];
  const seen: string[] = [];
  for (const [label, path] of Object.entries(input.paths)) {
    let gb: number;
    try {
      gb = freeBytes(path) / 1e9;
    } catch (err) {
      return { name, ok: false, required: true, detail: `Cannot measure free space of "${path}": ${errorLine(err)}` };
    }
    const line = `${gb.toFixed(1)} GB free for ${label} (${path})`;
    (gb < input.minFreeGb ? low : seen).push(line);
  }
  if (low.length > 0) {
    return { name, ok: false, required: true, detail: `${low.join("; ")}: less than ${input.minFreeGb} GB` };
  }
  return { name, ok: true, required: true, detail: seen.join("; ") };
}
