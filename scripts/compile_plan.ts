/**
 * What `deno task compile` runs, as pure functions: the four release targets, the one `deno compile` argument list
 * per target, which `denort` runtime each run uses, and the `SHA256SUMS` text. `scripts/compile.ts` executes the
 * plan; `tests/scripts/compile_plan_test.ts` checks it.
 *
 * Permissions: the binary gets exactly the permission set `agent` of `deno.json` (`-P=agent`), the same object the
 * launcher task `deno task agent` uses; `deno compile` bakes it into the executable, which can never exceed it.
 * docs/distribution.md says why each permission is needed.
 *
 * The runtime: `deno compile` copies a `denort` executable of the target platform (same Deno version as the
 * compiler) and appends the program to it. It downloads that runtime from dl.deno.land unless `DENORT_BIN` names a
 * local copy. `DENORT_BIN` is one file, so it is the runtime of exactly one target: the plan reads the target from
 * its executable header (ELF or Mach-O) and refuses to use it for any other target.
 *
 * @module
 */

import { V8_FLAGS } from "../lib/process/self_command.ts";

/** Release targets: our short name → Rust target triple that `deno compile --target` takes. */
export const TARGETS = {
  "linux-x64": "x86_64-unknown-linux-gnu",
  "linux-arm64": "aarch64-unknown-linux-gnu",
  "darwin-x64": "x86_64-apple-darwin",
  "darwin-arm64": "aarch64-apple-darwin",
} as const;

/** A release target name, e.g. `linux-x64`. */
export type Target = keyof typeof TARGETS;

/** All release targets, in build order. */
export const ALL_TARGETS: readonly Target[] = Object.keys(TARGETS) as Target[];

/** The name of the permission set in `deno.json` shared by the launcher task `agent` and the compiled binary. */
export const PERMISSION_SET = "agent";

/** The file name of the binary of one target. */
export function binaryName(target: Target): string {
  return `clearml-agent-${target}`;
}

/**
 * Paths under the repository kept out of the binary. With `nodeModulesDir: manual` `deno compile` embeds the whole
 * `node_modules/`; these are development tools and type declarations that nothing imports at run time (the npm
 * `deno` package alone is 95 MB: the toolchain, and its platform package under `@deno/`).
 */
export const EXCLUDES: readonly string[] = [
  "node_modules/deno",
  "node_modules/@deno",
  "node_modules/.bin",
  "node_modules/@types",
  "node_modules/undici-types",
];

/**
 * Extra files embedded with `--include`. Empty: `main.ts` loads each subcommand with a literal
 * `import("./lib/cli/x.ts")`, which `deno compile` follows on its own (checked after each build by
 * `compile_payload.ts`), and the agent reads no data files of its own. Add runtime assets here.
 */
export const INCLUDES: readonly string[] = [];

/** Inputs of `compileArgs`. */
export interface CompileArgsOptions {
  target: Target;
  /** Repository root (absolute). */
  root: string;
  /** Output folder (absolute). */
  outDir: string;
  /** Development-only packages to keep out as well (`devOnlyModules()` of the lock file). */
  devOnly?: readonly string[];
}

/**
 * The `node_modules/` paths that npm installs for development alone (`"dev": true` in `package-lock.json`): the
 * test drivers and everything they pull in. Nothing imports them at run time, so the binary leaves them out.
 */
export function devOnlyModules(lockText: string): string[] {
  const lock = JSON.parse(lockText) as { packages?: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages ?? {})
    .filter(([path, entry]) => entry.dev === true && path.startsWith("node_modules/"))
    .filter(([path]) => !EXCLUDES.some((e) => path === e || path.startsWith(`${e}/`)))
    .map(([path]) => path);
}

/**
 * The `deno compile` arguments for one target: the one function every build goes through. Type checking is left
 * to `deno task check` (run before it in CI), so the build does not depend on it.
 */
export function compileArgs(options: CompileArgsOptions): string[] {
  const { target, root, outDir, devOnly = [] } = options;
  return [
    "compile",
    `-P=${PERMISSION_SET}`,
    `--v8-flags=${V8_FLAGS}`,
    "--config",
    `${root}/deno.json`,
    "--no-check",
    "--quiet",
    "--target",
    TARGETS[target],
    "--output",
    `${outDir}/${binaryName(target)}`,
    ...[...EXCLUDES, ...devOnly].flatMap((path) => ["--exclude", `${root}/${path}`]),
    ...INCLUDES.flatMap((path) => ["--include", `${root}/${path}`]),
    `${root}/main.ts`,
  ];
}

/** Parse a target name given on the command line; `undefined` when it is not one of ours. */
export function parseTarget(name: string): Target | undefined {
  if (name in TARGETS) return name as Target;
  const byTriple = ALL_TARGETS.find((t) => TARGETS[t] === name);
  return byTriple;
}

const ELF_MACHINES: Record<number, "x64" | "arm64"> = { 0x3e: "x64", 0xb7: "arm64" };
const MACHO_CPUS: Record<number, "x64" | "arm64"> = { 0x01000007: "x64", 0x0100000c: "arm64" };

/**
 * The target an executable runs on, read from its first bytes: a 64-bit little-endian ELF (`e_machine` x86-64 or
 * AArch64) is Linux, a 64-bit Mach-O (`cputype` x86_64 or arm64) is macOS. `undefined` for anything else.
 */
export function executableTarget(head: Uint8Array): Target | undefined {
  if (head.length < 20) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const isElf = head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
  if (isElf) {
    if (head[4] !== 2 || head[5] !== 1) return undefined; // ELFCLASS64, little-endian
    const arch = ELF_MACHINES[view.getUint16(18, true)];
    return arch ? `linux-${arch}` : undefined;
  }
  if (view.getUint32(0, true) === 0xfeedfacf) {
    const arch = MACHO_CPUS[view.getUint32(4, true)];
    return arch ? `darwin-${arch}` : undefined;
  }
  return undefined;
}

/** One `deno compile` run: the target and the `DENORT_BIN` it runs with (`undefined`: deno downloads it). */
export interface CompileRun {
  target: Target;
  denortBin?: string;
}

/** Inputs of `planCompile`. */
export interface PlanOptions {
  /** Targets named on the command line (empty: the default). */
  requested: readonly Target[];
  /** `DENORT_BIN`, if set. */
  denortBin?: string;
  /** The target read from `DENORT_BIN`'s header (`undefined` when unreadable or not an executable). */
  denortTarget?: Target;
  /** `--download`: let `deno compile` download each runtime (needs internet access to dl.deno.land). */
  download: boolean;
  /** The Deno version of the compiler (names the runtime to fetch in the error message). */
  denoVersion: string;
}

/** The result of planning: the runs, or one line saying why nothing can be built. */
export type CompilePlan = { ok: true; runs: CompileRun[] } | { ok: false; error: string };

/** The URL `deno compile` downloads a target's runtime from. */
export function denortUrl(target: Target, denoVersion: string): string {
  return `https://dl.deno.land/release/v${denoVersion}/denort-${TARGETS[target]}.zip`;
}

/**
 * Decide which runs to make. With `DENORT_BIN` the default is its own target, and any other requested target is
 * refused (a runtime serves one platform). With `--download` every requested target (default: all four) is built
 * by downloading. With neither, one line says what is missing.
 */
export function planCompile(options: PlanOptions): CompilePlan {
  const { requested, denortBin, denortTarget, download, denoVersion } = options;
  if (denortBin !== undefined && download) {
    return { ok: false, error: "Cannot use DENORT_BIN and --download together: unset DENORT_BIN to download" };
  }
  if (denortBin !== undefined) {
    if (!denortTarget) {
      return {
        ok: false,
        error: `DENORT_BIN "${denortBin}" is not a denort runtime for any release target (${ALL_TARGETS.join(", ")})`,
      };
    }
    const wrong = requested.filter((t) => t !== denortTarget);
    if (wrong.length > 0) {
      return {
        ok: false,
        error: `DENORT_BIN "${denortBin}" is the runtime for "${denortTarget}" only: cannot build ` +
          `${wrong.map((t) => `"${t}"`).join(", ")} with it (run once per target, each with its own DENORT_BIN)`,
      };
    }
    return { ok: true, runs: [{ target: denortTarget, denortBin }] };
  }
  const targets = requested.length > 0 ? [...new Set(requested)] : [...ALL_TARGETS];
  if (download) return { ok: true, runs: targets.map((target) => ({ target })) };
  const first = targets[0];
  return {
    ok: false,
    error: `Missing the denort runtime: set DENORT_BIN to the denort ${denoVersion} executable for "${first}" ` +
      `(from ${denortUrl(first, denoVersion)}), or pass --download if this machine reaches dl.deno.land`,
  };
}

/** The `SHA256SUMS` text for these files, in `sha256sum` format (`sha256sum -c SHA256SUMS` checks it). */
export function sha256sums(entries: ReadonlyArray<{ name: string; sha256: string }>): string {
  return [...entries]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((e) => `${e.sha256}  ${e.name}\n`)
    .join("");
}

/** Where releases live when the build is given no `CLEARML_AGENT_BASE_URL`: this project's GitHub releases. */
export const DEFAULT_RELEASE_BASE_URL = "https://github.com/clearml-deno/clearml-agent/releases";

/**
 * Release assets that carry the release address, by their source under `scripts/`. Each has exactly one line
 * `RELEASE_BASE_URL=""` (empty in the repository), which the build fills in; at install time
 * `CLEARML_AGENT_BASE_URL` still overrides it.
 */
export const ADDRESSED_ASSETS: readonly string[] = ["install.sh", "cloud-init.yaml"];

/**
 * The release address of this build: `CLEARML_AGENT_BASE_URL` when set (the release workflow sets it to its own
 * repository's releases), else `DEFAULT_RELEASE_BASE_URL`; without a trailing slash. Throws on anything but a plain
 * http(s) URL, since it is written into shell scripts.
 */
export function releaseBaseUrl(env: Record<string, string | undefined>): string {
  const value = env.CLEARML_AGENT_BASE_URL || DEFAULT_RELEASE_BASE_URL;
  if (!/^https?:\/\/[A-Za-z0-9._~:/?#@!&+,;=%\[\]-]+$/.test(value)) {
    throw new Error(`CLEARML_AGENT_BASE_URL "${value}" is not a plain http(s) URL`);
  }
  return value.replace(/\/+$/, "");
}

/** `text` (an asset of `ADDRESSED_ASSETS`) with its `RELEASE_BASE_URL=""` line set to `baseUrl`. */
export function withReleaseBaseUrl(text: string, baseUrl: string, name: string): string {
  const line = /^(\s*)RELEASE_BASE_URL=""$/gm;
  const count = [...text.matchAll(line)].length;
  if (count !== 1) throw new Error(`"${name}" has ${count} lines RELEASE_BASE_URL="" (needs exactly one)`);
  return text.replace(line, (_all, indent: string) => `${indent}RELEASE_BASE_URL="${baseUrl}"`);
}
