/**
 * Doctor check: the GPUs the NVIDIA driver shows, from one `nvidia-smi -q -x` read with the stats parser
 * (`lib/stats/gpu_nvidia.ts`), so doctor and the status reports see the same GPUs.
 *
 * @module
 */

import { type NvidiaGpu, parseNvidiaSmiXml } from "../stats/gpu_nvidia.ts";
import type { CheckResult } from "./check.ts";
import { errorLine } from "./check.ts";
import { findExecutable, runWithDeadline } from "./_exec.ts";

/** Inputs of `gpuCheck`. */
export interface GpuCheckInput {
  path: string;
  /** True when GPUs are expected. */
  required: boolean;
  /** Longest wait for nvidia-smi (a wedged driver hangs it), default 10 s. */
  timeoutMs?: number;
}

function describe(gpu: NvidiaGpu): string {
  const memory = gpu.memoryTotalMiB === null ? "" : `, ${gpu.memoryTotalMiB} MiB`;
  const mig = gpu.migEnabled ? `, MIG: ${gpu.migDevices.length} instances` : "";
  return `${gpu.index}: ${gpu.name ?? "unknown"}${memory}${mig}`;
}

/** List the GPUs. */
export async function gpuCheck(input: GpuCheckInput): Promise<CheckResult> {
  const name = "gpus";
  const { required } = input;
  const smi = findExecutable("nvidia-smi", input.path);
  if (!smi) return { name, ok: false, required, detail: "nvidia-smi not found (no NVIDIA driver): CPU-only machine" };
  let out;
  try {
    out = await runWithDeadline(smi, ["-q", "-x"], { path: input.path, timeoutMs: input.timeoutMs });
  } catch (err) {
    return { name, ok: false, required, detail: `nvidia-smi does not answer: ${errorLine(err)}` };
  }
  if (out.code !== 0) {
    const why = (out.stdout + out.stderr).trim().split("\n")[0];
    return { name, ok: false, required, detail: `nvidia-smi failed (exit ${out.code}): ${why}` };
  }
  try {
    const report = parseNvidiaSmiXml(out.stdout);
    if (report.gpus.length === 0) return { name, ok: false, required, detail: "nvidia-smi lists no GPU" };
    const driver = `driver ${report.driverVersion ?? "?"}, CUDA ${report.cudaVersion ?? "?"}`;
    const count = `${report.gpus.length} GPU${report.gpus.length > 1 ? "s" : ""}`;
    return { name, ok: true, required, detail: `${count} (${driver}): ${report.gpus.map(describe).join("; ")}` };
  } catch (err) {
    return { name, ok: false, required, detail: `Cannot read the output of nvidia-smi -q -x: ${errorLine(err)}` };
  }
}
