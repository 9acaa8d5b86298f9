/**
 * Lock-file projects (agent-reference §6.7 steps 1–2): with `type: poetry` a repository holding `pyproject.toml`
 * is installed with `poetry install` (from its `poetry.lock`), and with `type: uv` a repository holding
 * `pyproject.toml` + `uv.lock` is synced with `uv sync --locked`; the task's own package list is then ignored.
 * Both go into the task's venv (created as usual, so the venv cache can hold it), looked for in the repository
 * root, or in the working folder with `poetry_files_from_repo_working_dir` / `uv_files_from_repo_working_dir`.
 * poetry is installed on demand into the tools folder at `poetry_version`, as uv is at `uv_version`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join, relative, resolve } from "node:path";
import { type Executor, type OutputSink, SetupError } from "../../../executors/executor.ts";
import type { AgentConfig } from "../../config/config_schema.ts";
import { shlexSplit } from "../../config/shlex.ts";
import {
  collectOutput,
  installFailureCause,
  installTool,
  type ResolveInstallerOptions,
  toolDirName,
} from "./installer.ts";

/** A repository project installed from its lock file. */
export interface LockProject {
  manager: "poetry" | "uv";
  /** The folder holding `pyproject.toml`. */
  dir: string;
  /** The lock file (absent for a poetry project without one: poetry resolves and writes it). */
  lockFile?: string;
  /** sha256 of `pyproject.toml` and the lock file: part of the venv cache key. */
  hash: string;
}

const TRUE = /^(1|true|yes|y|on|t)$/i;

function readOrUndefined(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The lock-file project of a checkout, if the package manager uses one: `poetry` (or `CLEARML_AGENT_FORCE_POETRY`)
 * needs `pyproject.toml`; `uv` (or `CLEARML_AGENT_FORCE_UV`) needs `pyproject.toml` and `uv.lock`.
 */
export function findLockProject(
  config: AgentConfig,
  root: string,
  workingDir: string,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): LockProject | undefined {
  const pm = config.agent.package_manager;
  const type = (pm.type || "pip").toLowerCase();
  const poetry = type === "poetry" || TRUE.test(env.CLEARML_AGENT_FORCE_POETRY ?? "");
  const uv = !poetry && (type === "uv" || TRUE.test(env.CLEARML_AGENT_FORCE_UV ?? ""));
  if (!poetry && !uv) return undefined;
  const fromWorkingDir = poetry ? pm.poetry_files_from_repo_working_dir : pm.uv_files_from_repo_working_dir;
  const dir = fromWorkingDir ? resolve(root, workingDir || ".") : root;
  const pyproject = readOrUndefined(join(dir, "pyproject.toml"));
  if (pyproject === undefined) return undefined;
  const lockFile = join(dir, poetry ? "poetry.lock" : "uv.lock");
  const lock = readOrUndefined(lockFile);
  if (uv && lock === undefined) return undefined;
  const hash = createHash("sha256").update(pyproject).update("\0").update(lock ?? "").digest("hex");
  return { manager: poetry ? "poetry" : "uv", dir, lockFile: lock === undefined ? undefined : lockFile, hash };
}

/** Options of `syncLockProject`. */
export interface SyncOptions {
  project: LockProject;
  config: AgentConfig;
  /** The venv to install into (already created). */
  venvDir: string;
  /** uv's binary (uv projects). */
  uv?: string;
  /** Where poetry is installed on demand (poetry projects). */
  tools: ResolveInstallerOptions;
  executor: Executor;
  /** The repository root (file names in messages are relative to it). */
  root: string;
  env: Record<string, string>;
  output: OutputSink;
  say: (line: string) => void;
  signal?: AbortSignal;
}

/** The tools-folder name of poetry at `version` in a venv of `systemPython`. */
export function poetryDirName(version: string | undefined, systemPython: string): string {
  let real = systemPython;
  try {
    real = Deno.realPathSync(systemPython);
  } catch {
    // not on this file system (a container's): its path as given
  }
  const interpreter = createHash("sha256").update(real).digest("hex").slice(0, 8);
  return `${toolDirName("poetry", version)}.py-${interpreter}`;
}

/**
 * The command that runs poetry: the tools folder's copy at `poetry_version`, else one on PATH (no version pinned).
 * The copy is a venv of the interpreter that made it, so its folder is named after that interpreter too (the tools
 * folder is shared with task containers, whose interpreters live elsewhere).
 */
async function poetryCommand(o: SyncOptions): Promise<string[]> {
  const version = o.config.agent.package_manager.poetry_version;
  const dirName = poetryDirName(version, o.tools.systemPython);
  const python = join(o.tools.toolsDir, dirName, "bin", "python");
  const inTools = () => Deno.stat(python).then(() => true, () => false);
  if (await inTools()) return [python, "-m", "poetry"];
  if (!version?.trim()) {
    const onPath = await o.executor.capture({ argv: ["poetry", "--version"] }, o.signal).catch(() => undefined);
    if (onPath?.code === 0) return ["poetry"];
  }
  await installTool(o.tools, { name: "poetry", version, venv: true, dirName });
  return [python, "-m", "poetry"];
}

/**
 * Install the project's locked dependencies into `venvDir`: `poetry install -n [poetry_install_extra_args]`, or
 * `uv sync --locked [uv_sync_extra_args]`. A failure throws one line naming the lock file and the tool's error.
 */
export async function syncLockProject(o: SyncOptions): Promise<void> {
  const pm = o.config.agent.package_manager;
  const base = { ...o.env, PYTHONPATH: undefined, VIRTUAL_ENV: o.venvDir };
  let argv: string[];
  let env: Record<string, string | undefined>;
  if (o.project.manager === "poetry") {
    o.say("Poetry Enabled: Ignoring requested python packages, using repository poetry lock file!");
    const extra = (pm.poetry_install_extra_args ?? []).flatMap((a) => shlexSplit(a));
    argv = [...await poetryCommand(o), "install", "-n", ...extra];
    // The venv is ours: poetry must neither create another nor write `poetry.toml` into the checkout.
    env = { ...base, POETRY_VIRTUALENVS_CREATE: "false", POETRY_VIRTUALENVS_IN_PROJECT: "false" };
  } else {
    o.say("uv Enabled: Ignoring requested python packages, using repository uv lock file!");
    const extra = (pm.uv_sync_extra_args ?? []).flatMap((a) => shlexSplit(a));
    argv = [o.uv!, "sync", "--locked", "--python", join(o.venvDir, "bin", "python"), ...extra];
    env = { ...base, UV_PROJECT_ENVIRONMENT: o.venvDir, UV_PYTHON_DOWNLOADS: "never" };
  }
  const out = collectOutput(o.output);
  const res = await o.executor.run({ argv, cwd: o.project.dir, env }, out.sink, o.signal);
  if (res.code !== 0) {
    const file = relative(o.root, o.project.lockFile ?? join(o.project.dir, "pyproject.toml")) || "pyproject.toml";
    const tool = o.project.manager === "poetry" ? "poetry install" : "uv sync";
    throw new SetupError("install", `${tool} failed for "${file}": ${installFailureCause(tool, out.text())}`);
  }
}

/** Create a venv without pip for a poetry project (poetry installs by itself; ensurepip is most of a venv's cost). */
export async function createPoetryVenv(
  executor: Executor,
  basePython: string,
  dir: string,
  systemSitePackages: boolean,
  signal?: AbortSignal,
): Promise<void> {
  const argv = [
    basePython,
    "-m",
    "venv",
    "--without-pip",
    ...(systemSitePackages ? ["--system-site-packages"] : []),
    dir,
  ];
  const res = await executor.capture({ argv }, signal);
  if (res.code !== 0) throw new SetupError("env", `Cannot create a venv with "${basePython}": ${res.stderr.trim()}`);
}

// `pip freeze` from the installed distributions' metadata, for a venv without pip: `name==version`, or
// `name @ URL` for a distribution installed from a URL or folder (PEP 610 direct_url.json).
const FREEZE_SCRIPT = `
import importlib.metadata as m, json
seen = set()
for d in sorted(m.distributions(), key=lambda d: (d.metadata["Name"] or "").lower()):
    name = d.metadata["Name"]
    if not name or name.lower() in seen:
        continue
    seen.add(name.lower())
    url = json.loads(d.read_text("direct_url.json") or "{}").get("url")
    print(f"{name} @ {url}" if url else f"{name}=={d.version}")
`;

/** The frozen requirement lines of a venv without pip. */
export async function freezeFromMetadata(executor: Executor, python: string, signal?: AbortSignal): Promise<string[]> {
  const res = await executor.capture({ argv: [python, "-c", FREEZE_SCRIPT], env: { PYTHONPATH: undefined } }, signal);
  if (res.code !== 0) throw new SetupError("install", `Cannot list the installed packages: ${res.stderr.trim()}`);
  return res.stdout.split("\n").map((l) => l.trim()).filter((l) => l && !l.includes("clearml-agent"));
}
