/**
 * How a child process ended, as a plain value: a non-zero exit is data, not an exception. And how an `execute`
 * child tells the daemon side how its task run ended (`ExitInfo`, a small JSON file named by
 * `CLEARML_AGENT_EXIT_INFO`): written by the child (`lib/cli/execute.ts`), read by `lib/job/runner.ts` and by the
 * launcher that judges the run (`executors/task_run.ts`), wherever the child ran.
 *
 * @module
 */

/** How a process ended. Exactly one of `code` and `signal` is non-null. */
export interface ExitStatus {
  /** The exit code when the process exited by itself; `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended the process (`"SIGKILL"`), or `null` when it exited by itself. */
  signal: Deno.Signal | null;
  /** The number of `signal` on Linux (`9` for `SIGKILL`), or `null`. */
  signalNumber: number | null;
  /** True for exit code 0. */
  success: boolean;
}

/** Linux signal numbers of the signals Deno can report (x86_64 and arm64 agree on these). */
const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/** The Linux number of a signal name (`"SIGTERM"` → 15), or `null` when unknown. */
export function signalNumber(name: string): number | null {
  return SIGNAL_NUMBERS[name] ?? null;
}

/** Convert Deno's `CommandStatus` (which reports `code: 128 + n` for a signal) into an `ExitStatus`. */
export function exitStatusFrom(status: Deno.CommandStatus): ExitStatus {
  if (status.signal !== null) {
    return { code: null, signal: status.signal, signalNumber: signalNumber(status.signal), success: false };
  }
  return { code: status.code, signal: null, signalNumber: null, success: status.code === 0 };
}

/**
 * The shell-style exit code of a status: the code itself, or `128 + n` when signal `n` ended the process
 * (`SIGKILL` → 137), which is what `execute` propagates and what the reference compares against.
 */
export function exitCodeOf(status: ExitStatus): number {
  if (status.code !== null) return status.code;
  return 128 + (status.signalNumber ?? 0);
}

/** A short human description: `exit code 3` or `killed by signal SIGKILL`. */
export function describeExit(status: ExitStatus): string {
  return status.code !== null ? `exit code ${status.code}` : `killed by signal ${status.signal}`;
}

/** What an `execute` child reports to the daemon about its run (written to `CLEARML_AGENT_EXIT_INFO`). */
export interface ExitInfo {
  /** The task process's exit code (128 + N for a signal), or 1 when it never ran. */
  exitCode: number;
  /** The signal number that ended the task process, if one did. */
  signalNumber?: number;
  /** Set when environment setup failed: the one-line reason. */
  setupFailure?: string;
}

/** The variable that tells an `execute` child where to write its `ExitInfo`. */
export const EXIT_INFO_ENV = "CLEARML_AGENT_EXIT_INFO";

/** Write `info` as JSON (aside, then renamed into place). */
export async function writeExitInfo(path: string, info: ExitInfo): Promise<void> {
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(info) + "\n");
  await Deno.rename(`${path}.tmp`, path);
}

/** Read an `ExitInfo`; `null` when there is none (the child died before writing it) or it is not one. */
export async function readExitInfo(path: string): Promise<ExitInfo | null> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    return value && typeof value.exitCode === "number" ? value as ExitInfo : null;
  } catch {
    return null;
  }
}
