/**
 * `ResourceMonitor`: samples the machine (every 500 ms) and the GPUs (every 5 s, one nvidia-smi run at a time),
 * sums the readings, and `report()` returns their averages as the `machine_stats` object of
 * `workers.status_report` — field names and units exactly as the reference sends them (agent-reference §5.3),
 * values rounded to 3 decimals — then starts a new averaging window.
 *
 * Scheduling the reports (first after `FIRST_REPORT_MS`, then every `REPORT_INTERVAL_MS`) is the caller's job.
 *
 * @example
 * ```ts
 * const monitor = new ResourceMonitor({ gpu: new NvidiaSmiSampler() });
 * monitor.start();
 * // every 30 s:
 * const machine_stats = monitor.report();
 * await monitor.stop();
 * ```
 *
 * @module
 */

import type { GpuReading } from "./gpu_nvidia.ts";
import type { GpuSource } from "./gpu_sampler.ts";
import { type MachineCounters, type MachineSample, sampleBetween } from "./machine.ts";
import { defaultMachineProbe, type MachineProbe } from "./machine_probe.ts";
import { type Clock, monotonicClock } from "../clock.ts";

/** Delay of the first status report after the monitor starts (reference: 3 s). */
export const FIRST_REPORT_MS = 3_000;
/** Interval of the following status reports (reference: 30 s). */
export const REPORT_INTERVAL_MS = 30_000;

/** `workers.status_report` `machine_stats`; a key is absent when its value is unavailable. */
export interface MachineStats {
  /** One element: the mean of the per-core busy percentages. */
  cpu_usage?: number[];
  /** One element: the hottest core, °C. */
  cpu_temperature?: number[];
  /** MB (MiB) used. */
  memory_used?: number;
  /** MB (MiB) available. */
  memory_free?: number;
  /** Percent (not MB) free on the monitored path. */
  disk_free_home?: number;
  /** MB/s. */
  disk_read?: number;
  disk_write?: number;
  network_rx?: number;
  network_tx?: number;
  /** Per visible GPU (or MIG device), ordered by index. */
  gpu_temperature?: number[];
  gpu_usage?: number[];
  /** MB (MiB). */
  gpu_memory_used?: number[];
  /** MB (MiB): total − used. */
  gpu_memory_free?: number[];
}

/** Options of `ResourceMonitor`. */
export interface ResourceMonitorOptions {
  /** @default defaultMachineProbe() */
  probe?: MachineProbe;
  /** GPU readings; `null` or absent for CPU-only. */
  gpu?: GpuSource | null;
  /** @default 500 (the reference samples twice a second) */
  sampleIntervalMs?: number;
  /** @default 5000 (an nvidia-smi run is far heavier than reading /proc) */
  gpuIntervalMs?: number;
  clock?: Clock;
}

class Mean {
  sum = 0;
  n = 0;
  add(v: number | null | undefined): void {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    this.sum += v;
    this.n++;
  }
  get value(): number | null {
    return this.n === 0 ? null : this.sum / this.n;
  }
}

type MachineKey = keyof MachineSample;
const MACHINE_KEYS: MachineKey[] = [
  "cpuUsage",
  "cpuTemperature",
  "memoryUsedMB",
  "memoryFreeMB",
  "diskFreePercent",
  "diskReadMBs",
  "diskWriteMBs",
  "networkRxMBs",
  "networkTxMBs",
];

interface GpuMeans {
  index: number;
  migIndex: number;
  temperature: Mean;
  usage: Mean;
  used: Mean;
  free: Mean;
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** Averages machine and GPU readings between reports. */
export class ResourceMonitor {
  #probe: MachineProbe;
  #gpu: GpuSource | null;
  #interval: number;
  #gpuInterval: number;
  #clock: Clock;
  #prev: MachineCounters | null = null;
  #machine = new Map<MachineKey, Mean>();
  #gpus = new Map<string, GpuMeans>();
  #samples = 0;
  #stop: AbortController | null = null;
  #loops: Promise<void>[] = [];

  constructor(options: ResourceMonitorOptions = {}) {
    this.#probe = options.probe ?? defaultMachineProbe();
    this.#gpu = options.gpu ?? null;
    this.#interval = options.sampleIntervalMs ?? 500;
    this.#gpuInterval = options.gpuIntervalMs ?? 5_000;
    this.#clock = options.clock ?? monotonicClock;
    this.reset();
  }

  /** Machine samples in the current window. */
  get samples(): number {
    return this.#samples;
  }

  /** Start sampling in the background (idempotent). */
  start(): void {
    if (this.#stop) return;
    const stop = (this.#stop = new AbortController());
    const loop = async (every: number, step: () => Promise<void>) => {
      while (!stop.signal.aborted) {
        await step().catch(() => {});
        await this.#clock.sleep(every, stop.signal);
      }
    };
    this.#loops = [loop(this.#interval, () => this.sampleMachine())];
    if (this.#gpu) this.#loops.push(loop(this.#gpuInterval, () => this.sampleGpu()));
  }

  /** Stop sampling; resolves when the loops (and an nvidia-smi run in flight) are done. */
  async stop(): Promise<void> {
    this.#stop?.abort();
    await Promise.all(this.#loops);
    this.#stop = null;
    this.#loops = [];
  }

  /** Take one machine sample now (rates are relative to the previous one; the first one's are 0). */
  async sampleMachine(): Promise<void> {
    const cur = await this.#probe.read();
    const sample = sampleBetween(this.#prev, cur);
    this.#prev = cur;
    for (const key of MACHINE_KEYS) this.#machine.get(key)!.add(sample[key]);
    this.#samples++;
  }

  /** Take one GPU sample now (no-op when GPU stats are unavailable). */
  async sampleGpu(): Promise<void> {
    const readings = await this.#gpu?.sample();
    if (readings) this.addGpuReadings(readings);
  }

  /** Add GPU readings taken elsewhere (e.g. shared with an allocator) to the current window. */
  addGpuReadings(readings: readonly GpuReading[]): void {
    for (const r of readings) {
      const key = `${r.index}:${r.migIndex ?? -1}`;
      let m = this.#gpus.get(key);
      if (!m) {
        m = {
          index: r.index,
          migIndex: r.migIndex ?? -1,
          temperature: new Mean(),
          usage: new Mean(),
          used: new Mean(),
          free: new Mean(),
        };
        this.#gpus.set(key, m);
      }
      m.temperature.add(r.temperature);
      m.usage.add(r.utilization);
      m.used.add(r.memoryUsedMiB);
      if (r.memoryTotalMiB !== null && r.memoryUsedMiB !== null) m.free.add(r.memoryTotalMiB - r.memoryUsedMiB);
    }
  }

  /** The averages of the current window, or `null` when nothing was sampled in it. */
  snapshot(): MachineStats | null {
    if (this.#samples === 0 && this.#gpus.size === 0) return null;
    const v = (k: MachineKey) => this.#machine.get(k)!.value;
    const stats: MachineStats = {};
    const put = <K extends keyof MachineStats>(key: K, value: number | null, list = false) => {
      if (value !== null) stats[key] = (list ? [round3(value)] : round3(value)) as MachineStats[K];
    };
    put("cpu_usage", v("cpuUsage"), true);
    put("cpu_temperature", v("cpuTemperature"), true);
    put("memory_used", v("memoryUsedMB"));
    put("memory_free", v("memoryFreeMB"));
    put("disk_free_home", v("diskFreePercent"));
    put("disk_read", v("diskReadMBs"));
    put("disk_write", v("diskWriteMBs"));
    put("network_rx", v("networkRxMBs"));
    put("network_tx", v("networkTxMBs"));
    const gpus = [...this.#gpus.values()].sort((a, b) => a.index - b.index || a.migIndex - b.migIndex);
    if (gpus.length > 0) {
      // Lists stay aligned by GPU: a value the driver never reported in this window is 0.
      const list = (f: (g: GpuMeans) => Mean) => gpus.map((g) => round3(f(g).value ?? 0));
      stats.gpu_temperature = list((g) => g.temperature);
      stats.gpu_usage = list((g) => g.usage);
      stats.gpu_memory_used = list((g) => g.used);
      stats.gpu_memory_free = list((g) => g.free);
    }
    return stats;
  }

  /** Start a new averaging window (the previous reading is kept, so rates stay continuous). */
  reset(): void {
    for (const key of MACHINE_KEYS) this.#machine.set(key, new Mean());
    this.#gpus.clear();
    this.#samples = 0;
  }

  /** `snapshot()`, then `reset()`: the `machine_stats` to send now. */
  report(): MachineStats | null {
    const stats = this.snapshot();
    this.reset();
    return stats;
  }
}
