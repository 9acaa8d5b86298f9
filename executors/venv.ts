/**
 * The venv executor: runs a task's commands on this host, each in its own process group so that an abort reaches
 * every process it started.
 *
 * @module
 */

import type { CapturedResult, ExecCommand, Executor, ExitStatus, OutputSink } from "./executor.ts";

/** Options of `VenvExecutor`. */
export interface VenvExecutorOptions {
  /** Base environment of every command (default: this process's). */
  env?: Record<string, string>;
  /** Seconds between SIGTERM and SIGKILL on abort (default 10). */
  graceSec?: number;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGABRT: 6 };

/** Runs commands on the host. */
export class VenvExecutor implements Executor {
  readonly name = "venv";
  #env: Record<string, string>;
  #graceMs: number;

  constructor(options: VenvExecutorOptions = {}) {
    this.#env = options.env ?? Deno.env.toObject();
    this.#graceMs = (options.graceSec ?? 10) * 1000;
  }

  prepare(): Promise<void> {
    return Promise.resolve();
  }

  #spawn(command: ExecCommand): Deno.ChildProcess {
    const env = { ...this.#env };
    for (const [k, v] of Object.entries(command.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return new Deno.Command(command.argv[0], {
      args: command.argv.slice(1),
      cwd: command.cwd,
      env,
      clearEnv: true,
      stdin: command.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      detached: true,
    }).spawn();
  }

  #killGroup(child: Deno.ChildProcess, signal: Deno.Signal): void {
    try {
      Deno.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }

  async run(command: ExecCommand, output: OutputSink, signal?: AbortSignal): Promise<ExitStatus> {
    const child = this.#spawn(command);
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      this.#killGroup(child, "SIGTERM");
      killTimer = setTimeout(() => this.#killGroup(child, "SIGKILL"), this.#graceMs);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    if (command.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(command.stdin)).catch(() => {});
      await writer.close().catch(() => {});
    }
    const pump = async (stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr") => {
      for await (const chunk of stream) output(chunk, name);
    };
    try {
      const pumps = Promise.all([pump(child.stdout, "stdout"), pump(child.stderr, "stderr")]);
      const status = await child.status;
      // Anything the command left running in its group goes with it (the reference kills leftovers too); that
      // also closes the pipes a leftover held open.
      this.#killGroup(child, "SIGKILL");
      await pumps;
      if (status.signal) return { code: 128 + (SIGNAL_NUMBERS[status.signal] ?? 0), signal: status.signal };
      return { code: status.code };
    } finally {
      signal?.removeEventListener("abort", onAbort);
      clearTimeout(killTimer);
    }
  }

  async capture(command: ExecCommand, signal?: AbortSignal): Promise<CapturedResult> {
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    const status = await this.run(command, (chunk, stream) => (stream === "stdout" ? out : err).push(chunk), signal);
    const dec = (parts: Uint8Array[]) => new TextDecoder().decode(concat(parts));
    return { ...status, stdout: dec(out), stderr: dec(err) };
  }

  cleanup(): Promise<void> {
    return Promise.resolve();
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
