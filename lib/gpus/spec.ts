/**
 * `--gpus` values: parsing, validation and the environment a task gets from them.
 *
 * Accepted forms (comma separated items): `0`, `0,1`, `0-3` (inclusive range, expanded), `all`, `none`,
 * MIG slices `0:1` or `0.1`, and device UUIDs `GPU-…` / `MIG-…`.
 * Unlike the reference, a range is expanded (`0-3` → `0,1,2,3`): CUDA does not understand `0-3`.
 *
 * @module
 */

/** A parsed `--gpus` value. */
export type GpuSpec =
  | { kind: "all" }
  | { kind: "none" }
  | { kind: "list"; ids: string[] };

const MIG_OR_INDEX = /^(\d+)(?:[.:](\d+))?$/;
const UUID = /^(GPU|MIG)-[0-9A-Za-z-]+$/;
const RANGE = /^(\d+)-(\d+)$/;

/** Parse a `--gpus` value; throws `TypeError` with the offending item on bad input. */
export function parseGpuSpec(value: string): GpuSpec {
  const text = value.trim();
  if (text === "") throw new TypeError(`invalid --gpus value "${value}": empty`);
  const lower = text.toLowerCase();
  if (lower === "all") return { kind: "all" };
  if (lower === "none" || lower === "void") return { kind: "none" };
  const ids: string[] = [];
  for (const raw of text.split(",")) {
    const item = raw.trim();
    const range = RANGE.exec(item);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (a > b) throw new TypeError(`invalid --gpus range "${item}": start is after end`);
      if (b - a > 1023) throw new TypeError(`invalid --gpus range "${item}": too many devices`);
      for (let i = a; i <= b; i++) ids.push(String(i));
      continue;
    }
    const mig = MIG_OR_INDEX.exec(item);
    if (mig) {
      ids.push(mig[2] === undefined ? mig[1] : `${mig[1]}:${mig[2]}`);
      continue;
    }
    if (UUID.test(item)) {
      ids.push(item);
      continue;
    }
    throw new TypeError(
      `invalid --gpus item "${item}" in "${value}": expected an index (0), a range (0-3), a MIG slice (0:1), ` +
        `a GPU-/MIG- UUID, "all" or "none"`,
    );
  }
  if (new Set(ids).size !== ids.length) throw new TypeError(`invalid --gpus value "${value}": a device is repeated`);
  return { kind: "list", ids };
}

/** The value of `NVIDIA_VISIBLE_DEVICES` / `CUDA_VISIBLE_DEVICES` for a spec (`all`, `none` or `0,1`). */
export function visibleDevicesValue(spec: GpuSpec): string {
  switch (spec.kind) {
    case "all":
      return "all";
    case "none":
      return "none";
    case "list":
      return spec.ids.join(",");
  }
}

/**
 * The environment a task gets for a GPU spec, as the reference sets it: both variables to the list; `all` sets
 * only `NVIDIA_VISIBLE_DEVICES` (and removes `CUDA_VISIBLE_DEVICES`, marked `undefined`); `none` sets both to `none`.
 * `CUDA_DEVICE_ORDER` is always `PCI_BUS_ID`.
 */
export function gpuEnvironment(spec: GpuSpec): Record<string, string | undefined> {
  const value = visibleDevicesValue(spec);
  if (spec.kind === "all") {
    return { NVIDIA_VISIBLE_DEVICES: "all", CUDA_VISIBLE_DEVICES: undefined, CUDA_DEVICE_ORDER: "PCI_BUS_ID" };
  }
  return { NVIDIA_VISIBLE_DEVICES: value, CUDA_VISIBLE_DEVICES: value, CUDA_DEVICE_ORDER: "PCI_BUS_ID" };
}
