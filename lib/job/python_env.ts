/**
 * The task's Python environment: choose the interpreter, work out the requirement set (the task's packages, or
 * the repository's `requirements.txt`), then reuse a cached venv for that set or build one aside (create,
 * install, freeze) and add it to the cache.
 *
 * @module
 */

import { join } from "node:path";
import { type Executor, SetupError } from "../../executors/executor.ts";
import type { AgentConfig } from "../config/config_schema.ts";
import { shlexSplit } from "../config/shlex.ts";
import { findPython, type PythonInfo } from "./python.ts";
import { type Installer, resolveInstaller } from "./installer.ts";
import {
  normalizedSet,
  parseRequirements,
  repoRequirementsFiles,
  type RequirementSet,
  requirementsFileText,
} from "./requirements.ts";
import { pipRequirementsText, requestedPythonVersion } from "./task_info.ts";
import type { ExecutionInfo } from "./task_info.ts";
import { VenvCache, venvCacheKey } from "./venv_cache.ts";
import type { PhaseTimer } from "./phases.ts";
import type { CodeResult } from "./code_setup.ts";
import type { OutputSink } from "../../executors/executor.ts";

/** The environment the task runs in. */
export interface PythonEnv {
  /** The venv folder; empty in image mode (the interpreter runs as it is, no venv). */
  venvDir: string;
  /** The venv's interpreter. */
  python: string;
  base: PythonInfo;
  /** `pip freeze` of the venv (undefined when nothing was installed). */
  frozen?: string[];
  /** The requirement text the set came from (for `org_pip`). */
  sourceText?: string;
  /** True when the venv came from the cache. */
  cached: boolean;
}

/** Options of `setupPythonEnv`. */
export interface PythonEnvOptions {
  info: ExecutionInfo;
  code: CodeResult;
  config: AgentConfig;
  executor: Executor;
  runDir: string;
  expand: (path: string) => string;
  phases: PhaseTimer;
  say: (line: string) => void;
  output: OutputSink;
  /** CUDA version for the cache key (`0` on CPU). */
  cuda: string;
  /** Folder uv is installed into on demand. */
  toolsDir: string;
  /** Release functions to run at the end (venv in-use marker). */
  cleanups: (() => Promise<void>)[];
  signal?: AbortSignal;
  /** Image mode (`imageModeOf`): no venv and no installs. */
  imageMode?: ImageMode;
  /** The image this runs in (docker mode): part of the venv cache key. */
  containerImage?: string;
}

/** Image mode: the task runs on an interpreter as it is — no venv, no package installs (pre-built images). */
export interface ImageMode {
  /** The interpreter to use (a path); else the one found as usual. */
  python?: string;
  /** What asked for it, for the log. */
  reason: string;
}

const TRUE = /^(1|true|yes|y|on|t)$/i;

/**
 * Whether to run in image mode: `agent.package_manager.type: none`, `--standalone-mode`, or, as the reference,
 * `CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL` (true) or `CLEARML_AGENT_SKIP_PIP_VENV_INSTALL` (true: the interpreter
 * found as usual; a path: that interpreter) — a task asks for it with `-e` in its docker arguments.
 */
export function imageModeOf(
  config: AgentConfig,
  env: Record<string, string | undefined>,
  standalone: boolean,
): ImageMode | undefined {
  const skipVenv = env.CLEARML_AGENT_SKIP_PIP_VENV_INSTALL?.trim() ?? "";
  const python = skipVenv.includes("/") ? skipVenv : undefined;
  if ((config.agent.package_manager.type ?? "").toLowerCase() === "none") {
    return { python, reason: "agent.package_manager.type is none" };
  }
  if (TRUE.test(env.CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL?.trim() ?? "")) {
    return { python, reason: "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL is set" };
  }
  if (python || TRUE.test(skipVenv)) return { python, reason: "CLEARML_AGENT_SKIP_PIP_VENV_INSTALL is set" };
  if (standalone) return { python, reason: "standalone mode" };
  return undefined;
}

const FREEZE_FILE = ".clearml-freeze.txt";

function requirementSource(o: PythonEnvOptions): { text?: string; from: string } {
  const pm = o.config.agent.package_manager;
  const fromRepo = () => {
    if (!o.code.isRepository) return { from: "none" };
    const files = repoRequirementsFiles(o.code.root, o.info.workingDir);
    if (files.length === 0) return { from: "none" };
    o.say(`Trying pip install: ${files[0]}`);
    return { text: Deno.readTextFileSync(files[0]), from: files[0] };
  };
  if (pm.force_repo_requirements_txt) return fromRepo();
  const text = pipRequirementsText(o.info.requirements, pm.force_original_requirements);
  if (text !== undefined) return { text, from: "task" };
  return fromRepo();
}

function parseSet(o: PythonEnvOptions, text: string): RequirementSet {
  try {
    return parseRequirements(text, { baseDir: o.code.isRepository ? o.code.root : undefined });
  } catch (err) {
    throw new SetupError("install", `Cannot read the task's requirements: ${(err as Error).message}`, { cause: err });
  }
}

function extraIndexUrls(config: AgentConfig): string[] {
  const raw = config.agent.package_manager.extra_index_url;
  if (typeof raw === "string") return raw.trim() ? [raw.trim()] : [];
  return Array.isArray(raw) ? raw.map(String).filter(Boolean) : [];
}

async function build(
  o: PythonEnvOptions,
  installer: Installer,
  base: PythonInfo,
  dir: string,
  set: RequirementSet,
): Promise<string[]> {
  const pm = o.config.agent.package_manager;
  await o.phases.run("env", () => installer.createVenv(base.executable, dir, pm.system_site_packages, o.signal));
  const python = join(dir, "bin", "python");
  if (set.lines.length === 0) return [];
  const file = join(o.runDir, "requirements.txt");
  await Deno.writeTextFile(file, requirementsFileText(set));
  const flags = [...(pm.extra_pip_install_flags ?? []).flatMap((f) => shlexSplit(f))];
  if (pm.force_upgrade) flags.push("--upgrade");
  await o.phases.run("install", async () => {
    o.say(`Installing ${set.lines.length} requirement(s) with ${installer.kind}`);
    await installer.install({
      python,
      file,
      cwd: o.code.root,
      extraIndexUrls: extraIndexUrls(o.config),
      extraFlags: flags,
      env: o.code.gitEnv,
      output: o.output,
      signal: o.signal,
    });
  });
  const frozen = await o.phases.run("install", () => installer.freeze(python, o.signal));
  // Index options stay with the frozen list, so that the written-back requirements install again.
  const pinned = [...set.options, ...frozen];
  await Deno.writeTextFile(join(dir, FREEZE_FILE), pinned.join("\n") + "\n");
  return pinned;
}

/** Choose the interpreter and get a venv with the task's requirements. */
export async function setupPythonEnv(o: PythonEnvOptions): Promise<PythonEnv> {
  const a = o.config.agent;
  const pm = a.package_manager;
  const venvsDir = o.expand(a.venvs_dir);
  await Deno.mkdir(venvsDir, { recursive: true });
  const base = await o.phases.run("env", () =>
    findPython({
      // Image mode takes the image's interpreter as it is: no version search.
      requested: o.imageMode || a.ignore_requested_python_version ? undefined : requestedPythonVersion(o.info.binary),
      pythonBinary: o.imageMode ? o.imageMode.python ?? "" : a.python_binary,
      defaultPython: a.default_python,
      cacheFile: join(venvsDir, ".python-interpreters.json"),
      executor: o.executor,
    }));
  o.say(`Python: ${base.executable} (${base.version})`);
  if (o.imageMode) {
    // A given path is kept as it is: a venv's `bin/python` resolves to the base interpreter, but must run as itself.
    const python = o.imageMode.python ?? base.executable;
    o.say(`Image mode (${o.imageMode.reason}): running ${python} as it is, no venv and no installs`);
    return { venvDir: "", python, base, cached: false };
  }
  const source = requirementSource(o);
  const set = source.text === undefined ? { lines: [], options: [], local: false } : parseSet(o, source.text);
  const type = (pm.type || "pip").toLowerCase();
  const keyInput = {
    packageManager: type,
    python: base.version,
    cuda: o.cuda,
    dockerImage: o.containerImage ?? o.info.dockerImage,
    requirements: normalizedSet(set),
    systemSitePackages: pm.system_site_packages,
  };
  const key = venvCacheKey(keyInput);
  const cacheRoot = a.venvs_cache.path ? o.expand(a.venvs_cache.path) : "";
  const cache = cacheRoot && !set.local
    ? new VenvCache({
      root: cacheRoot,
      maxEntries: a.venvs_cache.max_entries,
      freeSpaceThresholdGb: a.venvs_cache.free_space_threshold_gb,
      say: o.say,
    })
    : undefined;
  if (!cacheRoot) {
    o.say(
      "::: Python virtual environment cache is DISABLED. To accelerate spin-up time set " +
        "`agent.venvs_cache.path=~/.clearml/venvs-cache` :::",
    );
  } else if (set.local) o.say("venv cache skipped: the requirements use local paths or editable installs");

  if (cache) {
    const hit = await cache.lookup(key);
    if (hit) {
      o.cleanups.push(await cache.markInUse(key));
      o.say(`::: Using Cached environment ${hit} :::`);
      const frozen = await Deno.readTextFile(join(hit, FREEZE_FILE)).then(
        (t) => t.split("\n").filter(Boolean),
        () => undefined,
      );
      return { venvDir: hit, python: join(hit, "bin", "python"), base, frozen, sourceText: source.text, cached: true };
    }
  }

  const installer = await o.phases.run("env", () =>
    resolveInstaller({
      type,
      executor: o.executor,
      toolsDir: o.toolsDir,
      systemPython: base.executable,
      say: o.say,
      signal: o.signal,
    }));
  const dir = cache ? await cache.buildDir() : join(o.runDir, "venv");
  try {
    const frozen = await build(o, installer, base, dir, set);
    let venvDir = dir;
    if (cache && await cache.makeRoom()) {
      o.say(`Adding venv into cache: ${cache.entryPath(key)}`);
      venvDir = await cache.commit(dir, key);
      o.cleanups.push(await cache.markInUse(key));
      // The frozen list is written back to the task; a later run of it must hit this entry too.
      const frozenSet = normalizedSet(parseRequirements(frozen.join("\n")));
      await cache.addAlias(venvCacheKey({ ...keyInput, requirements: frozenSet }), key);
    } else if (cache) {
      venvDir = join(o.runDir, "venv");
      await Deno.rename(dir, venvDir);
      const { rewritePaths } = await import("./venv_cache.ts");
      await rewritePaths(venvDir, dir, venvDir);
    }
    return { venvDir, python: join(venvDir, "bin", "python"), base, frozen, sourceText: source.text, cached: false };
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
}
