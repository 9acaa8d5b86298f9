import assert from "node:assert/strict";
import { NvidiaSmiSampler } from "../../lib/stats/gpu_sampler.ts";
import { fixturePath } from "./_fixtures.ts";
import { fakeNvidiaSmi } from "./_fake_nvidia_smi.ts";

async function withFake(script: string, fn: (dir: string, calls: () => number) => Promise<void>): Promise<void> {
  const fake = await fakeNvidiaSmi(script);
  try {
    await fn(fake.dir, fake.calls);
  } finally {
    await Deno.remove(fake.dir, { recursive: true });
  }
}

Deno.test("NvidiaSmiSampler reports the values of the capture a fake nvidia-smi on PATH prints", async () => {
  await withFake(`cat "${fixturePath("nvidia-smi/rtx-3080-v13.xml")}"`, async (dir, calls) => {
    const warnings: string[] = [];
    const sampler = new NvidiaSmiSampler({
      path: `${dir}:/usr/bin:/bin`,
      visibleDevices: undefined,
      warn: (m) => warnings.push(m),
    });
    const readings = await sampler.sample();
    assert.deepEqual(
      readings?.map((r) => [r.index, r.uuid, r.utilization, r.memoryUsedMiB, r.memoryTotalMiB, r.temperature]),
      [[0, "GPU-19d6d965-2acc-f646-00f8-4c76979aabb4", 65, 9184, 10240, 27]],
    );
    assert.equal(await sampler.driverCudaVersion(), "132");
    assert.deepEqual(warnings, []);
    assert.equal(calls(), 2);
  });
});

Deno.test("NvidiaSmiSampler never runs nvidia-smi when NVIDIA_VISIBLE_DEVICES is none or void", async () => {
  await withFake(`cat "${fixturePath("nvidia-smi/tesla-t4.xml")}"`, async (dir, calls) => {
    for (const visibleDevices of ["none", "void"]) {
      const sampler = new NvidiaSmiSampler({ path: dir, visibleDevices });
      assert.equal(await sampler.sample(), null);
      assert.equal(sampler.disabled, true);
    }
    assert.equal(calls(), 0);
  });
});

Deno.test("NvidiaSmiSampler is silently CPU-only when nvidia-smi is not on PATH", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const warnings: string[] = [];
    const sampler = new NvidiaSmiSampler({ path: empty, visibleDevices: "all", warn: (m) => warnings.push(m) });
    assert.equal(await sampler.sample(), null);
    assert.equal(sampler.disabled, true);
    assert.deepEqual(warnings, []);
  } finally {
    await Deno.remove(empty);
  }
});

/** True once no live `sleep 1234.5` is left (bounded wait: SIGKILL delivery is asynchronous). */
async function sleeperGone(): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    const out = new Deno.Command("pgrep", { args: ["-f", "^sleep 1234.5$"], stdout: "piped" }).outputSync();
    if (new TextDecoder().decode(out.stdout).trim() === "") return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

Deno.test("NvidiaSmiSampler gives up on a hanging nvidia-smi with one warning and kills it", async () => {
  // Not `exec`: the sleeping grandchild holds the output pipe too, so only a group kill ends the read.
  await withFake("sleep 1234.5; echo never", async (dir, calls) => {
    const warnings: string[] = [];
    const sampler = new NvidiaSmiSampler({ path: dir, timeoutMs: 300, warn: (m) => warnings.push(m) });
    assert.equal(await sampler.sample(), null);
    assert.equal(await sampler.sample(), null);
    assert.equal(sampler.disabled, true);
    assert.equal(calls(), 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^GPU monitoring switched off: ".*nvidia-smi -q -x" did not answer within 300 ms$/);
    assert.equal(await sleeperGone(), true, "the hanging nvidia-smi's child must be killed");
  });
});

Deno.test("NvidiaSmiSampler warns once about garbage output and switches off after three failures", async () => {
  await withFake(
    'echo "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver"',
    async (dir, calls) => {
      const warnings: string[] = [];
      const sampler = new NvidiaSmiSampler({ path: dir, warn: (m) => warnings.push(m) });
      for (let i = 0; i < 5; i++) assert.equal(await sampler.sample(), null);
      assert.equal(calls(), 3);
      assert.equal(sampler.disabled, true);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /^GPU stats unavailable: cannot read "nvidia-smi -q -x": Invalid XML/);
    },
  );
});

Deno.test("NvidiaSmiSampler counts a non-zero exit as a failure and recovers on good output", async () => {
  await withFake(
    `n=$(wc -l < "$(dirname "$0")/calls"); if [ "$n" -le 1 ]; then exit 9; fi; cat "${
      fixturePath("nvidia-smi/a10g.xml")
    }"`,
    async (dir) => {
      const warnings: string[] = [];
      const sampler = new NvidiaSmiSampler({ path: dir, warn: (m) => warnings.push(m) });
      assert.equal(await sampler.sample(), null);
      assert.deepEqual((await sampler.sample())?.map((r) => r.memoryUsedMiB), [22]);
      assert.equal(sampler.disabled, false);
      assert.deepEqual(warnings, ['GPU stats unavailable: cannot read "nvidia-smi -q -x": exited with code 9']);
    },
  );
});

Deno.test("NvidiaSmiSampler filters MIG devices by MIG UUID, asking nvidia-smi -L for the UUIDs", async () => {
  const list = [
    "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-513536b6-7d19-9063-b049-1e69664bb298)",
    "  MIG 1g.20gb     Device  0: (UUID: MIG-00000000-0000-0000-0000-000000000000)",
    "  MIG 1g.20gb     Device  1: (UUID: MIG-11111111-1111-1111-1111-111111111111)",
  ].join("\n");
  const script = `if [ "$1" = "-L" ]; then printf '%s\\n' "${list}"; else cat "${
    fixturePath("nvidia-smi/a100-sxm4-v12.xml")
  }"; fi`;
  await withFake(script, async (dir) => {
    const sampler = new NvidiaSmiSampler({ path: dir, visibleDevices: "MIG-11111111-1111-1111-1111-111111111111" });
    const readings = await sampler.sample();
    assert.deepEqual(readings?.map((r) => [r.index, r.migIndex, r.migUuid, r.utilization, r.memoryUsedMiB]), [
      [0, 1, "MIG-11111111-1111-1111-1111-111111111111", 100, 12],
    ]);
  });
});
