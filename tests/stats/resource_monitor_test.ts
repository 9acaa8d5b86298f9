import assert from "node:assert/strict";
import { ResourceMonitor } from "../../lib/stats/resource_monitor.ts";
import type { MachineCounters } from "../../lib/stats/machine.ts";
import type { MachineProbe } from "../../lib/stats/machine_probe.ts";
import { LinuxMachineProbe } from "../../lib/stats/machine_probe.ts";
import { NvidiaSmiSampler } from "../../lib/stats/gpu_sampler.ts";
import type { GpuReading } from "../../lib/stats/gpu_nvidia.ts";
import { fixturePath } from "./_fixtures.ts";
import { fakeNvidiaSmi } from "./_fake_nvidia_smi.ts";

const MiB = 1024 * 1024;

/** A probe that returns scripted readings in order. */
function scriptedProbe(readings: MachineCounters[]): MachineProbe {
  let i = 0;
  return { read: () => Promise.resolve(readings[Math.min(i++, readings.length - 1)]) };
}

function reading(at: number, busyTicks: number[], diskReadMiB: number, usedMiB: number): MachineCounters {
  return {
    at,
    cpu: busyTicks.map((busy) => ({ total: at / 10, idle: at / 10 - busy })),
    memory: { totalBytes: 1000 * MiB, usedBytes: usedMiB * MiB, availableBytes: (1000 - usedMiB) * MiB },
    disk: { readBytes: diskReadMiB * MiB, writeBytes: 0 },
    net: { readBytes: 0, writeBytes: 0 },
    diskFreePercent: 40,
    cpuTemperature: null,
  };
}

function gpu(index: number, utilization: number, used: number, temperature: number): GpuReading {
  return {
    index,
    uuid: `GPU-${index}`,
    name: "x",
    migIndex: null,
    migUuid: null,
    temperature,
    utilization,
    memoryUsedMiB: used,
    memoryTotalMiB: 1000,
    powerDrawW: null,
    powerLimitW: null,
  };
}

Deno.test("ResourceMonitor.report() averages the window with the reference's field names, rounded to 3 decimals", async () => {
  // Ticks are 1/10 ms: 500 ms = 50 ticks per core. Core busy ticks are cumulative.
  const monitor = new ResourceMonitor({
    probe: scriptedProbe([
      reading(0, [0, 0], 0, 100),
      reading(500, [25, 50], 1, 200), // cores 50 % and 100 % → 75 %; 1 MiB in 0.5 s = 2 MB/s
      reading(1000, [25, 50], 1, 301), // both idle → 0 %; no reads
    ]),
  });
  for (let i = 0; i < 3; i++) await monitor.sampleMachine();
  monitor.addGpuReadings([gpu(1, 10, 100, 50), gpu(0, 20, 300, 40)]);
  monitor.addGpuReadings([gpu(0, 30, 301, 41), gpu(1, 11, 100, 52)]);

  assert.deepEqual(monitor.report(), {
    cpu_usage: [37.5], // mean of 75 and 0 (the first sample has no CPU reading)
    memory_used: 200.333, // (100 + 200 + 301) / 3
    memory_free: 799.667,
    disk_free_home: 40,
    disk_read: 0.667, // (0 + 2 + 0) / 3
    disk_write: 0,
    network_rx: 0,
    network_tx: 0,
    gpu_temperature: [40.5, 51],
    gpu_usage: [25, 10.5],
    gpu_memory_used: [300.5, 100],
    gpu_memory_free: [699.5, 900],
  });
  assert.equal(monitor.report(), null, "report() starts a new window");
});

Deno.test("ResourceMonitor reports a fake nvidia-smi's capture end to end, next to real machine stats", async () => {
  const fake = await fakeNvidiaSmi(`cat "${fixturePath("nvidia-smi/rtx-3080-v13.xml")}"`);
  try {
    const monitor = new ResourceMonitor({
      probe: new LinuxMachineProbe(),
      gpu: new NvidiaSmiSampler({ path: fake.dir, visibleDevices: "all" }),
    });
    await monitor.sampleMachine();
    await new Promise((r) => setTimeout(r, 30));
    await monitor.sampleMachine();
    await monitor.sampleGpu();
    await monitor.sampleGpu();
    const stats = monitor.report()!;
    assert.deepEqual(
      [stats.gpu_usage, stats.gpu_memory_used, stats.gpu_memory_free, stats.gpu_temperature],
      [[65], [9184], [1056], [27]],
    );
    assert.equal(stats.cpu_usage?.length, 1);
    assert.ok(stats.cpu_usage![0] >= 0 && stats.cpu_usage![0] <= 100);
    assert.ok(stats.memory_used! > 0 && stats.memory_free! > 0);
    assert.ok(stats.disk_free_home! > 0 && stats.disk_free_home! <= 100);
    for (const key of ["disk_read", "disk_write", "network_rx", "network_tx"] as const) {
      assert.ok(stats[key]! >= 0, key);
    }
  } finally {
    await Deno.remove(fake.dir, { recursive: true });
  }
});

Deno.test("ResourceMonitor reports each MIG device of the A100 capture with the default utilization", async () => {
  const fake = await fakeNvidiaSmi(`cat "${fixturePath("nvidia-smi/a100-sxm4-v12.xml")}"`);
  try {
    const monitor = new ResourceMonitor({
      probe: scriptedProbe([reading(0, [0], 0, 1)]),
      gpu: new NvidiaSmiSampler({ path: fake.dir, visibleDevices: undefined }),
    });
    await monitor.sampleGpu();
    const stats = monitor.report()!;
    assert.deepEqual(stats.gpu_usage, [100, 100, 100, 100]);
    assert.deepEqual(stats.gpu_memory_used, [12, 12, 12, 12]);
    assert.deepEqual(stats.gpu_memory_free, [19956, 19956, 19956, 19956]);
    assert.deepEqual(stats.gpu_temperature, [27, 27, 27, 27]);
  } finally {
    await Deno.remove(fake.dir, { recursive: true });
  }
});

Deno.test("ResourceMonitor without GPUs sends no gpu_* keys", async () => {
  const monitor = new ResourceMonitor({ probe: scriptedProbe([reading(0, [0], 0, 1)]), gpu: null });
  await monitor.sampleMachine();
  await monitor.sampleGpu();
  const stats = monitor.report()!;
  assert.deepEqual(Object.keys(stats).filter((k) => k.startsWith("gpu_")), []);
});

Deno.test("ResourceMonitor.start() samples on its clock until stop()", async () => {
  let sleeps = 0;
  const waiters: (() => void)[] = [];
  const clock = {
    now: () => 0,
    sleep: (_ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        sleeps++;
        waiters.push(resolve);
        signal.addEventListener("abort", () => resolve(), { once: true });
      }),
  };
  let reads = 0;
  const probe: MachineProbe = { read: () => (reads++, Promise.resolve(reading(reads * 500, [0], 0, 1))) };
  const monitor = new ResourceMonitor({ probe, clock, sampleIntervalMs: 500 });
  monitor.start();
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    waiters.shift()?.();
  }
  await new Promise((r) => setTimeout(r, 0));
  await monitor.stop();
  assert.equal(reads, 4);
  assert.equal(sleeps, 4);
  assert.equal(monitor.samples, 4);
});
