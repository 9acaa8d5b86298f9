/**
 * The venv executor: runs a task's commands on this host through `lib/process` — each command in its own process
 * group and session, so that an abort (SIGTERM, grace period, SIGKILL) reaches every process it started,
 * grandchildren included, and nothing it leaves behind outlives it.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { spawnChild } from "../lib/process/child.ts";
import { exitCodeOf } from "../lib/process/exit_status.ts";
import { terminateGroup } from "../lib/process/group_kill.ts";
import type { CapturedResult, CommandExit, ExecCommand, Executor, OutputSink } from "./executor.ts";

/** Options of `VenvExecutor`. */
export interface VenvExecutorOptions {
  /** Base environment of every command (default: this process's). */
  env?: Record<string, string>;
  /** Seconds between SIGTERM and SIGKILL on abort (default 10). */
  graceSec?: number;
}

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

  #environment(command: ExecCommand): Record<string, string> {
    const env = { ...this.#env };
    for (const [k, v] of Object.entries(command.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  async run(command: ExecCommand, output: OutputSink, signal?: AbortSignal): Promise<CommandExit> {
    if (signal?.aborted) return { code: 130, signal: "SIGTERM" };
    const child = spawnChild({
      cmd: command.argv[0],
      args: command.argv.slice(1),
      cwd: command.cwd,
      env: this.#environment(command),
      clearEnv: true,
      stdin: command.stdin === undefined ? "null" : "piped",
      output: command.directOutput ? "inherit" : "separate",
    });
    let stopping: Promise<unknown> | undefined;
    const onAbort = () => stopping ??= child.terminate({ graceMs: this.#graceMs });
    signal?.addEventListener("abort", onAbort, { once: true });
    const pump = async (stream: ReadableStream<Uint8Array> | null, name: "stdout" | "stderr") => {
      if (stream) { for await (const chunk of stream) output(chunk, name); }
    };
    try {
      const pumps = Promise.all([pump(child.stdout, "stdout"), pump(child.stderr, "stderr")]);
      if (command.stdin !== undefined && child.stdin) {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(command.stdin)).catch(() => {});
        await writer.close().catch(() => {});
      }
      const status = await child.status;
      // Anything the command left running goes with it (the reference kills leftovers too); that also closes the
      // pipes a leftover held open.
      await (stopping ?? terminateGroup(child.pgid, { graceMs: 0, sid: child.pid }));
      await pumps;
      return status.signal ? { code: exitCodeOf(status), signal: status.signal } : { code: exitCodeOf(status) };
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async capture(command: ExecCommand, signal?: AbortSignal): Promise<CapturedResult> {
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    const status = await this.run(command, (chunk, stream) => (stream === "stdout" ? out : err).push(chunk), signal);
    const dec = (parts: Uint8Array[]) => new TextDecoder().decode(Buffer.concat(parts));
    return { ...status, stdout: dec(out), stderr: dec(err) };
  }

  cleanup(): Promise<void> {
    return Promise.resolve();
  }
}
