/**
 * `NvidiaSmiSampler`: GPU readings from one `nvidia-smi -q -x` call per sample, filtered by
 * `NVIDIA_VISIBLE_DEVICES`.
 *
 * Failure policy (no log spam, never stuck):
 * - `NVIDIA_VISIBLE_DEVICES` is `none`/`void` → no GPU stats, nvidia-smi is never run;
 * - no `nvidia-smi` on PATH → CPU-only, silently (a debug line);
 * - nvidia-smi does not answer within `timeoutMs` → its process group is SIGKILLed, GPU monitoring is switched
 *   off for good (a hung driver stays hung) and ONE warning is printed;
 * - garbage output or a non-zero exit → ONE warning (the first time); after `maxFailures` failures in a row GPU
 *   monitoring is switched off, silently.
 *
 * @module
 */

import { log } from "../logger.ts";
import {
  filterVisible,
  type GpuReading,
  gpuReadings,
  needsMigUuids,
  type NvidiaSmiReport,
  parseNvidiaSmiList,
  parseNvidiaSmiXml,
  parseVisibleDevices,
} from "./gpu_nvidia.ts";
import { normalizeCudaVersion } from "./cuda_version.ts";

/** Anything that yields GPU readings; `null` means "no GPU stats" (none, or monitoring off). */
export interface GpuSource {
  sample(): Promise<GpuReading[] | null>;
}

/** Options of `NvidiaSmiSampler`. */
export interface NvidiaSmiSamplerOptions {
  /** Program name or path. @default "nvidia-smi" */
  command?: string;
  /** The `PATH` searched for `command`. @default the process's PATH */
  path?: string;
  /** The `NVIDIA_VISIBLE_DEVICES` value to honour. @default the process's variable */
  visibleDevices?: string;
  /** Longest wait for one nvidia-smi run. @default 10000 */
  timeoutMs?: number;
  /** Utilization reported when none is available (`agent.resource_monitoring.default_gpu_utilization`). @default 100 */
  defaultUtilization?: number;
  /** Failures in a row (bad output, non-zero exit) that switch GPU monitoring off. @default 3 */
  maxFailures?: number;
  /** Where the single warning goes. @default log.warn */
  warn?: (message: string) => void;
}

function lookPath(cmd: string, pathValue: string): string | null {
  if (cmd.includes("/")) {
    try {
      return Deno.statSync(cmd).isFile ? cmd : null;
    } catch {
      return null;
    }
  }
  for (const dir of pathValue.split(":")) {
    if (dir === "") continue;
    try {
      const info = Deno.statSync(`${dir}/${cmd}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return `${dir}/${cmd}`;
    } catch {
      // not here
    }
  }
  return null;
}

class TimeoutError extends Error {}

/** Run a program with a deadline; on timeout its whole process group is SIGKILLed. Returns stdout. */
async function runWithTimeout(
  program: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number; out: string }> {
  const child = new Deno.Command(program, { args, stdout: "piped", stderr: "null", stdin: "null", detached: true })
    .spawn();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
  const reader = child.stdout.getReader();
  const read = (async () => {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const r = await reader.read();
      if (r.done) return chunks;
      chunks.push(r.value);
    }
  })();
  try {
    const result = await Promise.race([Promise.all([read, child.status]), expired]);
    if (result === "timeout") {
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await reader.cancel().catch(() => {});
      await read.catch(() => {});
      // A process stuck in the driver may not even die: do not wait for it forever.
      const reaped = await Promise.race([
        child.status.then(() => true),
        new Promise((r) => setTimeout(r, 1000, false)),
      ]);
      if (!reaped) child.unref();
      throw new TimeoutError(`"${program} ${args.join(" ")}" did not answer within ${timeoutMs} ms`);
    }
    const [chunks, status] = result;
    const out = new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
    return { code: status.code, out };
  } finally {
    clearTimeout(timer);
  }
}

/** GPU stats from `nvidia-smi -q -x`. */
export class NvidiaSmiSampler implements GpuSource {
  #program: string | null | undefined;
  #o: Required<Omit<NvidiaSmiSamplerOptions, "visibleDevices" | "path">> & { visibleDevices?: string; path: string };
  #disabled = false;
  #failures = 0;
  #warned = false;
  #migUuids: Map<string, string> | null = null;
  #busy: Promise<NvidiaSmiReport | null> | null = null;

  constructor(options: NvidiaSmiSamplerOptions = {}) {
    this.#o = {
      command: "nvidia-smi",
      timeoutMs: 10_000,
      defaultUtilization: 100,
      maxFailures: 3,
      warn: (m) => log.warn(m),
      ...options,
      path: options.path ?? Deno.env.get("PATH") ?? "",
      visibleDevices: "visibleDevices" in options ? options.visibleDevices : Deno.env.get("NVIDIA_VISIBLE_DEVICES"),
    };
    if (parseVisibleDevices(this.#o.visibleDevices) === "none") this.#disabled = true;
  }

  /** True once GPU monitoring is off (no GPUs visible, no nvidia-smi, or it failed). */
  get disabled(): boolean {
    return this.#disabled;
  }

  /**
   * One full query, unfiltered; `null` when GPU monitoring is off or this run failed. Concurrent callers share
   * one nvidia-smi run.
   */
  query(): Promise<NvidiaSmiReport | null> {
    this.#busy ??= this.#query().finally(() => (this.#busy = null));
    return this.#busy;
  }

  /** Readings of the visible GPUs (MIG devices as their own entries), or `null` for no GPU stats. */
  async sample(): Promise<GpuReading[] | null> {
    const report = await this.query();
    if (report === null) return null;
    if (this.#migUuids === null && needsMigUuids(this.#o.visibleDevices)) this.#migUuids = await this.#listMig();
    const readings = gpuReadings(report, {
      defaultUtilization: this.#o.defaultUtilization,
      migUuids: this.#migUuids ?? undefined,
    });
    return filterVisible(readings, this.#o.visibleDevices);
  }

  /** The driver's CUDA version normalised (`"122"`), or `null` when unknown (no GPU, or monitoring off). */
  async driverCudaVersion(): Promise<string | null> {
    const report = await this.query();
    const v = normalizeCudaVersion(report?.cudaVersion);
    return v === "0" ? null : v;
  }

  async #query(): Promise<NvidiaSmiReport | null> {
    if (this.#disabled) return null;
    if (this.#program === undefined) this.#program = lookPath(this.#o.command, this.#o.path);
    if (this.#program === null) {
      log.debug(`GPU monitoring off: "${this.#o.command}" not found on PATH`);
      this.#disabled = true;
      return null;
    }
    try {
      const { code, out } = await runWithTimeout(this.#program, ["-q", "-x"], this.#o.timeoutMs);
      if (code !== 0) throw new Error(`exited with code ${code}`);
      const report = parseNvidiaSmiXml(out);
      this.#failures = 0;
      return report;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof TimeoutError) {
        this.#disabled = true;
        this.#warnOnce(`GPU monitoring switched off: ${reason}`);
        return null;
      }
      if (++this.#failures >= this.#o.maxFailures) this.#disabled = true;
      this.#warnOnce(`GPU stats unavailable: cannot read "${this.#o.command} -q -x": ${reason}`);
      return null;
    }
  }

  async #listMig(): Promise<Map<string, string>> {
    try {
      const { code, out } = await runWithTimeout(this.#program!, ["-L"], this.#o.timeoutMs);
      return code === 0 ? parseNvidiaSmiList(out) : new Map();
    } catch {
      return new Map();
    }
  }

  #warnOnce(message: string): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#o.warn(message);
  }
}
