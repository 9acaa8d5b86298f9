/**
 * How a daemon process lives (agent-reference §1.9, §12.4): where its output goes, how it detaches from the
 * terminal, how it is stopped, and what signals mean to it.
 *
 * - Foreground (`--foreground`): everything on the console.
 * - Background (default): output goes to `<tmp>/.clearml_agent_daemon_out<random>.txt` (or
 *   `CLEARML_AGENT_TEMP_STDOUT_FILE_DIR`); the process stays attached to the terminal, as the reference.
 * - Detached (`--detached` / `-d`): this program is started again with the same arguments (minus `--detached`,
 *   plus `--foreground`) in a new session, its output appended to the log file; the command returns once that
 *   daemon has registered (or after a bounded wait), and the daemon survives the terminal.
 * - `--stop [ids]`: finds running daemons by their pid files and sends SIGTERM (graceful: the running task is
 *   stopped with reason `agent shutdown`, the worker unregistered); if one has not exited after the grace period
 *   plus 30 s, a second SIGTERM (immediate), then SIGKILL. `--stop --drain` sends SIGUSR1 instead: the daemon
 *   finishes its running task, takes no new one and exits; the command returns once it has exited (the systemd
 *   unit's `ExecStop` relies on that).
 * - Signals: the first SIGTERM/SIGINT → graceful stop; a second → immediate stop; SIGUSR1 → drain.
 *
 * @module
 */

import { join } from "node:path";
import { selfCommand } from "../process/self_command.ts";
import { spawnChild } from "../process/child.ts";
import { isLive, readProcess } from "../process/proc_table.ts";
import { listInstances, type WorkerIdSpec } from "./worker_identity.ts";
import { describeInstances, launchArgs, stopTargets } from "./daemon_stop.ts";
import { envText } from "../clearml_env.ts";

const encoder = new TextEncoder();

/** Where a daemon's output goes. */
export interface DaemonOutput {
  /** One line of the agent's own. */
  say(line: string): void;
  /** Raw bytes (task output). */
  write(bytes: Uint8Array): void;
  /** The log file, in background mode. */
  path?: string;
  close(): void;
}

function writeAll(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += w.writeSync(bytes.subarray(done));
}

/** The console. */
export function consoleOutput(): DaemonOutput {
  const write = (bytes: Uint8Array) => writeAll(Deno.stdout, bytes);
  return { write, say: (line) => write(encoder.encode(line + "\n")), close: () => {} };
}

/** The folder of daemon log files: `CLEARML_AGENT_TEMP_STDOUT_FILE_DIR`, else the temp dir. */
export function daemonLogDir(tmpDir: string): string {
  return envText("CLEARML_AGENT_TEMP_STDOUT_FILE_DIR") ?? tmpDir;
}

/** A new daemon log file path. */
export function newDaemonLogPath(tmpDir: string): string {
  return join(daemonLogDir(tmpDir), `.clearml_agent_daemon_out${crypto.randomUUID().slice(0, 8)}.txt`);
}

/** Background mode: a log file that gets everything (line-buffered: each write goes straight to the file). */
export function openBackgroundLog(path: string): DaemonOutput {
  Deno.mkdirSync(join(path, ".."), { recursive: true });
  const file = Deno.openSync(path, { create: true, append: true });
  const write = (bytes: Uint8Array) => writeAll(file, bytes);
  return { write, say: (line) => write(encoder.encode(line + "\n")), path, close: () => file.close() };
}

/** The stop signals of a daemon process. */
export interface StopSignals {
  stop: AbortSignal;
  hardStop: AbortSignal;
  drain: AbortSignal;
  dispose(): void;
}

/** Install the SIGTERM/SIGINT (graceful, then immediate) and SIGUSR1 (drain) handlers. */
export function installStopSignals(say: (line: string) => void): StopSignals {
  const stop = new AbortController();
  const hard = new AbortController();
  const drain = new AbortController();
  const onStop = (name: string) => () => {
    if (!stop.signal.aborted) {
      say(`${name} received: stopping (a second signal stops at once)`);
      stop.abort();
    } else if (!hard.signal.aborted) {
      say(`${name} received again: stopping now`);
      hard.abort();
    }
  };
  const onTerm = onStop("SIGTERM");
  const onInt = onStop("SIGINT");
  const onUsr1 = () => {
    if (drain.signal.aborted) return;
    say("SIGUSR1 received: draining (the running task finishes, no new task is taken)");
    drain.abort();
  };
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGUSR1", onUsr1);
  return {
    stop: stop.signal,
    hardStop: hard.signal,
    drain: drain.signal,
    dispose() {
      Deno.removeSignalListener("SIGTERM", onTerm);
      Deno.removeSignalListener("SIGINT", onInt);
      Deno.removeSignalListener("SIGUSR1", onUsr1);
    },
  };
}

/** The arguments of the detached daemon: `argv` without `--detached`/`-d` after `daemon`, with `--foreground`. */
export function detachedArgv(argv: readonly string[]): string[] {
  const at = argv.indexOf("daemon");
  if (at < 0) throw new TypeError(`No "daemon" subcommand in ${JSON.stringify(argv)}`);
  const rest = argv.slice(at + 1).filter((a) => a !== "--detached" && a !== "-d");
  return [...argv.slice(0, at + 1), "--foreground", ...rest.filter((a) => a !== "--foreground")];
}

/** The variable through which a detached daemon says it has registered. */
export const READY_FILE_ENV = "CLEARML_AGENT_READY_FILE";

/** The variable naming a detached daemon's log file (removed after a clean stop, as the reference does). */
export const LOG_FILE_ENV = "CLEARML_AGENT_DAEMON_LOG_FILE";

/**
 * The log file this daemon writes and removes after a clean stop: its own in background mode, the one a
 * `--detached` parent opened for it otherwise; none in the foreground or with `--debug` (kept for reading).
 */
export function ownLogFile(own: string | undefined, debug: boolean): string | undefined {
  const inherited = Deno.env.get(LOG_FILE_ENV);
  Deno.env.delete(LOG_FILE_ENV); // not for the tasks this daemon runs
  return debug ? undefined : own ?? inherited;
}

/** Tell a waiting `--detached` parent that this daemon is up (no-op when not started by one). */
export async function signalReady(workerId: string): Promise<void> {
  const path = Deno.env.get(READY_FILE_ENV);
  if (!path) return;
  Deno.env.delete(READY_FILE_ENV); // not for the tasks this daemon runs
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify({ pid: Deno.pid, workerId }) + "\n");
  await Deno.rename(`${path}.tmp`, path);
}

/** Options of `startDetached`. */
export interface StartDetachedOptions {
  /** This command's arguments (`Deno.args`). */
  argv: readonly string[];
  tmpDir: string;
  say: (line: string) => void;
  /** Longest wait for the daemon to register. @default 60000 */
  timeoutMs?: number;
}

/** Start the daemon detached; resolves to the exit code of this command. */
export async function startDetached(o: StartDetachedOptions): Promise<number> {
  const logPath = newDaemonLogPath(o.tmpDir);
  const readyFile = join(daemonLogDir(o.tmpDir), `.clearml_agent_ready_${crypto.randomUUID().slice(0, 8)}.json`);
  const self = selfCommand();
  await Deno.mkdir(daemonLogDir(o.tmpDir), { recursive: true });
  const child = spawnChild({
    cmd: self[0],
    args: [...self.slice(1), ...detachedArgv(o.argv)],
    env: { [READY_FILE_ENV]: readyFile, [LOG_FILE_ENV]: logPath },
    output: { file: logPath },
  });
  o.say(`Running CLEARML-AGENT daemon in background mode, writing stdout/stderr to ${logPath}`);
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  let exited = false;
  child.status.then(() => (exited = true));
  try {
    while (Date.now() < deadline) {
      try {
        const ready = JSON.parse(await Deno.readTextFile(readyFile)) as { pid: number; workerId: string };
        o.say(`clearml-agent daemon started: worker "${ready.workerId}", pid ${ready.pid}`);
        return 0;
      } catch {
        // not yet
      }
      if (exited) {
        const tail = (await Deno.readTextFile(logPath).catch(() => "")).trimEnd().split("\n").slice(-20).join("\n");
        o.say(`The daemon exited during start-up; the end of its log:\n${tail}`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    o.say(`The daemon (pid ${child.pid}) has not registered yet; it keeps trying, see ${logPath}`);
    return 0;
  } finally {
    await Deno.remove(readyFile).catch(() => {});
  }
}

function alive(pid: number): boolean {
  const p = readProcess(pid);
  return p !== null && isLive(p);
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

function send(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** Options of `stopDaemons`. */
export interface StopDaemonsOptions {
  tmpDir: string;
  spec: WorkerIdSpec;
  /** `--stop` values (empty: this configuration's daemon). */
  ids: readonly string[];
  drain: boolean;
  /** Wait after the first SIGTERM (the running task's grace plus its final reports). */
  waitMs: number;
  say: (line: string) => void;
}

/** `daemon --stop`: resolves to the exit code (1 when a requested daemon was not found). */
export async function stopDaemons(o: StopDaemonsOptions): Promise<number> {
  const running = listInstances(o.tmpDir);
  const { targets, missing, refused, candidates } = stopTargets(running, o.spec, o.ids);
  for (const id of missing) {
    o.say(`Could not find a running clearml-agent instance with worker_name=${o.spec.workerName} worker_id=${id}`);
  }
  if (refused === "ambiguous") {
    o.say(
      `Several clearml-agent daemons run with this configuration; none stopped. Give the arguments it was started ` +
        `with (daemon --stop --queue ...) or its worker id (daemon --stop <worker_id>):`,
    );
  } else if (refused === "no-match") {
    o.say(`No running clearml-agent daemon was started with ${launchArgs(o.spec.launch)}; none stopped. Running:`);
  } else if (missing.length > 0 && running.length > 0 && o.ids.length === 0) o.say("Running clearml-agent daemons:");
  if (refused || (missing.length > 0 && o.ids.length === 0)) {
    for (const line of describeInstances(refused ? candidates : running)) o.say(line);
  }
  if (refused) return 1;
  await Promise.all(targets.map(async (t) => {
    if (o.drain) {
      o.say(`Draining clearml-agent worker_id=${t.workerId} pid=${t.pid}: it exits after its running task`);
      send(t.pid, "SIGUSR1");
      // No limit of our own: a drain lasts as long as the running task. The caller bounds it (systemd's
      // TimeoutStopSec); returning earlier would let systemd's SIGTERM stop the task the drain was waiting for.
      await waitGone(t.pid, Infinity);
      o.say(`clearml-agent worker_id=${t.workerId} pid=${t.pid} has exited`);
      return;
    }
    o.say(`Terminating clearml-agent worker_id=${t.workerId} pid=${t.pid}`);
    send(t.pid, "SIGTERM");
    if (await waitGone(t.pid, o.waitMs)) return;
    o.say(`clearml-agent pid=${t.pid} is still running: stopping it now`);
    send(t.pid, "SIGTERM");
    if (await waitGone(t.pid, 10_000)) return;
    send(t.pid, "SIGKILL");
    await waitGone(t.pid, 5_000);
  }));
  return missing.length > 0 ? 1 : 0;
}
