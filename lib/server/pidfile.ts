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

/**
 * The command line of a live (non-zombie) process, or `undefined`. Uses `ps`, since reading `/proc/<pid>` needs
 * all permissions under Deno; without `ps` it falls back to signal 0's stand-in, `SIGCONT` (harmless to a running
 * process), and returns an empty command line.
 */
export async function processArgs(pid: number): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("ps", {
      args: ["-o", "stat=,args=", "-p", String(pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    const line = new TextDecoder().decode(out.stdout).trim();
    if (!out.success || line === "" || line.startsWith("Z")) return undefined;
    return line.slice(line.indexOf(" ") + 1);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) return undefined;
    try {
      Deno.kill(pid, "SIGCONT");
      return "";
    } catch {
      return undefined;
    }
  }
}

/** The pid recorded in the data folder, when it is a live `server` process (a stale file is ignored). */
export async function runningServerPid(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(pidFilePath(dataDir));
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === Deno.pid) return undefined;
  const args = await processArgs(pid);
  if (args === undefined) return undefined;
  return args === "" || /(^|\s)server(\s|$)/.test(args) ? pid : undefined;
}

/** File name of the lock a running server holds inside the data folder. */
export const LOCK_FILE = "server.lock";

/**
 * Take the data folder's lock (an exclusive `flock` on `<data-dir>/server.lock`, creating the folder) and hold it
 * while the returned file stays open; the system releases it when the process ends, however it ends. `undefined`
 * when another process holds it. Needs no `run` permission, unlike the `ps` check of `runningServerPid`, so the
 * foreground server (which gives up `run`, lib/cli/permissions.ts) refuses a second server on its folder this way.
 */
export async function lockDataDir(dataDir: string): Promise<Deno.FsFile | undefined> {
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = await Deno.open(join(dataDir, LOCK_FILE), { read: true, write: true, create: true, mode: 0o600 });
  if (await file.tryLock(true)) return file;
  file.close();
  return undefined;
}

/** The pid the pid file names (for messages), or `undefined`. */
export function recordedPid(dataDir: string): number | undefined {
  try {
    const pid = Number(Deno.readTextFileSync(pidFilePath(dataDir)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
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
  while (await processArgs(pid) !== undefined) {
    if (Date.now() >= deadline || signal?.aborted) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
