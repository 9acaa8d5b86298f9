/**
 * Reading the machine's counters (the I/O half of `machine.ts`). Linux reads `/proc` and `/sys` and calls
 * `statfs` (`node:fs`, needs only read + sys permissions); macOS is best effort through `sysctl`, `vm_stat`
 * and `ps` (untested in CI). Every field that cannot be read is `null`; a probe never throws.
 *
 * @module
 */

import { statfsSync } from "node:fs";
import { join } from "node:path";
import {
  type ByteCounters,
  diskFreePercent,
  type MachineCounters,
  maxCoreTemperature,
  type MemoryInfo,
  parseDiskstats,
  parseMeminfo,
  parseNetDev,
  parseProcStat,
} from "./machine.ts";

/** Something that reads the machine's counters. */
export interface MachineProbe {
  read(): Promise<MachineCounters>;
}

/** Options of the probes. */
export interface MachineProbeOptions {
  /** Path whose file system's free space is `disk_free_home` (`agent.resource_monitoring.disk_use_path`). @default $HOME */
  diskPath?: string;
  /** Root of the proc file system (tests point it at captured files). @default "/proc" */
  procRoot?: string;
  /** Root of sysfs. @default "/sys" */
  sysRoot?: string;
  /** Clock for `at`. @default performance.now */
  now?: () => number;
}

function readText(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

function freePercent(path: string): number | null {
  try {
    return diskFreePercent(statfsSync(path));
  } catch {
    return null;
  }
}

/** Counters from `/proc` and `/sys`. */
export class LinuxMachineProbe implements MachineProbe {
  #proc: string;
  #sys: string;
  #diskPath: string;
  #now: () => number;
  #wholeDisks: Set<string> | undefined;
  #tempInputs: [string, string][] | null = null;

  constructor(options: MachineProbeOptions = {}) {
    this.#proc = options.procRoot ?? "/proc";
    this.#sys = options.sysRoot ?? "/sys";
    this.#diskPath = options.diskPath ?? Deno.env.get("HOME") ?? "/";
    this.#now = options.now ?? (() => performance.now());
  }

  read(): Promise<MachineCounters> {
    const stat = readText(join(this.#proc, "stat"));
    const meminfo = readText(join(this.#proc, "meminfo"));
    const diskstats = readText(join(this.#proc, "diskstats"));
    const netdev = readText(join(this.#proc, "net/dev"));
    const cpu = stat === null ? null : parseProcStat(stat);
    return Promise.resolve({
      at: this.#now(),
      cpu: cpu && cpu.length > 0 ? cpu : null,
      memory: meminfo === null ? null : parseMeminfo(meminfo),
      disk: diskstats === null ? null : parseDiskstats(diskstats, this.#blockDevices()),
      net: netdev === null ? null : parseNetDev(netdev),
      diskFreePercent: freePercent(this.#diskPath),
      cpuTemperature: this.#cpuTemperature(),
    });
  }

  /** Names under `/sys/block` (whole disks), read once; `undefined` when unreadable (name-based guess). */
  #blockDevices(): Set<string> | undefined {
    if (this.#wholeDisks === undefined) {
      try {
        this.#wholeDisks = new Set([...Deno.readDirSync(join(this.#sys, "block"))].map((e) => e.name));
      } catch {
        this.#wholeDisks = undefined;
      }
    }
    return this.#wholeDisks;
  }

  /** Max of the `coretemp`/`k10temp` hwmon inputs (their paths are found once). */
  #cpuTemperature(): number | null {
    if (this.#tempInputs === null) {
      this.#tempInputs = [];
      try {
        for (const hw of Deno.readDirSync(join(this.#sys, "class/hwmon"))) {
          const dir = join(this.#sys, "class/hwmon", hw.name);
          const chip = readText(join(dir, "name"))?.trim() ?? "";
          if (chip !== "coretemp" && chip !== "k10temp") continue;
          for (const f of Deno.readDirSync(dir)) {
            if (/^temp\d+_input$/.test(f.name)) this.#tempInputs.push([chip, join(dir, f.name)]);
          }
        }
      } catch {
        // no hwmon (VMs, containers)
      }
    }
    const readings: [string, number][] = [];
    for (const [chip, path] of this.#tempInputs) {
      const v = Number(readText(path)?.trim());
      if (Number.isFinite(v)) readings.push([chip, v]);
    }
    return maxCoreTemperature(readings);
  }
}

async function run(cmd: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

/** macOS counters, best effort: CPU from `ps` (% of one core per process), memory from `vm_stat`/`sysctl`. */
export class DarwinMachineProbe implements MachineProbe {
  #diskPath: string;
  #now: () => number;

  constructor(options: MachineProbeOptions = {}) {
    this.#diskPath = options.diskPath ?? Deno.env.get("HOME") ?? "/";
    this.#now = options.now ?? (() => performance.now());
  }

  async read(): Promise<MachineCounters> {
    const [ps, ncpu, memsize, vm] = await Promise.all([
      run("ps", ["-A", "-o", "%cpu="]),
      run("sysctl", ["-n", "hw.ncpu"]),
      run("sysctl", ["-n", "hw.memsize"]),
      run("vm_stat", []),
    ]);
    const cores = Number(ncpu?.trim()) || 1;
    const busy = ps?.split("\n").reduce((sum, l) => sum + (Number(l.trim()) || 0), 0) ?? null;
    return {
      at: this.#now(),
      cpu: null,
      cpuPercent: busy === null ? null : Array(cores).fill(Math.min(100, busy / cores)),
      memory: darwinMemory(Number(memsize?.trim()), vm),
      disk: null as ByteCounters | null,
      net: null,
      diskFreePercent: freePercent(this.#diskPath),
      cpuTemperature: null,
    };
  }
}

/** Memory from `vm_stat` pages: available = free + inactive + speculative. */
function darwinMemory(total: number, vmStat: string | null): MemoryInfo | null {
  if (!Number.isFinite(total) || total <= 0 || vmStat === null) return null;
  const pageSize = Number(/page size of (\d+) bytes/.exec(vmStat)?.[1] ?? 4096);
  const pages = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(vmStat)?.[1] ?? 0) * pageSize;
  const available = pages("Pages free") + pages("Pages inactive") + pages("Pages speculative");
  return { totalBytes: total, usedBytes: Math.max(0, total - available), availableBytes: available };
}

/** The probe for this platform. */
export function defaultMachineProbe(options: MachineProbeOptions = {}): MachineProbe {
  return Deno.build.os === "darwin" ? new DarwinMachineProbe(options) : new LinuxMachineProbe(options);
}
