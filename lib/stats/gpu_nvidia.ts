/**
 * Reading `nvidia-smi -q -x` output: a pure parser from the XML text to per-GPU values, the flattening of GPUs
 * and MIG devices into the entries the stats report lists, and the `NVIDIA_VISIBLE_DEVICES` filter.
 *
 * Value conventions: memory in MiB, temperature in °C, power in W, utilization in %; a field the driver reports
 * as `N/A` (or does not report) is `null`. GPU `index` is the position in the XML, which is nvidia-smi's index
 * (PCI bus order); `minor_number` is a device-node number and not used.
 *
 * @module
 */

import { at, childrenNamed, parseXml, type XmlElement } from "./_xml.ts";

/** A process using a GPU, as `nvidia-smi` lists it. */
export interface NvidiaProcess {
  pid: number;
  /** `C` compute, `G` graphics, `C+G`. */
  type: string | null;
  name: string | null;
  usedMemoryMiB: number | null;
  /** MIG GPU instance the process runs in, `null` outside MIG. */
  gpuInstanceId: number | null;
  computeInstanceId: number | null;
}

/** A MIG device (GPU slice). */
export interface NvidiaMigDevice {
  /** The MIG device index within its GPU (`<mig_device><index>`). */
  migIndex: number;
  /** The MIG UUID (`MIG-…`) when the XML carries it (recent drivers), else `null` (see `parseNvidiaSmiList`). */
  uuid: string | null;
  gpuInstanceId: number | null;
  computeInstanceId: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
}

/** One physical GPU. */
export interface NvidiaGpu {
  index: number;
  uuid: string | null;
  name: string | null;
  /** The `id` attribute: PCI bus id. */
  pciBusId: string | null;
  utilization: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  temperature: number | null;
  powerDrawW: number | null;
  powerLimitW: number | null;
  fanSpeed: number | null;
  /** True when MIG mode is enabled (`<mig_mode><current_mig>Enabled`). */
  migEnabled: boolean;
  migDevices: NvidiaMigDevice[];
  processes: NvidiaProcess[];
}

/** Everything read from one `nvidia-smi -q -x` run. */
export interface NvidiaSmiReport {
  driverVersion: string | null;
  /** The driver's CUDA version as printed (`"12.2"`), `null` when absent. */
  cudaVersion: string | null;
  gpus: NvidiaGpu[];
}

/** `"1128 MiB"` → 1128, `"67.03 W"` → 67.03, `"N/A"` → null. */
function num(el: XmlElement | undefined): number | null {
  const m = /^-?\d+(?:\.\d+)?/.exec(el?.text ?? "");
  return m ? Number(m[0]) : null;
}

function str(el: XmlElement | undefined): string | null {
  const t = el?.text ?? "";
  return t === "" || t === "N/A" ? null : t;
}

/** The first of several alternative paths that has a number (field names changed across driver versions). */
function firstNum(el: XmlElement, paths: string[]): number | null {
  for (const p of paths) {
    const v = num(at(el, p));
    if (v !== null) return v;
  }
  return null;
}

const POWER_DRAW = [
  "gpu_power_readings/power_draw",
  "gpu_power_readings/instant_power_draw",
  "gpu_power_readings/average_power_draw",
  "power_readings/power_draw",
  "power_readings/instant_power_draw",
  "power_readings/average_power_draw",
];
const POWER_LIMIT = [
  "gpu_power_readings/enforced_power_limit",
  "gpu_power_readings/current_power_limit",
  "gpu_power_readings/power_limit",
  "power_readings/enforced_power_limit",
  "power_readings/current_power_limit",
  "power_readings/power_limit",
];

function parseGpu(el: XmlElement, index: number): NvidiaGpu {
  const migEnabled = at(el, "mig_mode/current_mig")?.text === "Enabled";
  return {
    index,
    uuid: str(at(el, "uuid")),
    name: str(at(el, "product_name")),
    pciBusId: el.attrs.id ?? null,
    utilization: num(at(el, "utilization/gpu_util")),
    memoryUsedMiB: num(at(el, "fb_memory_usage/used")),
    memoryTotalMiB: num(at(el, "fb_memory_usage/total")),
    temperature: num(at(el, "temperature/gpu_temp")),
    powerDrawW: firstNum(el, POWER_DRAW),
    powerLimitW: firstNum(el, POWER_LIMIT),
    fanSpeed: num(at(el, "fan_speed")),
    migEnabled,
    migDevices: childrenNamed(at(el, "mig_devices"), "mig_device").map((m, i) => ({
      migIndex: num(at(m, "index")) ?? i,
      uuid: str(at(m, "uuid")),
      gpuInstanceId: num(at(m, "gpu_instance_id")),
      computeInstanceId: num(at(m, "compute_instance_id")),
      memoryUsedMiB: num(at(m, "fb_memory_usage/used")),
      memoryTotalMiB: num(at(m, "fb_memory_usage/total")),
    })),
    processes: childrenNamed(at(el, "processes"), "process_info").flatMap((p) => {
      const pid = num(at(p, "pid"));
      if (pid === null) return [];
      return [{
        pid,
        type: str(at(p, "type")),
        name: str(at(p, "process_name")),
        usedMemoryMiB: num(at(p, "used_memory")),
        gpuInstanceId: num(at(p, "gpu_instance_id")),
        computeInstanceId: num(at(p, "compute_instance_id")),
      }];
    }),
  };
}

/** Parse `nvidia-smi -q -x` output. Throws `SyntaxError` when it is not an `nvidia_smi_log` document. */
export function parseNvidiaSmiXml(xml: string): NvidiaSmiReport {
  const root = parseXml(xml);
  if (root.name !== "nvidia_smi_log") {
    throw new SyntaxError(`Invalid nvidia-smi output: root element is "${root.name}", expected "nvidia_smi_log"`);
  }
  return {
    driverVersion: str(at(root, "driver_version")),
    cudaVersion: str(at(root, "cuda_version")),
    gpus: childrenNamed(root, "gpu").map(parseGpu),
  };
}

/**
 * Parse `nvidia-smi -L` output into MIG UUIDs keyed `"<gpu index>:<mig index>"`, for drivers whose XML lacks them:
 * `GPU 0: NVIDIA A100 (UUID: GPU-…)` followed by `  MIG 3g.40gb Device  0: (UUID: MIG-…)`.
 */
export function parseNvidiaSmiList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let gpu: number | null = null;
  for (const line of text.split("\n")) {
    const g = /^GPU (\d+):/.exec(line);
    if (g) gpu = Number(g[1]);
    const m = /^\s+MIG .*Device\s+(\d+):.*\(UUID:\s*(MIG-[^)\s]+)\)/.exec(line);
    if (m && gpu !== null) out.set(`${gpu}:${m[1]}`, m[2]);
  }
  return out;
}

/** One entry of the stats report: a GPU, or a MIG device standing in for its GPU. */
export interface GpuReading {
  /** Index of the (parent) GPU. */
  index: number;
  /** GPU UUID (the parent's for a MIG device). */
  uuid: string | null;
  name: string | null;
  /** MIG device index, `null` for a whole GPU. */
  migIndex: number | null;
  migUuid: string | null;
  temperature: number | null;
  /** %, or `defaultUtilization` when the driver does not report one (MIG devices). */
  utilization: number;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  powerDrawW: number | null;
  powerLimitW: number | null;
}

/**
 * Flatten a report into stats entries as the reference does: a GPU with MIG devices is replaced by one entry per
 * MIG device (own memory, parent's index/uuid/name/temperature; utilization `defaultUtilization`, since MIG has
 * none); other GPUs are one entry each. Ordered by GPU index, then MIG index. Deviation: a MIG-enabled GPU with
 * no MIG devices is reported as itself rather than omitted.
 */
export function gpuReadings(
  report: NvidiaSmiReport,
  options: { defaultUtilization?: number; migUuids?: Map<string, string> } = {},
): GpuReading[] {
  const fallback = options.defaultUtilization ?? 100;
  const out: GpuReading[] = [];
  for (const g of report.gpus) {
    const base = { index: g.index, uuid: g.uuid, name: g.name, temperature: g.temperature };
    if (g.migEnabled && g.migDevices.length > 0) {
      for (const m of g.migDevices) {
        out.push({
          ...base,
          migIndex: m.migIndex,
          migUuid: m.uuid ?? options.migUuids?.get(`${g.index}:${m.migIndex}`) ?? null,
          utilization: fallback,
          memoryUsedMiB: m.memoryUsedMiB,
          memoryTotalMiB: m.memoryTotalMiB,
          powerDrawW: null,
          powerLimitW: null,
        });
      }
      continue;
    }
    out.push({
      ...base,
      migIndex: null,
      migUuid: null,
      utilization: g.utilization ?? fallback,
      memoryUsedMiB: g.memoryUsedMiB,
      memoryTotalMiB: g.memoryTotalMiB,
      powerDrawW: g.powerDrawW,
      powerLimitW: g.powerLimitW,
    });
  }
  return out.sort((a, b) => a.index - b.index || (a.migIndex ?? -1) - (b.migIndex ?? -1));
}

/**
 * The meaning of `NVIDIA_VISIBLE_DEVICES`: `"all"` (unset, empty or `all`), `"none"` (`none`/`void`: no GPU
 * stats and no nvidia-smi call), or the list of tokens (indices, `i:j` MIG slices, `GPU-…`, `MIG-…` UUIDs).
 */
export function parseVisibleDevices(value: string | undefined): "all" | "none" | string[] {
  const v = (value ?? "").trim();
  if (v === "" || v.toLowerCase() === "all") return "all";
  if (["none", "void"].includes(v.toLowerCase())) return "none";
  return v.split(",").map((t) => t.trim()).filter((t) => t !== "");
}

/** True when a token of `NVIDIA_VISIBLE_DEVICES` selects this entry. */
function selects(token: string, r: GpuReading): boolean {
  if (/^\d+$/.test(token)) return Number(token) === r.index;
  const slice = /^(\d+)[:.](\d+)$/.exec(token);
  if (slice) return Number(slice[1]) === r.index && Number(slice[2]) === r.migIndex;
  if (token.startsWith("GPU-")) return token === r.uuid;
  if (token.startsWith("MIG-")) return token === r.migUuid;
  return false;
}

/** Keep the entries `NVIDIA_VISIBLE_DEVICES` selects (by index, `i:j`, GPU UUID or MIG UUID). */
export function filterVisible(readings: GpuReading[], visible: string | undefined): GpuReading[] {
  const spec = parseVisibleDevices(visible);
  if (spec === "all") return readings;
  if (spec === "none") return [];
  return readings.filter((r) => spec.some((t) => selects(t, r)));
}

/** True when the visible-devices list names a MIG UUID (then MIG UUIDs must be known to filter). */
export function needsMigUuids(visible: string | undefined): boolean {
  const spec = parseVisibleDevices(visible);
  return Array.isArray(spec) && spec.some((t) => t.startsWith("MIG-"));
}
