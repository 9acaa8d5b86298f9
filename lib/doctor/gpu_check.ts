/**
 * Doctor check: the GPUs the NVIDIA driver shows (`nvidia-smi --query-gpu`).
 *
 * @module
 */

import type { CheckResult } from "./check.ts";
import { errorLine } from "./check.ts";
import { findExecutable, runWithDeadline } from "./_exec.ts";

/** Inputs of `gpuCheck`. */
export interface GpuCheckInput {
  path: string;
  /** True when GPUs are expected (`--gpus` given, or CUDA configured). */
  required: boolean;
}

/** One visible GPU. */
export interface VisibleGpu {
  index: string;
  name: string;
  memory: string;
}

/** Parse `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader` output. */
export function parseGpuList(text: string): VisibleGpu[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "").map((line) => {
    const [index, name, memory] = line.split(",").map((f) => f.trim());
    return { index, name: name ?? "", memory: memory ?? "" };
  }).filter((g) => /^\d+$/.test(g.index));
}

/** List the GPUs. */
export async function gpuCheck(input: GpuCheckInput): Promise<CheckResult> {
  const name = "gpus";
  const { required } = input;
  const smi = findExecutable("nvidia-smi", input.path);
  if (!smi) return { name, ok: false, required, detail: "nvidia-smi not found (no NVIDIA driver): CPU-only machine" };
  try {
    const out = await runWithDeadline(smi, ["--query-gpu=index,name,memory.total", "--format=csv,noheader"], {
      path: input.path,
    });
    if (out.code !== 0) {
      const why = (out.stdout + out.stderr).trim().split("\n")[0];
      return { name, ok: false, required, detail: `nvidia-smi failed (exit ${out.code}): ${why}` };
    }
    const gpus = parseGpuList(out.stdout);
    if (gpus.length === 0) return { name, ok: false, required, detail: "nvidia-smi lists no GPU" };
    const list = gpus.map((g) => `${g.index}: ${g.name} (${g.memory})`).join(", ");
    return { name, ok: true, required, detail: `${gpus.length} GPU${gpus.length > 1 ? "s" : ""}: ${list}` };
  } catch (err) {
    return { name, ok: false, required, detail: `nvidia-smi does not run: ${errorLine(err)}` };
  }
}
