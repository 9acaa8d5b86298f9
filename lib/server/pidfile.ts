/**
 * The server's pid file (`<data-dir>/server.pid`) and the process checks around it, used by `server --detached`,
 * `server --stop` and to refuse a second server on the same data folder. Linux `/proc` based.
 *
 * @module
 */

import { join } from "node:path";

/** File name of the pid file inside the data folder. */
export const PID_FILE = "server.pid";
/** File name of the detached server's log inside the data folder. */
export const LOG_FILE = "server.log";

/** Path of the pid file. */
export function pidFilePath(dataDir: string): string {
  return join(dataDir, PID_FILE);
}

/** True when a process with this pid exists and is not a zombie. */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The pid recorded in the data folder, when its process is alive. */
export function runningServerPid(dataDir: string): number | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(pidFilePath(dataDir));
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === Deno.pid) return undefined;
  return isProcessAlive(pid) ? pid : undefined;
}

/** Record this process as the server of the data folder (write aside, rename into place). */
export function writePidFile(dataDir: string): void {
  const path = pidFilePath(dataDir);
  const tmp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(tmp, `${Deno.pid}\n`, { mode: 0o644 });
  Deno.renameSync(tmp, path);
}

/** Remove the pid file if it still names this process. */
export function removePidFile(dataDir: string): void {
  try {
    if (Deno.readTextFileSync(pidFilePath(dataDir)).trim() === String(Deno.pid)) Deno.removeSync(pidFilePath(dataDir));
  } catch {
    // Already gone: nothing to clean.
  }
}

/** Wait until `pid` exits, polling every 100 ms up to `timeoutMs`; true when it exited. */
export async function waitForExit(pid: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline || signal?.aborted) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
