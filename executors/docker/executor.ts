/**
 * The docker executor: containers through the Engine API (`npm:dockerode`), never a `docker` binary.
 *
 * `ContainerRun` is one container's life: create, attach (before start, so no output is lost), start, stream its
 * output, wait, stop (the stop signal, a grace period, then SIGKILL — the engine's own `stop`), read how it ended
 * (exit code, `OOMKilled`), remove. It has the shape of a host child (`output`, `status`, `exited`,
 * `terminate`) so that the daemon streams and stops a container exactly as it does a process.
 *
 * `DockerExecutor` runs each command of an `Executor` in a fresh container of one image (mounts, variables and
 * labels fixed at construction).
 *
 * @module
 */

import type { ExitStatus as ProcessExit } from "../../lib/process/exit_status.ts";
import type { CapturedResult, CommandExit, ExecCommand, Executor, OutputSink } from "../executor.ts";
import { SetupError } from "../executor.ts";
import { type Engine, type EngineContainer, engineMessage, type NodeStream } from "./engine.ts";
import { ensureImage, splitImageName } from "./image.ts";

/** How a container ended, from its state. */
export interface ContainerEnd {
  exitCode: number;
  oomKilled: boolean;
  /** The engine's error text for a container that could not run, if any. */
  error?: string;
}

/** Options of `ContainerRun.start`. */
export interface ContainerStartOptions {
  /** Runs after create, before start (checks on the container's file system); throwing removes the container. */
  beforeStart?: (container: EngineContainer) => Promise<void>;
  /** Runs right after a successful start (delete the env file). */
  afterStart?: () => Promise<void>;
  /** Container name. */
  name?: string;
}

/**
 * Splits the engine's multiplexed attach stream (8-byte frame headers: stream id, 3 zero bytes, big-endian size)
 * into payloads. Partial frames are kept until complete.
 */
export class FrameDemuxer {
  #buffer = new Uint8Array(0);

  /** Feed bytes; returns the complete frames' payloads with their stream (1 stdout, 2 stderr). */
  push(chunk: Uint8Array): { stream: 1 | 2; data: Uint8Array }[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const out: { stream: 1 | 2; data: Uint8Array }[] = [];
    let at = 0;
    while (joined.length - at >= 8) {
      const size = new DataView(joined.buffer, joined.byteOffset + at + 4, 4).getUint32(0);
      if (joined.length - at - 8 < size) break;
      const stream = joined[at] === 2 ? 2 : 1;
      out.push({ stream, data: joined.slice(at + 8, at + 8 + size) });
      at += 8 + size;
    }
    this.#buffer = joined.slice(at);
    return out;
  }
}

/** One container from create to remove. */
export class ContainerRun {
  readonly id: string;
  /** Stdout and stderr in arrival order. */
  readonly output: ReadableStream<Uint8Array>;
  /** Resolves when the container's main process has exited (its exit code; never a signal). */
  readonly status: Promise<ProcessExit>;
  #container: EngineContainer;
  #exited: ProcessExit | null = null;
  #removed = false;

  private constructor(container: EngineContainer, output: ReadableStream<Uint8Array>, status: Promise<ProcessExit>) {
    this.id = container.id;
    this.#container = container;
    this.output = output;
    this.status = status.then((s) => (this.#exited = s));
  }

  /**
   * Create, attach and start a container. Throws `SetupError` (phase `start`) with the engine's message when it
   * cannot be created or started; nothing is left behind then.
   */
  static async start(
    engine: Engine,
    create: Record<string, unknown>,
    options: ContainerStartOptions = {},
    sink?: OutputSink,
  ): Promise<ContainerRun> {
    let container: EngineContainer;
    try {
      container = await engine.createContainer(options.name ? { ...create, name: options.name } : create);
    } catch (err) {
      throw new SetupError("start", `Cannot create the container: ${engineMessage(err)}`, { cause: err });
    }
    let stream: NodeStream | undefined;
    try {
      await options.beforeStart?.(container);
      stream = await container.attach({ stream: true, stdout: true, stderr: true, hijack: true });
      const output = streamOf(stream, sink);
      await container.start();
      await options.afterStart?.();
      const status = container.wait().then(
        (r) => exitOf(r.StatusCode),
        async () => exitOf((await container.inspect().catch(() => null))?.State.ExitCode ?? 1),
      );
      return new ContainerRun(container, output, status);
    } catch (err) {
      stream?.destroy();
      await container.remove({ force: true, v: true }).catch(() => {});
      if (err instanceof SetupError) throw err;
      throw new SetupError("start", `Cannot start the container: ${engineMessage(err)}`, { cause: err });
    }
  }

  /** The exit status once the container exited, else `null`. */
  get exited(): ProcessExit | null {
    return this.#exited;
  }

  /**
   * Stop the container: the engine sends its stop signal (our init forwards it to the agent), waits `graceMs`
   * (rounded up to whole seconds), then kills; `signal` aborting kills at once. Resolves when it has exited.
   */
  async terminate(options: { graceMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.#exited || this.#removed) return;
    const graceS = Math.max(0, Math.ceil((options.graceMs ?? 10_000) / 1000));
    const kill = () => this.#container.kill({ signal: "SIGKILL" }).catch(() => {});
    options.signal?.addEventListener("abort", kill, { once: true });
    try {
      if (options.signal?.aborted || graceS === 0) await kill();
      else await this.#container.stop({ t: graceS }).catch(() => {});
      // Bounded: the engine answers `stop` only once the container is down, so this is at most a moment.
      await Promise.race([this.status, new Promise((r) => setTimeout(r, 5_000))]);
    } finally {
      options.signal?.removeEventListener("abort", kill);
    }
  }

  /** The container's end state (exit code, OOM kill, engine error). */
  async end(): Promise<ContainerEnd> {
    const info = await this.#container.inspect();
    const s = info.State;
    return { exitCode: s.ExitCode, oomKilled: s.OOMKilled, error: s.Error || undefined };
  }

  /**
   * Commit the container's file system as image `name[:tag]` with `config` (the engine merges the container's own
   * configuration under it); resolves to the image id. Throws `SetupError` with the engine's message.
   */
  async commit(name: string, config: Record<string, unknown>, comment = ""): Promise<string> {
    const { repo, tag } = splitImageName(name);
    try {
      const res = await this.#container.commit({ _query: { container: this.id, repo, tag, comment }, _body: config });
      return res.Id;
    } catch (err) {
      throw new SetupError("commit", `Cannot commit the container to "${name}": ${engineMessage(err)}`, { cause: err });
    }
  }

  /** Remove the container (and its anonymous volumes), killing it if it still runs. Never throws. */
  async remove(): Promise<void> {
    if (this.#removed) return;
    this.#removed = true;
    await this.#container.remove({ force: true, v: true }).catch(() => {});
  }
}

function exitOf(code: number): ProcessExit {
  return { code, signal: null, signalNumber: null, success: code === 0 };
}

/** The attach stream's payloads as one byte stream (and to `sink` per stream, when given). */
function streamOf(stream: NodeStream, sink?: OutputSink): ReadableStream<Uint8Array> {
  const demux = new FrameDemuxer();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        controller.close();
      };
      stream.on("data", (chunk) => {
        if (closed) return;
        for (const frame of demux.push(chunk)) {
          sink?.(frame.data, frame.stream === 2 ? "stderr" : "stdout");
          controller.enqueue(frame.data);
        }
      });
      stream.on("end", close);
      stream.on("close", close);
      stream.on("error", close);
    },
    cancel() {
      stream.destroy();
    },
  });
}

/** Options of `DockerExecutor`. */
export interface DockerExecutorOptions {
  engine: Engine;
  image: string;
  /** Fixed parts of every container (mounts, labels, host config); `Cmd`, `Env` and `WorkingDir` are per command. */
  base?: Record<string, unknown>;
  /** Variables of every command. */
  env?: Record<string, string>;
  /** Seconds between the stop signal and SIGKILL on abort. @default 10 */
  graceSec?: number;
  /** Pull policy of `prepare`. */
  forcePull?: boolean;
  say?: (line: string) => void;
}

/** Runs each command in a fresh container of one image. */
export class DockerExecutor implements Executor {
  readonly name = "docker";
  #o: DockerExecutorOptions;
  #running = new Set<ContainerRun>();

  constructor(options: DockerExecutorOptions) {
    this.#o = options;
  }

  /** Make sure the image is here (pulling it when missing, or always with `forcePull`). */
  async prepare(signal?: AbortSignal): Promise<void> {
    await ensureImage(this.#o.engine, this.#o.image, { forcePull: this.#o.forcePull, say: this.#o.say, signal });
  }

  async run(command: ExecCommand, output: OutputSink, signal?: AbortSignal): Promise<CommandExit> {
    if (signal?.aborted) return { code: 130, signal: "SIGTERM" };
    if (command.stdin !== undefined) throw new SetupError("start", "The docker executor does not feed standard input");
    const env = { ...this.#o.env };
    for (const [k, v] of Object.entries(command.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const base = this.#o.base ?? {};
    const create = {
      ...base,
      Image: this.#o.image,
      Cmd: command.argv,
      Env: [...((base.Env as string[] | undefined) ?? []), ...Object.entries(env).map(([k, v]) => `${k}=${v}`)],
      ...(command.cwd ? { WorkingDir: command.cwd } : {}),
      HostConfig: { Init: true, ...(base.HostConfig as object | undefined) },
    };
    const run = await ContainerRun.start(this.#o.engine, create, {}, output);
    this.#running.add(run);
    const onAbort = () => void run.terminate({ graceMs: (this.#o.graceSec ?? 10) * 1000 });
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const reader = run.output.getReader();
      while (!(await reader.read()).done) { /* the sink got it */ }
      const status = await run.status;
      return { code: status.code ?? 1 };
    } finally {
      signal?.removeEventListener("abort", onAbort);
      await run.remove();
      this.#running.delete(run);
    }
  }

  async capture(command: ExecCommand, signal?: AbortSignal): Promise<CapturedResult> {
    const out: string[] = [];
    const err: string[] = [];
    const dec = new TextDecoder();
    const status = await this.run(command, (c, s) => (s === "stdout" ? out : err).push(dec.decode(c)), signal);
    return { ...status, stdout: out.join(""), stderr: err.join("") };
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.#running].map((r) => r.remove()));
  }
}
