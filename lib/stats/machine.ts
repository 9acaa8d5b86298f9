/**
 * Machine counters and the stats derived from them, as pure functions over captured text (Linux `/proc`) so
 * they are table-tested; `machine_probe.ts` does the reading. Conventions follow the reference's psutil-based
 * monitor (agent-reference §5.3): MB means MiB (bytes / 2^20), rates are MB/s between two readings, CPU % is
 * busy time over total time per core.
 *
 * @module
 */

/** Cumulative CPU time of one core, in clock ticks. */
export interface CpuTimes {
  /** All time except guest time (already counted in user/nice). */
  total: number;
  /** Idle + iowait. */
  idle: number;
}

/** Memory as the reference reports it. */
export interface MemoryInfo {
  totalBytes: number;
  /** psutil's `used`: total − free − buffers − cached (cached includes SReclaimable). */
  usedBytes: number;
  /** psutil's `available` (MemAvailable). */
  availableBytes: number;
}

/** Cumulative byte counters. */
export interface ByteCounters {
  readBytes: number;
  writeBytes: number;
}

/** One reading of everything the machine stats need; counters are cumulative. `null` = unavailable. */
export interface MachineCounters {
  /** When read, ms (monotonic or wall clock; only differences are used). */
  at: number;
  /** Per-core cumulative CPU times (Linux). */
  cpu: CpuTimes[] | null;
  /** Per-core busy % measured directly (platforms without cumulative times), used when `cpu` is null. */
  cpuPercent?: number[] | null;
  memory: MemoryInfo | null;
  /** Disk read/written bytes (whole disks). */
  disk: ByteCounters | null;
  /** Network received (`readBytes`) / sent (`writeBytes`) bytes, all interfaces. */
  net: ByteCounters | null;
  /** Free space of the monitored path, percent. */
  diskFreePercent: number | null;
  /** Highest CPU core temperature, °C. */
  cpuTemperature: number | null;
}

/** Instantaneous values derived from two readings (the reference's per-sample values). */
export interface MachineSample {
  /** Mean of the per-core busy percentages. */
  cpuUsage: number | null;
  cpuTemperature: number | null;
  memoryUsedMB: number | null;
  memoryFreeMB: number | null;
  diskFreePercent: number | null;
  diskReadMBs: number | null;
  diskWriteMBs: number | null;
  networkRxMBs: number | null;
  networkTxMBs: number | null;
}

const MiB = 1024 * 1024;

/** Per-core CPU times from `/proc/stat` (`cpu0`, `cpu1`, ... lines, in order; the `cpu` total line is skipped). */
export function parseProcStat(text: string): CpuTimes[] {
  const cores: CpuTimes[] = [];
  for (const line of text.split("\n")) {
    const m = /^cpu\d+\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[1].trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice
    const sum = f.slice(0, 10).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const guest = (f[8] || 0) + (f[9] || 0);
    cores.push({ total: sum - guest, idle: (f[3] || 0) + (f[4] || 0) });
  }
  return cores;
}

/** Busy % per core between two readings (0 for a core without elapsed ticks), clamped to 0..100. */
export function cpuPercents(prev: CpuTimes[], cur: CpuTimes[]): number[] {
  return cur.map((c, i) => {
    const p = prev[i];
    if (!p) return 0;
    const total = c.total - p.total;
    const busy = total - (c.idle - p.idle);
    return total <= 0 ? 0 : Math.min(100, Math.max(0, (busy / total) * 100));
  });
}

/** Memory from `/proc/meminfo` (kB values), computed as psutil does. */
export function parseMeminfo(text: string): MemoryInfo {
  const kb = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w[\w()]*):\s+(\d+)/.exec(line);
    if (m) kb.set(m[1], Number(m[2]) * 1024);
  }
  const get = (k: string) => kb.get(k) ?? 0;
  const total = get("MemTotal");
  const free = get("MemFree");
  const cached = get("Cached") + get("SReclaimable");
  let used = total - free - get("Buffers") - cached;
  if (used < 0) used = total - free;
  const available = kb.has("MemAvailable") ? get("MemAvailable") : free + get("Buffers") + cached;
  return { totalBytes: total, usedBytes: used, availableBytes: available };
}

/**
 * Disk bytes from `/proc/diskstats`, summed over whole disks (partitions would count twice). `wholeDisks` is the
 * set of names under `/sys/block` (what psutil uses); without it a name-based guess excludes `sda1`, `nvme0n1p1`
 * style partitions. Sectors are 512 bytes in this file whatever the device's sector size.
 */
export function parseDiskstats(text: string, wholeDisks?: ReadonlySet<string>): ByteCounters {
  let read = 0;
  let write = 0;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const name = f[2];
    const whole = wholeDisks ? wholeDisks.has(name) : !/^(?:[hsv]d[a-z]+\d+|nvme\d+n\d+p\d+|mmcblk\d+p\d+)$/.test(name);
    if (!whole) continue;
    read += Number(f[5]) * 512;
    write += Number(f[9]) * 512;
  }
  return { readBytes: read, writeBytes: write };
}

/** Received (`readBytes`) and sent (`writeBytes`) bytes from `/proc/net/dev`, all interfaces (as psutil). */
export function parseNetDev(text: string): ByteCounters {
  let rx = 0;
  let tx = 0;
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0 || line.includes("|")) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 9) continue;
    rx += f[0];
    tx += f[8];
  }
  return { readBytes: rx, writeBytes: tx };
}

/**
 * Percent free of a file system from `statfs` numbers, as `100 - psutil.disk_usage().percent`: used blocks
 * over the blocks an unprivileged user can have (used + available), psutil rounding to one decimal.
 */
export function diskFreePercent(fs: { blocks: number; bfree: number; bavail: number }): number | null {
  const used = fs.blocks - fs.bfree;
  const denominator = used + fs.bavail;
  if (denominator <= 0) return null;
  return Math.round((100 - Math.round((used / denominator) * 1000) / 10) * 10) / 10;
}

/** Highest temperature (°C) of `coretemp` sensors from `[chip name, millidegrees]` pairs, or `null`. */
export function maxCoreTemperature(readings: readonly [string, number][]): number | null {
  const temps = readings.filter(([chip]) => chip === "coretemp" || chip === "k10temp").map(([, m]) => m / 1000);
  return temps.length > 0 ? Math.max(...temps) : null;
}

function rate(prev: ByteCounters | null | undefined, cur: ByteCounters | null, key: keyof ByteCounters, sec: number) {
  if (!cur) return null;
  if (!prev || sec <= 0) return 0;
  return Math.max(0, cur[key] - prev[key]) / MiB / sec;
}

/**
 * The sample between two readings. Without `prev` (the first reading) rates are 0 and CPU usage is unknown
 * (`null`) unless measured directly.
 */
export function sampleBetween(prev: MachineCounters | null, cur: MachineCounters): MachineSample {
  const sec = prev ? (cur.at - prev.at) / 1000 : 0;
  let perCore: number[] | null = cur.cpuPercent ?? null;
  if (cur.cpu && prev?.cpu) perCore = cpuPercents(prev.cpu, cur.cpu);
  return {
    cpuUsage: perCore && perCore.length > 0 ? perCore.reduce((a, b) => a + b, 0) / perCore.length : null,
    cpuTemperature: cur.cpuTemperature,
    memoryUsedMB: cur.memory ? cur.memory.usedBytes / MiB : null,
    memoryFreeMB: cur.memory ? cur.memory.availableBytes / MiB : null,
    diskFreePercent: cur.diskFreePercent,
    diskReadMBs: rate(prev?.disk, cur.disk, "readBytes", sec),
    diskWriteMBs: rate(prev?.disk, cur.disk, "writeBytes", sec),
    networkRxMBs: rate(prev?.net, cur.net, "readBytes", sec),
    networkTxMBs: rate(prev?.net, cur.net, "writeBytes", sec),
  };
}
