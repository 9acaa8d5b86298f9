/**
 * Where a task's commands run: the seam between `lib/job` (what runs: git, installers, the task) and the place
 * that runs it (the host for venv mode; a container for docker mode). Types only. Per command; the per-task
 * seam (which starts a whole `execute` child) is `task_run.ts`.
 *
 * Implementers: `executors/venv.ts` (the host), `executors/docker/executor.ts` (a fresh container per command).
 *
 * @module
 */

/** Which stream a chunk of output came from. */
export type OutputStream = "stdout" | "stderr";

/** Receives a command's output as it arrives, in order per stream. */
export type OutputSink = (chunk: Uint8Array, stream: OutputStream) => void;

/** One command to run. */
export interface ExecCommand {
  argv: string[];
  cwd?: string;
  /** Environment added to the executor's base environment; `undefined` values remove a variable. */
  env?: Record<string, string | undefined>;
  /** Text written to the command's standard input (none: /dev/null). */
  stdin?: string;
  /**
   * The command writes straight to this process's stdout and stderr (nothing passes through the sink): for the
   * task itself under a daemon, which reads this process's output from a file — the task never waits for a reader.
   */
  directOutput?: boolean;
}

/** How a command ended. */
export interface CommandExit {
  /** Exit code; 128 + N when killed by signal N (as a shell reports it). */
  code: number;
  /** The signal that ended it, if any. */
  signal?: string;
}

/** A command's result with its output collected. */
export interface CapturedResult extends CommandExit {
  stdout: string;
  stderr: string;
}

/** The place a task runs. */
export interface Executor {
  readonly name: string;
  /** Get ready to run commands (create folders, start a container...). */
  prepare(signal?: AbortSignal): Promise<void>;
  /**
   * Run a command, streaming its output to `output`; resolves when it ends. Aborting `signal` interrupts it
   * (SIGTERM to its process group, then SIGKILL after a grace period).
   */
  run(command: ExecCommand, output: OutputSink, signal?: AbortSignal): Promise<CommandExit>;
  /** Run a short command and collect its output (git, installers' queries). */
  capture(command: ExecCommand, signal?: AbortSignal): Promise<CapturedResult>;
  /** Release everything `prepare` created. Idempotent; never throws. */
  cleanup(): Promise<void>;
}

/** An environment-setup failure (git, diff, Python, installs): fails the task with `reason`. */
export class SetupError extends Error {
  override name = "SetupError";
  /** The phase that failed: `git`, `diff`, `env`, `install`, `start`. */
  readonly phase: string;
  constructor(phase: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.phase = phase;
  }
}
