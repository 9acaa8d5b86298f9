/**
 * Package installers: `pip` and `uv` (`agent.package_manager.type`). Each creates a venv, installs a
 * requirements file into it and freezes the result. uv is used when configured; when it is not on PATH it is
 * installed once from PyPI with the system pip into the tools folder (`~/.clearml/tools/uv`, or
 * `$CLEARML_AGENT_TOOLS_DIR`). uv venvs are created without pip (no ensurepip: that is most of a venv's
 * creation time).
 *
 * @module
 */

import { delimiter, join } from "node:path";
import { type Executor, type OutputSink, SetupError } from "../../../executors/executor.ts";

/** Options of an install. */
export interface InstallOptions {
  /** The venv's interpreter. */
  python: string;
  /** The requirements file. */
  file: string;
  /** Working folder (relative paths and `-e .` resolve here). */
  cwd: string;
  extraIndexUrls: string[];
  extraFlags: string[];
  /** Extra environment (git askpass for `git+https` requirements). */
  env: Record<string, string>;
  output: OutputSink;
  signal?: AbortSignal;
}

/** A package installer. */
export interface Installer {
  readonly kind: "pip" | "uv";
  /** The installer's own program (uv's binary), when it has one. */
  readonly binary?: string;
  /** Create a venv at `dir` on `basePython`. */
  createVenv(basePython: string, dir: string, systemSitePackages: boolean, signal?: AbortSignal): Promise<void>;
  install(options: InstallOptions): Promise<void>;
  /** `pip freeze` lines of the venv. */
  freeze(python: string, signal?: AbortSignal): Promise<string[]>;
}

/** The one-line cause of an installer failure, from its output. */
export function installFailureCause(kind: string, output: string): string {
  // deno-lint-ignore no-control-regex
  const text = output.replace(/\x1b\[[0-9;]*m/g, "");
  const noMatch = /No matching distribution found for (\S+)/.exec(text);
  if (noMatch) return `no matching distribution for ${noMatch[1]}`;
  const uvNoVersion = /there is no version of ([^\s,]+)/.exec(text) ??
    /Because ([^\s,]+) was not found in the package registry/.exec(text);
  if (uvNoVersion) return `no matching distribution for ${uvNoVersion[1]}`;
  // poetry frames its errors in a "| " box: the box's first line is the error.
  const boxed = /^\s*\| +(\S.*)$/m.exec(text);
  if (boxed) return boxed[1].trim();
  const lines = text.split("\n").map((l) => l.replace(/^[\s×╰─▶│]+/, "").trim()).filter(Boolean);
  const error = lines.filter((l) => /^(ERROR|error|fatal):/.test(l)).at(-1) ?? lines.at(-1) ?? `${kind} failed`;
  return error.replace(/^(ERROR|error|fatal):\s*/, "");
}

/** An output sink that also keeps the text (for the one-line failure cause). */
export function collectOutput(output: OutputSink): { sink: OutputSink; text: () => string } {
  const parts: string[] = [];
  const dec = new TextDecoder();
  return {
    sink: (chunk, stream) => {
      parts.push(dec.decode(chunk, { stream: true }));
      output(chunk, stream);
    },
    text: () => parts.join(""),
  };
}

class PipInstaller implements Installer {
  readonly kind = "pip";
  #executor: Executor;
  constructor(executor: Executor) {
    this.#executor = executor;
  }

  async createVenv(basePython: string, dir: string, systemSitePackages: boolean, signal?: AbortSignal) {
    const args = [basePython, "-m", "venv", ...(systemSitePackages ? ["--system-site-packages"] : []), dir];
    const res = await this.#executor.capture({ argv: args }, signal);
    if (res.code !== 0) throw new SetupError("env", `Cannot create a venv with "${basePython}": ${res.stderr.trim()}`);
  }

  async install(o: InstallOptions) {
    const argv = [o.python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r", o.file];
    for (const url of o.extraIndexUrls) argv.push("--extra-index-url", url);
    argv.push(...o.extraFlags);
    const out = collectOutput(o.output);
    const res = await this.#executor.run(
      { argv, cwd: o.cwd, env: { ...o.env, PYTHONPATH: undefined } },
      out.sink,
      o.signal,
    );
    if (res.code !== 0) {
      throw new SetupError("install", `pip install failed: ${installFailureCause("pip", out.text())}`);
    }
  }

  async freeze(python: string, signal?: AbortSignal) {
    const res = await this.#executor.capture(
      { argv: [python, "-m", "pip", "freeze", "--disable-pip-version-check"] },
      signal,
    );
    if (res.code !== 0) throw new SetupError("install", `pip freeze failed: ${res.stderr.trim()}`);
    return res.stdout.split("\n").map((l) => l.trim()).filter((l) => l && !l.includes("clearml-agent"));
  }
}

class UvInstaller implements Installer {
  readonly kind = "uv";
  readonly binary: string;
  #executor: Executor;
  #uv: string;
  constructor(executor: Executor, uv: string) {
    this.#executor = executor;
    this.#uv = uv;
    this.binary = uv;
  }

  async createVenv(basePython: string, dir: string, systemSitePackages: boolean, signal?: AbortSignal) {
    const argv = [
      this.#uv,
      "venv",
      "--quiet",
      "--python",
      basePython,
      ...(systemSitePackages ? ["--system-site-packages"] : []),
      dir,
    ];
    const res = await this.#executor.capture({ argv, env: { UV_PYTHON_DOWNLOADS: "never" } }, signal);
    if (res.code !== 0) {
      throw new SetupError(
        "env",
        `Cannot create a venv with "${basePython}": ${installFailureCause("uv", res.stderr)}`,
      );
    }
  }

  async install(o: InstallOptions) {
    const argv = [this.#uv, "pip", "install", "--python", o.python, "-r", o.file];
    for (const url of o.extraIndexUrls) argv.push("--extra-index-url", url);
    argv.push(...o.extraFlags);
    const out = collectOutput(o.output);
    const env = { ...o.env, PYTHONPATH: undefined, UV_PYTHON_DOWNLOADS: "never", VIRTUAL_ENV: undefined };
    const res = await this.#executor.run({ argv, cwd: o.cwd, env }, out.sink, o.signal);
    if (res.code !== 0) {
      throw new SetupError("install", `uv pip install failed: ${installFailureCause("uv", out.text())}`);
    }
  }

  async freeze(python: string, signal?: AbortSignal) {
    const res = await this.#executor.capture({ argv: [this.#uv, "pip", "freeze", "--python", python] }, signal);
    if (res.code !== 0) throw new SetupError("install", `uv pip freeze failed: ${res.stderr.trim()}`);
    return res.stdout.split("\n").map((l) => l.trim()).filter((l) => l && !l.includes("clearml-agent"));
  }
}

function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Options of `resolveInstaller`. */
export interface ResolveInstallerOptions {
  /** `agent.package_manager.type`. */
  type: string;
  executor: Executor;
  /** Tools folder where uv is installed on demand. */
  toolsDir: string;
  /** Interpreter whose pip installs uv. */
  systemPython: string;
  say: (line: string) => void;
  path?: string;
  /** `uv_version` (uv) or `poetry_version` (poetry): a pinned tool is installed into its own folder. */
  version?: string;
  signal?: AbortSignal;
}

/** The folder name of a tool in the tools folder: `uv`, or `uv-0.4.30` for a pinned version. */
export function toolDirName(name: string, version: string | undefined): string {
  const v = (version ?? "").trim();
  return v ? `${name}-${v.replace(/[^A-Za-z0-9.]+/g, "_")}` : name;
}

/** The pip requirement of a tool at `version`: `uv`, `uv==0.4.30` or `uv>=0.4,<0.5`. */
export function toolRequirement(name: string, version: string | undefined): string {
  const v = (version ?? "").trim();
  if (!v) return name;
  return /^\d/.test(v) ? `${name}==${v}` : `${name}${v}`;
}

/** Find `uv` in the tools folder, or (no version pinned) on PATH; undefined when absent. */
export function findUv(toolsDir: string, path = Deno.env.get("PATH") ?? "", version?: string): string | undefined {
  const local = join(toolsDir, toolDirName("uv", version), "bin", "uv");
  try {
    if (Deno.statSync(local).isFile) return local;
  } catch {
    // not installed here
  }
  return version?.trim() ? undefined : findOnPath("uv", path);
}

/** What `installTool` installs. */
export interface ToolSpec {
  /** The PyPI project. */
  name: string;
  version?: string;
  /** A venv (tools with dependencies that run as `<dir>/bin/python -m name`) or a `pip --target` folder. */
  venv: boolean;
  /** The folder's name in the tools folder (default: `toolDirName(name, version)`). */
  dirName?: string;
}

/**
 * Install a tool from PyPI into `toolsDir/<name>[-<version>]` with the system interpreter's pip, built aside and
 * renamed in when complete; resolves to its folder.
 */
export async function installTool(o: ResolveInstallerOptions, tool: ToolSpec): Promise<string> {
  await Deno.mkdir(o.toolsDir, { recursive: true });
  const final = join(o.toolsDir, tool.dirName ?? toolDirName(tool.name, tool.version));
  const tmp = `${final}._tmp.${crypto.randomUUID().slice(0, 8)}`;
  const requirement = toolRequirement(tool.name, tool.version);
  o.say(`${tool.name} not found: installing ${requirement} into "${final}"`);
  const env = { PYTHONPATH: undefined, PIP_USER: "0" };
  const pipArgs = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet"];
  try {
    let res;
    if (tool.venv) {
      res = await o.executor.capture({ argv: [o.systemPython, "-m", "venv", tmp], env }, o.signal);
      if (res.code === 0) {
        res = await o.executor.capture({ argv: [join(tmp, "bin", "python"), ...pipArgs, requirement], env }, o.signal);
      }
    } else {
      res = await o.executor.capture(
        { argv: [o.systemPython, ...pipArgs, "--target", tmp, requirement], env },
        o.signal,
      );
    }
    if (res.code !== 0) {
      throw new SetupError("env", `Cannot install ${requirement}: ${installFailureCause("pip", res.stderr)}`);
    }
    // Another agent may have installed it meanwhile: then its copy stays and ours is removed below.
    await Deno.rename(tmp, final).catch(() => {});
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  return final;
}

async function installUv(o: ResolveInstallerOptions): Promise<string> {
  await installTool(o, { name: "uv", version: o.version, venv: false });
  const uv = findUv(o.toolsDir, "", o.version);
  if (!uv) throw new SetupError("env", `Cannot install uv: no "uv" binary in "${o.toolsDir}"`);
  return uv;
}

/**
 * The installer for `type`: `pip`, `uv`, or `poetry` (whose projects `lock_project.ts` syncs; requirement sets
 * and its priority/post packages go through pip). conda is not built: no conda client can be installed from the
 * registries this agent is tested against (docs/python_environments.md).
 */
export async function resolveInstaller(o: ResolveInstallerOptions): Promise<Installer> {
  const type = (o.type || "pip").toLowerCase();
  if (type === "pip" || type === "poetry") return new PipInstaller(o.executor);
  if (type === "uv") return new UvInstaller(o.executor, findUv(o.toolsDir, o.path, o.version) ?? await installUv(o));
  if (type === "conda") {
    throw new SetupError(
      "env",
      'not implemented yet: conda (agent.package_manager.type "conda"; use pip, uv or poetry)',
    );
  }
  throw new SetupError(
    "env",
    `Unknown package manager "${type}" (agent.package_manager.type): use pip, uv, poetry or none`,
  );
}
