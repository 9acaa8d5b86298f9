import assert from "node:assert/strict";
import { gpuCheck } from "../../lib/doctor/gpu_check.ts";
import { fixture } from "../helpers/fixtures.ts";
import { fakeBin } from "./fake_bin.ts";

/** An nvidia-smi that prints a real capture for `-q -x`. */
function smiPrinting(capture: string): string {
  return `[ "$1 $2" = "-q -x" ] || exit 9\ncat "${fixture("nvidia-smi", capture)}"`;
}

Deno.test("gpuCheck() lists the GPUs of real nvidia-smi captures, with driver, memory and MIG", async () => {
  const table: Array<[string, RegExp]> = [
    ["tesla-t4.xml", /^1 GPU \(driver [\d.]+, CUDA [\d.]+\): 0: Tesla T4, \d+ MiB$/],
    [
      "a100-sxm4-v12.xml",
      /^1 GPU \(driver 535\.54\.03, CUDA 12\.2\): 0: NVIDIA A100-SXM4-80GB, \d+ MiB, MIG: \d+ instances$/,
    ],
  ];
  for (const [capture, detail] of table) {
    await using bin = await fakeBin({ "nvidia-smi": smiPrinting(capture) });
    const r = await gpuCheck({ path: bin.path, required: false });
    assert.equal(r.ok, true, capture);
    assert.match(r.detail, detail, capture);
  }
});

Deno.test("gpuCheck() fails without nvidia-smi, when the driver fails, on garbage and with no GPU", async () => {
  await using driverDown = await fakeBin({
    "nvidia-smi": 'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."; exit 9',
  });
  await using garbage = await fakeBin({ "nvidia-smi": 'echo "No devices were found"' });
  await using noGpu = await fakeBin({
    "nvidia-smi": 'echo "<nvidia_smi_log><driver_version>1</driver_version></nvidia_smi_log>"',
  });
  const none = await gpuCheck({ path: "/nonexistent", required: false });
  assert.deepEqual(none, {
    name: "gpus",
    ok: false,
    required: false,
    detail: "nvidia-smi not found (no NVIDIA driver): CPU-only machine",
  });
  const down = await gpuCheck({ path: driverDown.path, required: true });
  assert.equal(down.ok, false);
  assert.equal(down.required, true);
  assert.match(down.detail, /^nvidia-smi failed \(exit 9\): NVIDIA-SMI has failed because/);
  const bad = await gpuCheck({ path: garbage.path, required: false });
  assert.equal(bad.ok, false);
  assert.match(bad.detail, /^Cannot read the output of nvidia-smi -q -x: /);
  const empty = await gpuCheck({ path: noGpu.path, required: false });
  assert.equal(empty.detail, "nvidia-smi lists no GPU");
});

Deno.test("gpuCheck() gives up on an nvidia-smi that hangs", async () => {
  await using bin = await fakeBin({ "nvidia-smi": "exec sleep 30" });
  const r = await gpuCheck({ path: bin.path, required: false, timeoutMs: 300 });
  assert.equal(r.ok, false);
  assert.match(r.detail, /^nvidia-smi does not answer: ".*nvidia-smi" did not finish in 300 ms$/);
});
