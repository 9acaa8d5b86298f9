/**
 * Docker CLI-style arguments (`-e K=V`, `-v a:b`, `--ipc=host`, `--shm-size 8g`, ...) turned into the Engine API's
 * container fields, without a `docker` binary: tokens are first grouped into items (a flag and its value, with
 * `--flag=value`, `--flag value`, `-eK=V`, `-e=K=V` and bundled short switches `-it`), so that the admin/task merge
 * (agent-reference §8.5) and the forbidden list work on whole items, by canonical flag name (`--net` is
 * `--network`); then the items are applied, in order, to a `ContainerArgs` value (a later scalar wins, lists add
 * up). Pure; bad input throws `DockerArgsError` naming the argument.
 *
 * @module
 */

/** A docker argument that cannot be used. */
export class DockerArgsError extends Error {
  override name = "DockerArgsError";
}

/** One flag with its value, as written. */
export interface ArgItem {
  /** Canonical long name without dashes (`network`, `env`), or the token itself for a stray value. */
  name: string;
  /** The tokens as written (`["-e", "K=V"]` or `["--ipc=host"]`). */
  tokens: string[];
  /** The flag as written (`-e`, `--net`). */
  flag: string;
  /** The value (`"true"` for a bare switch). */
  value: string;
  /** True for a token that is not a flag. */
  stray?: boolean;
}

/** The container fields the arguments give (names as in the Engine API). */
export interface ContainerArgs {
  /** `K=V` entries in order (a later one wins). */
  env: string[];
  /** Host files named by `--env-file` (read by the caller). */
  envFiles: string[];
  labels: Record<string, string>;
  /** `-v` specs (`src:dst[:opts]`). */
  binds: string[];
  /** `--mount` entries. */
  mounts: Record<string, unknown>[];
  /** `HostConfig` fields other than binds and mounts. */
  host: Record<string, unknown>;
  /** `Config` fields (`User`, `WorkingDir`, `Hostname`, `Entrypoint`, `ExposedPorts`, `StopSignal`...). */
  config: Record<string, unknown>;
  /** The `--gpus` value, if any (the agent decides GPUs; the caller warns). */
  gpus?: string;
  /** Flags accepted but without effect here (`--rm`, `-t`, `--name`...). */
  ignored: string[];
}

type Apply = (a: ContainerArgs, value: string, flag: string) => void;

interface FlagSpec {
  names: string[];
  /** The flag takes a value. */
  value: boolean;
  apply: Apply;
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `8g` → bytes (docker's RAMInBytes: binary units, case-insensitive, optional `b` suffix). */
export function parseSize(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(value.trim());
  if (!m) throw new DockerArgsError(`Bad docker argument "${flag} ${value}": expected a size such as 512m or 8g`);
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]);
}

function int(value: string, flag: string): number {
  if (!/^-?\d+$/.test(value.trim())) {
    throw new DockerArgsError(`Bad docker argument "${flag} ${value}": not an integer`);
  }
  return Number(value);
}

function bool(value: string, flag: string): boolean {
  if (/^(true|1)$/i.test(value)) return true;
  if (/^(false|0)$/i.test(value)) return false;
  throw new DockerArgsError(`Bad docker argument "${flag}=${value}": expected true or false`);
}

function keyValue(value: string, flag: string): [string, string] {
  const at = value.indexOf("=");
  if (at <= 0) throw new DockerArgsError(`Bad docker argument "${flag} ${value}": expected KEY=VALUE`);
  return [value.slice(0, at), value.slice(at + 1)];
}

function push(a: ContainerArgs, field: string, ...values: unknown[]): void {
  const list = (a.host[field] ??= []) as unknown[];
  list.push(...values);
}

const set = (field: string, parse: (v: string, f: string) => unknown = (v) => v): Apply => (a, v, f) => {
  a.host[field] = parse(v, f);
};
const setConfig = (field: string, parse: (v: string, f: string) => unknown = (v) => v): Apply => (a, v, f) => {
  a.config[field] = parse(v, f);
};
const add = (field: string): Apply => (a, v) => push(a, field, v);
const ignore: Apply = (a, _v, f) => void a.ignored.push(f);

/** `target[field][key] = value` for `key<sep>value` (the whole text is the key when `sep` is empty: value `{}`). */
function mapEntry(target: Record<string, unknown>, field: string, text: string, sep: string): void {
  const map = (target[field] ??= {}) as Record<string, unknown>;
  if (sep === "") {
    map[text] = {};
    return;
  }
  const at = text.indexOf(sep);
  if (at < 0) map[text] = "";
  else map[text.slice(0, at)] = text.slice(at + 1);
}

function logConfig(a: ContainerArgs): { Type: string; Config: Record<string, string> } {
  return (a.host.LogConfig ??= { Type: "", Config: {} }) as { Type: string; Config: Record<string, string> };
}

function parseMount(value: string, flag: string): Record<string, unknown> {
  const out: Record<string, unknown> = { Type: "volume" };
  for (const part of value.split(",")) {
    const [k, v = "true"] = part.includes("=") ? keyValue(part, flag) : [part, "true"];
    switch (k) {
      case "type":
        out.Type = v;
        break;
      case "source":
      case "src":
        out.Source = v;
        break;
      case "target":
      case "destination":
      case "dst":
        out.Target = v;
        break;
      case "readonly":
      case "ro":
        out.ReadOnly = bool(v, flag);
        break;
      case "consistency":
        out.Consistency = v;
        break;
      default:
        throw new DockerArgsError(`Bad docker argument "${flag} ${value}": unsupported mount option "${k}"`);
    }
  }
  if (!out.Target) throw new DockerArgsError(`Bad docker argument "${flag} ${value}": no target`);
  return out;
}

function parseDevice(value: string): Record<string, string> {
  const [host, inContainer = host, perms = "rwm"] = value.split(":");
  return { PathOnHost: host, PathInContainer: inContainer, CgroupPermissions: perms };
}

function parseUlimit(value: string, flag: string): Record<string, unknown> {
  const [name, limits] = keyValue(value, flag);
  const [soft, hard = soft] = limits.split(":");
  return { Name: name, Soft: int(soft, flag), Hard: int(hard, flag) };
}

function publish(a: ContainerArgs, value: string, flag: string): void {
  const m = /^(?:(?:(\[[^\]]+\]|[^:]+):)?([\d-]*):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(value);
  if (!m) throw new DockerArgsError(`Bad docker argument "${flag} ${value}": expected [ip:][hostPort:]port[/proto]`);
  const key = `${m[3]}/${m[4] ?? "tcp"}`;
  ((a.config.ExposedPorts ??= {}) as Record<string, unknown>)[key] = {};
  const bindings = (a.host.PortBindings ??= {}) as Record<string, unknown[]>;
  (bindings[key] ??= []).push({ HostIp: m[1]?.replace(/^\[|\]$/g, "") ?? "", HostPort: m[2] ?? "" });
}

/** The flags we understand; anything else is refused with a clear line. */
const FLAGS: FlagSpec[] = [
  { names: ["env", "e"], value: true, apply: (a, v) => void a.env.push(v) },
  { names: ["env-file"], value: true, apply: (a, v) => void a.envFiles.push(v) },
  { names: ["volume", "v"], value: true, apply: (a, v, f) => void a.binds.push(checkBind(v, f)) },
  { names: ["mount"], value: true, apply: (a, v, f) => void a.mounts.push(parseMount(v, f)) },
  { names: ["tmpfs"], value: true, apply: (a, v) => mapEntry(a.host, "Tmpfs", v, ":") },
  {
    names: ["label", "l"],
    value: true,
    apply: (a, v) => mapEntry(a as unknown as Record<string, unknown>, "labels", v, "="),
  },
  { names: ["ipc"], value: true, apply: set("IpcMode") },
  { names: ["pid"], value: true, apply: set("PidMode") },
  { names: ["uts"], value: true, apply: set("UTSMode") },
  { names: ["userns"], value: true, apply: set("UsernsMode") },
  { names: ["cgroupns"], value: true, apply: set("CgroupnsMode") },
  { names: ["network", "net"], value: true, apply: set("NetworkMode") },
  { names: ["shm-size"], value: true, apply: set("ShmSize", parseSize) },
  { names: ["memory", "m"], value: true, apply: set("Memory", parseSize) },
  {
    names: ["memory-swap"],
    value: true,
    apply: set("MemorySwap", (v, f) => (v.trim() === "-1" ? -1 : parseSize(v, f))),
  },
  { names: ["memory-reservation"], value: true, apply: set("MemoryReservation", parseSize) },
  {
    names: ["cpus"],
    value: true,
    apply: set("NanoCpus", (v, f) => {
      if (!/^\d+(\.\d+)?$/.test(v.trim())) throw new DockerArgsError(`Bad docker argument "${f} ${v}": not a number`);
      return Math.round(Number(v) * 1e9);
    }),
  },
  { names: ["cpu-shares", "c"], value: true, apply: set("CpuShares", int) },
  { names: ["cpuset-cpus"], value: true, apply: set("CpusetCpus") },
  { names: ["cpuset-mems"], value: true, apply: set("CpusetMems") },
  { names: ["cpu-period"], value: true, apply: set("CpuPeriod", int) },
  { names: ["cpu-quota"], value: true, apply: set("CpuQuota", int) },
  { names: ["pids-limit"], value: true, apply: set("PidsLimit", int) },
  { names: ["oom-score-adj"], value: true, apply: set("OomScoreAdj", int) },
  { names: ["oom-kill-disable"], value: false, apply: set("OomKillDisable", bool) },
  { names: ["ulimit"], value: true, apply: (a, v, f) => push(a, "Ulimits", parseUlimit(v, f)) },
  { names: ["sysctl"], value: true, apply: (a, v, f) => mapEntry(a.host, "Sysctls", keyValue(v, f).join("="), "=") },
  { names: ["add-host"], value: true, apply: add("ExtraHosts") },
  { names: ["dns"], value: true, apply: add("Dns") },
  { names: ["dns-search"], value: true, apply: add("DnsSearch") },
  { names: ["dns-option", "dns-opt"], value: true, apply: add("DnsOptions") },
  { names: ["cap-add"], value: true, apply: add("CapAdd") },
  { names: ["cap-drop"], value: true, apply: add("CapDrop") },
  { names: ["security-opt"], value: true, apply: add("SecurityOpt") },
  { names: ["device"], value: true, apply: (a, v) => push(a, "Devices", parseDevice(v)) },
  { names: ["device-cgroup-rule"], value: true, apply: add("DeviceCgroupRules") },
  { names: ["group-add"], value: true, apply: add("GroupAdd") },
  {
    names: ["storage-opt"],
    value: true,
    apply: (a, v, f) => mapEntry(a.host, "StorageOpt", keyValue(v, f).join("="), "="),
  },
  { names: ["log-driver"], value: true, apply: (a, v) => logConfig(a).Type = v },
  {
    names: ["log-opt"],
    value: true,
    apply: (a, v, f) => mapEntry(logConfig(a), "Config", keyValue(v, f).join("="), "="),
  },
  { names: ["privileged"], value: false, apply: set("Privileged", bool) },
  { names: ["init"], value: false, apply: set("Init", bool) },
  { names: ["read-only"], value: false, apply: set("ReadonlyRootfs", bool) },
  { names: ["runtime"], value: true, apply: set("Runtime") },
  { names: ["publish", "p"], value: true, apply: publish },
  {
    names: ["expose"],
    value: true,
    apply: (a, v) => mapEntry(a.config, "ExposedPorts", v.includes("/") ? v : `${v}/tcp`, ""),
  },
  { names: ["user", "u"], value: true, apply: setConfig("User") },
  { names: ["workdir", "w"], value: true, apply: setConfig("WorkingDir") },
  { names: ["hostname", "h"], value: true, apply: setConfig("Hostname") },
  { names: ["domainname"], value: true, apply: setConfig("Domainname") },
  { names: ["entrypoint"], value: true, apply: setConfig("Entrypoint", (v) => (v === "" ? [""] : [v])) },
  { names: ["stop-signal"], value: true, apply: setConfig("StopSignal") },
  { names: ["gpus"], value: true, apply: (a, v) => void (a.gpus = v) },
  // The agent owns these: the container's name, life cycle, terminal and pulls.
  ...[["rm"], ["tty", "t"], ["interactive", "i"], ["detach", "d"], ["quiet", "q"]].map((names) => ({
    names,
    value: false,
    apply: ignore,
  })),
  ...["name", "restart", "pull", "platform", "stop-timeout"].map((n) => ({ names: [n], value: true, apply: ignore })),
];

const BY_NAME = new Map<string, FlagSpec>();
for (const spec of FLAGS) for (const name of spec.names) BY_NAME.set(name, spec);

function checkBind(value: string, flag: string): string {
  const parts = value.split(":");
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]?.startsWith("/")) {
    throw new DockerArgsError(`Bad docker argument "${flag} ${value}": expected SOURCE:/container/path[:ro]`);
  }
  return value;
}

/** The canonical name of a flag as written (`--net` → `network`, `-v` → `volume`); unknown ones stay as given. */
export function canonicalFlag(flag: string): string {
  const bare = flag.replace(/^-+/, "").split("=")[0];
  return BY_NAME.get(bare)?.names[0] ?? bare;
}

/** Group tokens into items. Throws for an unknown flag or a missing value. */
export function tokenize(args: readonly string[]): ArgItem[] {
  const items: ArgItem[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i];
    if (token === "") continue;
    if (!token.startsWith("-") || token === "-") {
      items.push({ name: token, tokens: [token], flag: token, value: token, stray: true });
      continue;
    }
    const long = token.startsWith("--");
    const eq = token.indexOf("=");
    const name = long ? token.slice(2, eq < 0 ? undefined : eq) : token.slice(1, 2);
    const spec = BY_NAME.get(name);
    if (!spec) throw new DockerArgsError(`Unsupported docker argument "${token}"`);
    const flag = long ? `--${name}` : `-${name}`;
    let value: string | undefined;
    if (long) value = eq < 0 ? undefined : token.slice(eq + 1);
    else if (token.length > 2) {
      const rest = token.slice(2);
      if (spec.value) value = rest.startsWith("=") ? rest.slice(1) : rest;
      else {
        // Bundled switches: `-it`.
        for (const c of rest) {
          const s = BY_NAME.get(c);
          if (!s || s.value) throw new DockerArgsError(`Unsupported docker argument "${token}"`);
        }
        items.push({ name: spec.names[0], tokens: [token], flag, value: "true" });
        continue;
      }
    }
    if (!spec.value) {
      items.push({ name: spec.names[0], tokens: [token], flag, value: value ?? "true" });
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= args.length) throw new DockerArgsError(`Docker argument "${token}" needs a value`);
      value = args[++i];
      items.push({ name: spec.names[0], tokens: [token, value], flag, value });
    } else items.push({ name: spec.names[0], tokens: [token], flag, value });
  }
  return items;
}

/** Apply items, in order, to a fresh `ContainerArgs`. Throws for a stray value or a bad one. */
export function applyArgs(items: readonly ArgItem[]): ContainerArgs {
  const out: ContainerArgs = {
    env: [],
    envFiles: [],
    labels: {},
    binds: [],
    mounts: [],
    host: {},
    config: {},
    ignored: [],
  };
  for (const item of items) {
    if (item.stray) {
      throw new DockerArgsError(`Unexpected docker argument "${item.value}": not a flag or a flag's value`);
    }
    const spec = BY_NAME.get(item.name)!;
    spec.apply(out, item.value, item.flag);
  }
  return out;
}

/** `tokenize` then `applyArgs`. */
export function parseDockerArgs(args: readonly string[]): ContainerArgs {
  return applyArgs(tokenize(args));
}

/** The argv form of items (for the printed command). */
export function itemTokens(items: readonly ArgItem[]): string[] {
  return items.flatMap((i) => i.tokens);
}
