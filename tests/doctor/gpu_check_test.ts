import assert from "node:assert/strict";
import { gpuCheck, parseGpuList } from "../../lib/doctor/gpu_check.ts";
import { fakeBin } from "./fake_bin.ts";

Deno.test("parseGpuList() reads nvidia-smi's CSV query output", () => {
  assert.deepEqual(parseGpuList("0, NVIDIA A100-SXM4-40GB, 40960 MiB\n1, Tesla T4, 15360 MiB\n\n"), [
    { index: "0", name: "NVIDIA A100-SXM4-40GB", memory: "40960 MiB" },
    { index: "1", name: "Tesla T4", memory: "15360 MiB" },
  ]);
  assert.deepEqual(parseGpuList("No devices were found\n"), []);
});

Deno.test("gpuCheck() lists the GPUs nvidia-smi shows", async () => {
  await using bin = await fakeBin({
    "nvidia-smi": '[ "$1" = "--query-gpu=index,name,memory.total" ] || exit 9\n' +
      'printf "0, NVIDIA A100-SXM4-40GB, 40960 MiB\\n1, NVIDIA A100-SXM4-40GB, 40960 MiB\\n"',
  });
  const r = await gpuCheck({ path: bin.path, required: false });
  assert.deepEqual(r, {
    name: "gpus",
    ok: true,
    required: false,
    detail: "2 GPUs: 0: NVIDIA A100-SXM4-40GB (40960 MiB), 1: NVIDIA A100-SXM4-40GB (40960 MiB)",
  });
});

Deno.test("gpuCheck() fails without nvidia-smi, when the driver fails, and when no GPU is listed", async () => {
  await using driverDown = await fakeBin({
    "nvidia-smi": 'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."; exit 9',
  });
  await using noGpu = await fakeBin({ "nvidia-smi": 'echo "No devices were found"' });
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
  const empty = await gpuCheck({ path: noGpu.path, required: false });
  assert.equal(empty.detail, "nvidia-smi lists no GPU");
});
