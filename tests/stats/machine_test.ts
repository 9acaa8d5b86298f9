import assert from "node:assert/strict";
import {
  cpuPercents,
  diskFreePercent,
  type MachineCounters,
  maxCoreTemperature,
  parseDiskstats,
  parseMeminfo,
  parseNetDev,
  parseProcStat,
  sampleBetween,
} from "../../lib/stats/machine.ts";
import { LinuxMachineProbe } from "../../lib/stats/machine_probe.ts";

// Captured on the 2-core CI VM (/proc/stat head, /proc/diskstats, /proc/net/dev), trimmed.
const PROC_STAT_A = `cpu  6449 0 3166 101948 285 0 67 9 0 0
cpu0 2080 0 1165 52666 14 0 20 1 0 0
cpu1 4369 0 2000 49281 271 0 46 8 0 0
intr 298956 0 0 0
ctxt 734370
`;
// Two seconds later (cpu0: +100 user, +50 system, +100 idle; cpu1: +200 idle).
const PROC_STAT_B = `cpu  6599 0 3216 102248 285 0 67 9 0 0
cpu0 2180 0 1215 52766 14 0 20 1 0 0
cpu1 4369 0 2000 49481 271 0 46 8 0 0
`;

const MEMINFO = `MemTotal:       24684092 kB
MemFree:        24090608 kB
MemAvailable:   24306500 kB
Buffers:            3716 kB
Cached:           382024 kB
SwapCached:            0 kB
Active(file):     192144 kB
SReclaimable:      60000 kB
HugePages_Total:       0
`;

const DISKSTATS = `   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 56287 6499 3837914 44739 8499 26240 2004552 5944 0 7148 50969 4177 36 158648 270 401 15
 254       1 vda1 100 0 2000 0 50 0 1000 0 0 0 0 0 0 0 0 0 0
 259       0 nvme0n1 10 0 8 0 10 0 16 0 0 0 0
 259       1 nvme0n1p1 10 0 8 0 10 0 16 0 0 0 0
`;

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 298359290    8014    0    0    0     0          0         0   761310    5862    0    0    0     0       0          0
`;

Deno.test("parseProcStat() reads per-core times, idle including iowait, guest time not counted twice", () => {
  assert.deepEqual(parseProcStat(PROC_STAT_A), [{ total: 55946, idle: 52680 }, { total: 55975, idle: 49552 }]);
  assert.deepEqual(parseProcStat("cpu2 100 0 0 100 0 0 0 0 50 0\n"), [{ total: 200, idle: 100 }]);
  assert.deepEqual(parseProcStat("intr 1 2 3\n"), []);
});

Deno.test("cpuPercents() is busy over total ticks per core", () => {
  assert.deepEqual(cpuPercents(parseProcStat(PROC_STAT_A), parseProcStat(PROC_STAT_B)), [60, 0]);
  assert.deepEqual(cpuPercents([{ total: 10, idle: 5 }], [{ total: 10, idle: 5 }]), [0]);
});

Deno.test("parseMeminfo() computes used and available as psutil does", () => {
  // used = 24684092 - 24090608 - 3716 - (382024 + 60000) kB = 147744 kB
  assert.deepEqual(parseMeminfo(MEMINFO), {
    totalBytes: 24684092 * 1024,
    usedBytes: 147744 * 1024,
    availableBytes: 24306500 * 1024,
  });
});

Deno.test("parseDiskstats() sums whole disks only, 512-byte sectors", () => {
  const wholeDisks = new Set(["loop0", "vda", "nvme0n1"]);
  const want = { readBytes: (3837914 + 8) * 512, writeBytes: (2004552 + 16) * 512 };
  assert.deepEqual(parseDiskstats(DISKSTATS, wholeDisks), want);
  assert.deepEqual(parseDiskstats(DISKSTATS), want, "the name-based guess excludes vda1 and nvme0n1p1");
});

Deno.test("parseNetDev() sums received and sent bytes of all interfaces", () => {
  assert.deepEqual(parseNetDev(NET_DEV), { readBytes: 3193 + 298359290, writeBytes: 3193 + 761310 });
});

Deno.test("diskFreePercent() is 100 minus psutil's used percent of (used + available)", () => {
  // Captured statfs of / : used = 66053021 - 62922300 = 3130721; 3130721 / (3130721 + 20744595) = 13.1 %
  assert.equal(diskFreePercent({ blocks: 66053021, bfree: 62922300, bavail: 20744595 }), 86.9);
  assert.equal(diskFreePercent({ blocks: 100, bfree: 100, bavail: 100 }), 100);
  assert.equal(diskFreePercent({ blocks: 0, bfree: 0, bavail: 0 }), null);
});

Deno.test("maxCoreTemperature() takes the hottest coretemp sensor", () => {
  assert.equal(maxCoreTemperature([["coretemp", 45000], ["coretemp", 51500], ["acpitz", 90000]]), 51.5);
  assert.equal(maxCoreTemperature([["acpitz", 90000]]), null);
});

Deno.test("sampleBetween() derives CPU %, MB and MB/s from two readings; the first has zero rates", () => {
  const MiB = 1024 * 1024;
  const a: MachineCounters = {
    at: 1000,
    cpu: parseProcStat(PROC_STAT_A),
    memory: { totalBytes: 100 * MiB, usedBytes: 30 * MiB, availableBytes: 60 * MiB },
    disk: { readBytes: 10 * MiB, writeBytes: 0 },
    net: { readBytes: 0, writeBytes: 5 * MiB },
    diskFreePercent: 86.9,
    cpuTemperature: null,
  };
  const b: MachineCounters = {
    ...a,
    at: 3000,
    cpu: parseProcStat(PROC_STAT_B),
    disk: { readBytes: 14 * MiB, writeBytes: 1 * MiB },
    net: { readBytes: 3 * MiB, writeBytes: 5 * MiB },
  };
  assert.deepEqual(sampleBetween(null, a), {
    cpuUsage: null,
    cpuTemperature: null,
    memoryUsedMB: 30,
    memoryFreeMB: 60,
    diskFreePercent: 86.9,
    diskReadMBs: 0,
    diskWriteMBs: 0,
    networkRxMBs: 0,
    networkTxMBs: 0,
  });
  assert.deepEqual(sampleBetween(a, b), {
    cpuUsage: 30,
    cpuTemperature: null,
    memoryUsedMB: 30,
    memoryFreeMB: 60,
    diskFreePercent: 86.9,
    diskReadMBs: 2,
    diskWriteMBs: 0.5,
    networkRxMBs: 1.5,
    networkTxMBs: 0,
  });
});

Deno.test("LinuxMachineProbe reads counters from a proc and sys tree", async () => {
  const root = await Deno.makeTempDir();
  try {
    const files: Record<string, string> = {
      "proc/stat": PROC_STAT_A,
      "proc/meminfo": MEMINFO,
      "proc/diskstats": DISKSTATS,
      "proc/net/dev": NET_DEV,
      "sys/block/vda/size": "1\n",
      "sys/class/hwmon/hwmon0/name": "coretemp\n",
      "sys/class/hwmon/hwmon0/temp1_input": "45000\n",
      "sys/class/hwmon/hwmon0/temp2_input": "51000\n",
      "sys/class/hwmon/hwmon1/name": "acpitz\n",
      "sys/class/hwmon/hwmon1/temp1_input": "90000\n",
    };
    for (const [rel, text] of Object.entries(files)) {
      await Deno.mkdir(`${root}/${rel}`.replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(`${root}/${rel}`, text);
    }
    const probe = new LinuxMachineProbe({
      procRoot: `${root}/proc`,
      sysRoot: `${root}/sys`,
      diskPath: root,
      now: () => 42,
    });
    const c = await probe.read();
    assert.equal(c.at, 42);
    assert.deepEqual(c.cpu, [{ total: 55946, idle: 52680 }, { total: 55975, idle: 49552 }]);
    assert.equal(c.memory?.usedBytes, 147744 * 1024);
    assert.deepEqual(c.disk, { readBytes: 3837914 * 512, writeBytes: 2004552 * 512 }, "only /sys/block names count");
    assert.deepEqual(c.net, { readBytes: 298362483, writeBytes: 764503 });
    assert.equal(c.cpuTemperature, 51);
    assert.ok(c.diskFreePercent !== null && c.diskFreePercent > 0 && c.diskFreePercent <= 100);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("LinuxMachineProbe reports unreadable counters as null instead of throwing", async () => {
  const probe = new LinuxMachineProbe({ procRoot: "/nonexistent", sysRoot: "/nonexistent", diskPath: "/nonexistent" });
  const c = await probe.read();
  assert.deepEqual([c.cpu, c.memory, c.disk, c.net, c.diskFreePercent, c.cpuTemperature], [
    null,
    null,
    null,
    null,
    null,
    null,
  ]);
});
