/**
 * Worker status reports on the wire, end to end: a real daemon, a fake `nvidia-smi` on PATH, and a recording
 * proxy in front of the embedded server.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startDaemonEnv } from "../helpers/daemon_env.ts";
import { startTestServer } from "../helpers/server.ts";
import { fixtureFiles, fixturePath } from "../stats/_fixtures.ts";
import { gpuReadings, parseNvidiaSmiXml } from "../../lib/stats/gpu_nvidia.ts";
import { type Recorded, startRecordingProxy } from "./_recording_proxy.ts";

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** The GPU lists a report carries for a capture (index order; MIG devices as their own entries). */
function expectedGpuStats(xml: string): Record<string, number[]> {
  const r = gpuReadings(parseNvidiaSmiXml(xml), { defaultUtilization: 100 });
  return {
    gpu_temperature: r.map((g) => round3(g.temperature ?? 0)),
    gpu_usage: r.map((g) => round3(g.utilization)),
    gpu_memory_used: r.map((g) => round3(g.memoryUsedMiB ?? 0)),
    gpu_memory_free: r.map((g) =>
      round3(g.memoryTotalMiB !== null && g.memoryUsedMiB !== null ? g.memoryTotalMiB - g.memoryUsedMiB : 0)
    ),
  };
}

function gpuPart(stats: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ["gpu_temperature", "gpu_usage", "gpu_memory_used", "gpu_memory_free"]) out[k] = stats?.[k];
  return out;
}

async function waitReport(records: Recorded[], from: number, pred: (r: Recorded) => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const hit = records.slice(from).find(pred);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`No matching status report in ${ms} ms; last: ${JSON.stringify(records.at(-1)?.body)}`);
}

Deno.test("daemon status reports carry every nvidia-smi capture's GPU values, field names and units as the reference", async () => {
  const server = await startTestServer();
  const proxy = await startRecordingProxy(server.url, /^workers\.status_report$/);
  const env = await startDaemonEnv({ url: proxy.url, agent: { status_report_s: 0.3 } });
  const fake = join(env.dir, "fakebin");
  const ctl = join(env.dir, "capture");
  await Deno.mkdir(fake);
  await Deno.writeTextFile(join(fake, "nvidia-smi"), `#!/bin/sh\n[ "$1" = "-q" ] || exit 1\ncat "$(cat "${ctl}")"\n`);
  await Deno.chmod(join(fake, "nvidia-smi"), 0o755);
  const use = async (file: string) => {
    await Deno.writeTextFile(`${ctl}.tmp`, fixturePath(`nvidia-smi/${file}`));
    await Deno.rename(`${ctl}.tmp`, ctl);
  };
  const fixtures = fixtureFiles("nvidia-smi", ".xml");
  assert.equal(fixtures.length, 12);
  try {
    await use(fixtures[0]);
    await env.queue("stats");
    const d = env.daemon(["--queue", "stats", "--foreground", "--child-report-tags", "tag-a", "tag b"], {
      PATH: `${fake}:${Deno.env.get("PATH")}`,
      NVIDIA_VISIBLE_DEVICES: "",
      CUDA_VISIBLE_DEVICES: "",
    });
    await d.waitFor(/Listening to queues/);
    for (const file of fixtures) {
      await use(file);
      const want = expectedGpuStats(await Deno.readTextFile(fixturePath(`nvidia-smi/${file}`)));
      assert.ok(want.gpu_usage.length > 0, file);
      const from = proxy.records.length;
      const hit = await waitReport(proxy.records, from, (r) => {
        return JSON.stringify(gpuPart(r.body.machine_stats)) === JSON.stringify(want);
      });
      assert.deepEqual(gpuPart(hit.body.machine_stats), want, file);
    }
    const last = proxy.records.filter((r) => r.body.machine_stats).at(-1)!.body;
    assert.equal(last.worker, "testhost:0");
    assert.equal(last.timestamp % 1000, 0);
    assert.ok(Math.abs(last.timestamp - Date.now()) < 60_000, "timestamp is in milliseconds");
    assert.deepEqual(last.tags, ["tag-a", "tag b"]);
    assert.equal(last.queues.length, 1);
    const s = last.machine_stats;
    assert.ok(Array.isArray(s.cpu_usage) && s.cpu_usage.length === 1, "cpu_usage is one averaged value");
    for (const k of ["memory_used", "memory_free", "disk_free_home", "network_rx", "network_tx"]) {
      assert.equal(typeof s[k], "number", k);
    }
    assert.ok(s.disk_free_home >= 0 && s.disk_free_home <= 100, "disk_free_home is a percentage");
    assert.ok(s.memory_used > 1 && s.memory_used < 16 * 1024 * 1024, "memory in MB");
    assert.ok(!/GPU stats unavailable|switched off/.test(d.output()), d.output());
    assert.equal(await d.stop(), 0);
  } finally {
    await env.close();
    await proxy.close();
    await server.close();
  }
});

Deno.test("daemon with NVIDIA_VISIBLE_DEVICES=none never runs nvidia-smi; one that prints garbage gets one warning and the daemon keeps serving", async () => {
  const env = await startDaemonEnv({ agent: { status_report_s: 0.2 } });
  const fake = join(env.dir, "fakebin");
  await Deno.mkdir(fake);
  const calls = join(env.dir, "calls");
  await Deno.writeTextFile(join(fake, "nvidia-smi"), `#!/bin/sh\necho x >> "${calls}"\necho '<nvidia_smi_log><gpu'\n`);
  await Deno.chmod(join(fake, "nvidia-smi"), 0o755);
  const path = `${fake}:${Deno.env.get("PATH")}`;
  try {
    const q = await env.queue("cpu");
    const cpu = env.daemon(["--queue", "cpu", "--foreground"], { PATH: path, NVIDIA_VISIBLE_DEVICES: "none" });
    await cpu.waitFor(/Worker "testhost:cpu:0" - Listening/);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await cpu.stop(), 0);
    assert.equal(await Deno.stat(calls).then(() => true, () => false), false, "nvidia-smi was never run");

    const garbage = env.daemon(["--queue", "cpu", "--foreground"], { PATH: path, NVIDIA_VISIBLE_DEVICES: "" });
    await garbage.waitFor(/Listening to queues/);
    const id = await env.createTask(`print("still serving")`);
    await env.enqueue(id, q);
    await env.waitTask(id, (t) => t.status === "completed");
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await garbage.stop(), 0);
    const warnings = garbage.output().split("\n").filter((l) => /GPU stats unavailable/.test(l));
    assert.equal(warnings.length, 1, garbage.output());
    const runs = (await Deno.readTextFile(calls)).trim().split("\n").length;
    assert.ok(runs <= 4, `nvidia-smi is given up after a few failures (ran ${runs} times)`);
  } finally {
    await env.close();
  }
});
