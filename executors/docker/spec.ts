/**
 * The pure half of a task container: admin and task docker arguments merged as agent-reference §8.5 (task items
 * through the allowlist, then the forbidden list; protected switches given by the admin removed from the task's),
 * `$VAR` expansion of `-e` values, the GPU device requests (never `all` on a host without GPUs), the environment
 * split between the container's `Config.Env` (what the engine and `docker inspect` see: agent paths and ids, and
 * `NVIDIA_*` which the NVIDIA runtime reads) and the secret env file (every `-e` of the arguments), and the
 * Engine API create options with our bind mounts and labels.
 *
 * @module
 */

import { type ArgItem, canonicalFlag, type ContainerArgs, DockerArgsError } from "./args.ts";

/** How task arguments are screened and merged. */
export interface ArgRules {
  /** `agent.docker_args_filters`: regexes; when set, task items whose flag matches none are dropped. */
  allowlist: readonly string[];
  /** `agent.forbidden_docker_args`: flags a task may not use (`--privileged`, `-v`...). */
  forbidden: readonly string[];
  /** `agent.docker_args_extra_precedes_task`. */
  extraPrecedesTask: boolean;
  /** `agent.protected_docker_extra_args`: switches where the admin's value wins. */
  protectedSwitches: readonly string[];
}

/** The task's items that pass the allowlist (dropped ones listed); throws for a forbidden one. */
export function screenTaskArgs(items: readonly ArgItem[], rules: ArgRules): { kept: ArgItem[]; dropped: string[] } {
  const allow = rules.allowlist.flatMap((p) => {
    try {
      return [new RegExp(p)];
    } catch {
      throw new DockerArgsError(`Bad regular expression "${p}" in agent.docker_args_filters`);
    }
  });
  const forbidden = new Set(rules.forbidden.map(canonicalFlag));
  const kept: ArgItem[] = [];
  const dropped: string[] = [];
  for (const item of items) {
    if (allow.length > 0 && !allow.some((re) => re.test(item.tokens[0]))) {
      dropped.push(item.tokens.join(" "));
      continue;
    }
    if (!item.stray && forbidden.has(item.name)) {
      throw new DockerArgsError(
        `Docker argument "${item.tokens.join(" ")}" of the task is forbidden by agent.forbidden_docker_args`,
      );
    }
    kept.push(item);
  }
  return { kept, dropped };
}

/** Admin and task items merged (§8.5): the protected switches of the side that precedes win. */
export function mergeArgs(admin: readonly ArgItem[], task: readonly ArgItem[], rules: ArgRules): ArgItem[] {
  const protectedNames = new Set(rules.protectedSwitches.map(canonicalFlag));
  const without = (items: readonly ArgItem[], other: readonly ArgItem[]) => {
    const given = new Set(other.filter((i) => protectedNames.has(i.name)).map((i) => i.name));
    return items.filter((i) => !given.has(i.name));
  };
  return rules.extraPrecedesTask ? [...admin, ...without(task, admin)] : [...task, ...without(admin, task)];
}

/** `$VAR` / `${VAR}` in `-e` values replaced from `env` (unknown variables left as written). */
export function expandEnvItems(items: readonly ArgItem[], env: Record<string, string | undefined>): ArgItem[] {
  return items.map((item) => {
    if (item.name !== "env") return item;
    const value = item.value.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a, b) => env[a ?? b] ?? m);
    if (value === item.value) return item;
    return { ...item, value, tokens: item.tokens.length === 2 ? [item.tokens[0], value] : [`${item.flag}=${value}`] };
  });
}

/** The GPUs a task gets. */
export type GpuAssignment = { kind: "unset" } | { kind: "none" } | { kind: "all" } | { kind: "list"; ids: string[] };

/** The GPU assignment of an `NVIDIA_VISIBLE_DEVICES` value (`none`, `all`, `0,1`, MIG `0:1`/`0.1`; unset). */
export function gpuAssignment(visibleDevices: string | undefined): GpuAssignment {
  if (visibleDevices === undefined || visibleDevices.trim() === "") return { kind: "unset" };
  const v = visibleDevices.trim().toLowerCase();
  if (v === "none" || v === "void") return { kind: "none" };
  if (v === "all") return { kind: "all" };
  return { kind: "list", ids: visibleDevices.split(",").map((s) => s.trim().replaceAll(".", ":")).filter(Boolean) };
}

/** Device requests and variables for a GPU assignment. */
export interface GpuPlan {
  deviceRequests: Record<string, unknown>[];
  env: Record<string, string>;
  /** A line for the task log (fake GPUs on a host without any). */
  note?: string;
}

/**
 * GPUs for the container: the assigned devices as an engine device request when this host has NVIDIA GPUs (the
 * container then sees only those, renumbered from 0, so `CUDA_VISIBLE_DEVICES` is not set); on a host without
 * GPUs only the variables (nothing to request, and never `all`); `none` with `--cpu-only`. With `skipRequest`
 * (`CLEARML_DOCKER_SKIP_GPUS_FLAG`, an NVIDIA default runtime) nothing is requested and `NVIDIA_VISIBLE_DEVICES`
 * alone selects the devices.
 */
export function gpuPlan(assignment: GpuAssignment, hostHasGpus: boolean, skipRequest = false): GpuPlan {
  const order = { CUDA_DEVICE_ORDER: "PCI_BUS_ID" };
  if (skipRequest && hostHasGpus && assignment.kind !== "none") {
    const value = assignment.kind === "list" ? assignment.ids.join(",") : "all";
    return { deviceRequests: [], env: { NVIDIA_VISIBLE_DEVICES: value, ...order } };
  }
  switch (assignment.kind) {
    case "none":
      return { deviceRequests: [], env: { NVIDIA_VISIBLE_DEVICES: "none", CUDA_VISIBLE_DEVICES: "none", ...order } };
    case "unset":
    case "all":
      if (!hostHasGpus) return { deviceRequests: [], env: {} };
      return {
        deviceRequests: [{ Driver: "", Count: -1, DeviceIDs: null, Capabilities: [["gpu"]], Options: {} }],
        env: { NVIDIA_VISIBLE_DEVICES: "all", ...order },
      };
    case "list": {
      const value = assignment.ids.join(",");
      if (!hostHasGpus) {
        return {
          deviceRequests: [],
          env: { NVIDIA_VISIBLE_DEVICES: value, CUDA_VISIBLE_DEVICES: value, ...order },
          note: `No NVIDIA GPU on this host: GPUs ${value} are passed to the task as variables only`,
        };
      }
      return {
        deviceRequests: [{ Driver: "", Count: 0, DeviceIDs: assignment.ids, Capabilities: [["gpu"]], Options: {} }],
        env: { NVIDIA_VISIBLE_DEVICES: value, ...order },
      };
    }
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The `-e` entries split: `NVIDIA_*` (read by the NVIDIA runtime from the container's config) stay in
 * `Config.Env`, every other one goes to the secret env file. `-e NAME` without a value takes `NAME` from `hostEnv`
 * (as the docker CLI does) and is dropped when unset there.
 */
export function splitEnv(
  entries: readonly string[],
  hostEnv: Record<string, string | undefined>,
): { config: Record<string, string>; secret: Record<string, string> } {
  const config: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf("=");
    const name = at < 0 ? entry : entry.slice(0, at);
    if (!ENV_NAME.test(name)) throw new DockerArgsError(`Bad docker argument "-e ${entry}": bad variable name`);
    const value = at < 0 ? hostEnv[name] : entry.slice(at + 1);
    if (value === undefined) continue;
    if (name.startsWith("NVIDIA_")) config[name] = value;
    else secret[name] = value;
  }
  return { config, secret };
}

/** The env file text: `export NAME='value'` lines (POSIX shell quoting), read by the container's entry script. */
export function envFileText(vars: Record<string, string>): string {
  return Object.entries(vars).map(([k, v]) => `export ${k}='${v.replaceAll("'", `'\\''`)}'\n`).join("");
}

/** A bind mount the agent adds. */
export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** Inputs of `createOptions`. */
export interface ContainerSpecInput {
  image: string;
  cmd: string[];
  /** The parsed, merged docker arguments. */
  args: ContainerArgs;
  /** Variables for `Config.Env` (never secrets). */
  env: Record<string, string>;
  binds: readonly BindMount[];
  labels: Record<string, string>;
  gpu: GpuPlan;
}

/** Engine API `POST /containers/create` options. Our labels, mounts and variables win over the arguments'. */
export function createOptions(input: ContainerSpecInput): Record<string, unknown> {
  const a = input.args;
  const env = { ...input.gpu.env, ...input.env };
  return {
    ...a.config,
    Image: input.image,
    Cmd: input.cmd,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: { ...a.labels, ...input.labels },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      // A real init as pid 1: forwards the stop signal to the agent and reaps orphans.
      Init: true,
      ...a.host,
      Binds: a.binds,
      Mounts: [
        ...a.mounts,
        ...input.binds.map((b) => ({ Type: "bind", Source: b.source, Target: b.target, ReadOnly: b.readOnly })),
      ],
      DeviceRequests: input.gpu.deviceRequests,
      AutoRemove: false,
    },
  };
}

/** The `docker run` command equivalent to a spec, for the log (the caller masks it). */
export function runCommandLine(input: ContainerSpecInput, argTokens: readonly string[]): string[] {
  const out = ["docker", "run", "--init"];
  for (const [k, v] of Object.entries(input.labels)) out.push("-l", `${k}=${v}`);
  const ids = input.gpu.deviceRequests[0]?.DeviceIDs as string[] | null | undefined;
  if (input.gpu.deviceRequests.length > 0) out.push("--gpus", ids ? `"device=${ids.join(",")}"` : "all");
  out.push(...argTokens);
  for (const b of input.binds) out.push("-v", `${b.source}:${b.target}${b.readOnly ? ":ro" : ""}`);
  for (const [k, v] of Object.entries({ ...input.gpu.env, ...input.env })) out.push("-e", `${k}=${v}`);
  out.push(input.image, ...input.cmd);
  return out;
}
