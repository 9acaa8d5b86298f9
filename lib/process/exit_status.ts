/**
 * How a child process ended, as a plain value: a non-zero exit is data, not an exception.
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
