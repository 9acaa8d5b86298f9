/**
 * Child processes the agent runs (the task, `docker run`, pip, git...): each one starts in its own process group
 * and session, so that the whole tree it creates can be interrupted, killed or waited for as a unit.
 *
 * Output modes:
 * - `"merged"` (default): stdout and stderr share one pipe in the child (`2>&1`), so their relative order is
 *   exactly what the task wrote; read it from `output`.
 * - `"separate"`: two pipes, `stdout` and `stderr`.
 * - `{ file }`: both appended to a file by the child itself; the child keeps writing if the agent dies.
 * - `"inherit"` / `"null"`.
 *
 * A piped stream must be read to the end or cancelled, or the child blocks once the pipe is full.
 *
 * @example
 * ```ts
 * const child = spawnChild({ cmd: "python3", args: ["-u", "train.py"], cwd: dir });
 * const lines = pumpLines(child.output!, { onLines: (l) => streamer.writeLines(l) });
 * const status = await child.status;
 * await lines;
 * ```
 *
 * @module
 */

import { type ExitStatus, exitStatusFrom } from "./exit_status.ts";
import { signalGroup, terminateGroup, type TerminateResult } from "./group_kill.ts";
import { groupAlive } from "./proc_table.ts";

/** Where the child's stdout and stderr go. */
export type OutputMode = "merged" | "separate" | "inherit" | "null" | { file: string };

/** Options of `spawnChild`. */
export interface SpawnChildOptions {
  /** Program: a path, or a name looked up on the child's `PATH` (the parent's when `env` has none). */
  cmd: string;
  args?: readonly string[];
  cwd?: string;
  /** Variables added to the parent's environment (or, with `clearEnv`, the whole environment). */
  env?: Record<string, string>;
  /** Start from an empty environment plus `env`. @default false */
  clearEnv?: boolean;
  /** @default "null" */
  stdin?: "null" | "inherit" | "piped";
  /** @default "merged" */
  output?: OutputMode;
}

/** Options of `ChildProcess.terminate`. */
export interface ChildTerminateOptions {
  /** Time the tree gets after the first signal (SIGINT, then SIGTERM) before SIGKILL. @default 10000 */
  graceMs?: number;
  /** Time SIGINT alone is given before SIGTERM. @default min(1000, graceMs / 2) */
  interruptMs?: number;
  /** Aborting ends the grace period early (SIGKILL at once). */
  signal?: AbortSignal;
}

/** A running child: its own process group (`pgid === pid`) and session. */
export class ChildProcess {
  /** The child's pid, which is also its process group id and session id. */
  readonly pid: number;
  /** Merged stdout+stderr (output `"merged"`), else `null`. */
  readonly output: ReadableStream<Uint8Array> | null;
  /** Stdout (output `"separate"`), else `null`. */
  readonly stdout: ReadableStream<Uint8Array> | null;
  /** Stderr (output `"separate"`), else `null`. */
  readonly stderr: ReadableStream<Uint8Array> | null;
  /** The child's stdin (stdin `"piped"`), else `null`. */
  readonly stdin: WritableStream<Uint8Array> | null;
  /** Resolves when the child itself (the group leader) has exited and been reaped. */
  readonly status: Promise<ExitStatus>;
  #exited: ExitStatus | null = null;

  constructor(child: Deno.ChildProcess, mode: OutputMode, stdin: boolean) {
    this.pid = child.pid;
    this.output = mode === "merged" ? child.stdout : null;
    this.stdout = mode === "separate" ? child.stdout : null;
    this.stderr = mode === "separate" ? child.stderr : null;
    this.stdin = stdin ? child.stdin : null;
    this.status = child.status.then((s) => (this.#exited = exitStatusFrom(s)));
  }

  /** The process group id (equal to `pid`). */
  get pgid(): number {
    return this.pid;
  }

  /** The exit status once the leader has exited, else `null`. */
  get exited(): ExitStatus | null {
    return this.#exited;
  }

  /** True while any live process of the child's group remains (the leader may have exited already). */
  groupAlive(): boolean {
    return groupAlive(this.pid);
  }

  /** Send `sig` to the whole group. Returns false when the group is already gone. */
  signal(sig: Deno.Signal): boolean {
    return signalGroup(this.pid, sig);
  }

  /** SIGTERM to the whole group (the reference's Ctrl-C/abort equivalent, without waiting). */
  interrupt(): boolean {
    return this.signal("SIGTERM");
  }

  /** SIGKILL to the whole group, without waiting. */
  kill(): boolean {
    return this.signal("SIGKILL");
  }

  /**
   * SIGINT the tree, then SIGTERM, wait up to `graceMs`, SIGKILL what remains (grandchildren included, also those
   * that ignore both, were reparented, or moved to another group of the child's session), and resolve once
   * nothing of the tree is alive and the leader's status is known.
   */
  async terminate(options: ChildTerminateOptions = {}): Promise<TerminateResult & { status: ExitStatus }> {
    const { graceMs, interruptMs, signal } = options;
    const result = await terminateGroup(this.pid, { graceMs, interruptMs, signal, sid: this.pid });
    return { ...result, status: await this.status };
  }

  /** `await using child = spawnChild(...)`: kill the tree at once and wait for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.terminate({ graceMs: 0 });
  }
}

function lookPath(cmd: string, pathValue: string | undefined): string | null {
  if (cmd.includes("/")) return cmd;
  for (const dir of (pathValue ?? "").split(":")) {
    if (dir === "") continue;
    const candidate = `${dir}/${cmd}`;
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

/**
 * Start a child in its own process group and session (`detached`). Throws `Deno.errors.NotFound` (wrapped with
 * the command name) when the program does not exist, like `Deno.Command` does; anything the program does after
 * starting, including a non-zero exit, is reported through `status`.
 */
export function spawnChild(options: SpawnChildOptions): ChildProcess {
  const mode = options.output ?? "merged";
  const childPath = options.env?.PATH ?? (options.clearEnv ? undefined : Deno.env.get("PATH"));
  const program = lookPath(options.cmd, childPath ?? "/usr/local/bin:/usr/bin:/bin");
  if (program === null) {
    throw new Deno.errors.NotFound(`Cannot start "${options.cmd}": not found on PATH`);
  }
  let cmd = program;
  let args = [...(options.args ?? [])];
  const unix = Deno.build.os !== "windows";
  if (unix && mode === "merged") {
    // The shell makes stderr a copy of the stdout pipe and then becomes the program (same pid).
    [cmd, args] = ["/bin/sh", ["-c", 'exec "$@" 2>&1', "sh", program, ...args]];
  } else if (unix && typeof mode === "object") {
    [cmd, args] = ["/bin/sh", ["-c", 'f="$1"; shift; exec "$@" >>"$f" 2>&1', "sh", mode.file, program, ...args]];
  } else if (typeof mode === "object" || mode === "merged") {
    throw new TypeError(`Output mode "${JSON.stringify(mode)}" is not supported on "${Deno.build.os}"`);
  }
  const piped = mode === "merged" || mode === "separate";
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.clearEnv ?? false,
    stdin: options.stdin ?? "null",
    stdout: piped ? "piped" : mode === "inherit" ? "inherit" : "null",
    stderr: mode === "separate" ? "piped" : mode === "inherit" ? "inherit" : "null",
    detached: true,
  }).spawn();
  return new ChildProcess(child, mode, options.stdin === "piped");
}
