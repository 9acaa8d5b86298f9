/**
 * The task's Python environment: choose the interpreter, work out the requirement set (the task's packages, or
 * the repository's `requirements.txt`), then reuse a cached venv for that set or build one aside (create,
 * install, freeze) and add it to the cache.
 *
 * @module
 */

import { join } from "node:path";
import { SetupError } from "../../../executors/executor.ts";
import type { AgentConfig } from "../../config/config_schema.ts";
import { shlexSplit } from "../../config/shlex.ts";
import { findPython, type PythonInfo } from "./python.ts";
import { type Installer, resolveInstaller, type ResolveInstallerOptions } from "./installer.ts";
import { installRequirementSet, requirementName } from "./install_plan.ts";
import {
  createPoetryVenv,
  findLockProject,
  freezeFromMetadata,
  type LockProject,
  syncLockProject,
} from "./lock_project.ts";
import { resolveTorchIndex, TORCH_PACKAGES } from "./pytorch_index.ts";
import { normalizedSet, parseRequirements, repoRequirementsFiles, type RequirementSet } from "./requirements.ts";
import { pipRequirementsText, requestedPythonVersion } from "../task_info.ts";
import { VenvCache, venvCacheKey } from "./venv_cache.ts";
import type { CodeResult, SetupStep } from "../code/code_setup.ts";
import type { OutputSink } from "../../../executors/executor.ts";

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
export interface PythonEnvOptions extends SetupStep {
  code: CodeResult;
  output: OutputSink;
  /** CUDA version for the cache key (`0` on CPU). */
  cuda: string;
  /** Folder uv is installed into on demand. */
  toolsDir: string;
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

function requirementSource(o: PythonEnvOptions): { text: string | undefined; from: string } {
  const pm = o.config.agent.package_manager;
  const fromRepo = () => {
    if (!o.code.isRepository) return { text: undefined, from: "none" };
    const files = repoRequirementsFiles(o.code.root, o.info.workingDir);
    if (files.length === 0) return { text: undefined, from: "none" };
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

/** `agent.package_manager.extra_index_url` as a list (a string or a list in the configuration). */
export function extraIndexUrls(config: AgentConfig): string[] {
  const raw = config.agent.package_manager.extra_index_url;
  if (typeof raw === "string") return raw.trim() ? [raw.trim()] : [];
  return Array.isArray(raw) ? raw.map(String).filter(Boolean) : [];
}

const INDEX_VARIABLES = ["PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX"];

/** What decides which indexes packages come from: part of the venv cache key. */
function indexKeyParts(config: AgentConfig, set: RequirementSet): string[] {
  const pm = config.agent.package_manager;
  const parts = extraIndexUrls(config);
  for (const name of INDEX_VARIABLES) {
    const value = Deno.env.get(name);
    if (value) parts.push(`${name}=${value}`);
  }
  if (set.lines.some((l) => TORCH_PACKAGES.has(requirementName(l) ?? ""))) {
    const template = pm.torch_nightly ? pm.nightly_extra_index_url_template : pm.extra_index_url_template;
    parts.push(`pytorch=${pm.pytorch_resolve}:${config.agent.cpu_only ? "cpu" : template}`);
  }
  return parts;
}

/** What a venv is built from: a requirement set, or a poetry / uv project's lock file. */
type Source = { kind: "set"; set: RequirementSet } | { kind: "project"; project: LockProject };

function isLocalLine(line: string): boolean {
  return /^-e\s/.test(line) || /(^|@\s*)file:/.test(line) || /^(\.{1,2}\/|\/)/.test(line);
}

async function build(
  o: PythonEnvOptions,
  installer: Installer,
  base: PythonInfo,
  dir: string,
  source: Source,
): Promise<string[]> {
  const pm = o.config.agent.package_manager;
  const poetry = source.kind === "project" && source.project.manager === "poetry";
  await o.phases.run(
    "env",
    () =>
      poetry
        ? createPoetryVenv(o.executor, base.executable, dir, pm.system_site_packages, o.signal)
        : installer.createVenv(base.executable, dir, pm.system_site_packages, o.signal),
  );
  const python = join(dir, "bin", "python");
  let options: string[] = [];
  if (source.kind === "project") {
    await o.phases.run("install", () =>
      syncLockProject({
        project: source.project,
        config: o.config,
        venvDir: dir,
        uv: installer.binary,
        tools: toolOptions(o, base, pm.poetry_version),
        executor: o.executor,
        root: o.code.root,
        env: o.code.gitEnv,
        output: o.output,
        say: o.say,
        signal: o.signal,
      }));
  } else {
    if (source.set.lines.length === 0) return [];
    const torch = await resolveTorchIndex({
      set: source.set,
      config: o.config,
      cuda: o.cuda,
      say: o.say,
      python: base.version,
    });
    const indexes = [...extraIndexUrls(o.config), ...(torch.extraIndexUrl ? [torch.extraIndexUrl] : [])];
    const flags = [...(pm.extra_pip_install_flags ?? []).flatMap((f) => shlexSplit(f))];
    if (pm.force_upgrade) flags.push("--upgrade");
    await o.phases.run("install", () =>
      installRequirementSet({
        installer,
        python,
        set: torch.set,
        config: o.config,
        workDir: o.runDir,
        cwd: o.code.root,
        extraIndexUrls: indexes,
        extraFlags: flags,
        env: o.code.gitEnv,
        output: o.output,
        say: o.say,
        signal: o.signal,
      }).catch((err) => {
        if (!(err instanceof SetupError) || indexes.length === 0) throw err;
        throw new SetupError(err.phase, `${err.message} (extra indexes: ${indexes.join(", ")})`, { cause: err });
      }));
    // Index options stay with the frozen list, so that the written-back requirements install again.
    options = [...torch.set.options, ...(torch.extraIndexUrl ? [`--extra-index-url ${torch.extraIndexUrl}`] : [])];
  }
  const frozen = await o.phases.run(
    "install",
    () => poetry ? freezeFromMetadata(o.executor, python, o.signal) : installer.freeze(python, o.signal),
  );
  const pinned = [...options, ...frozen];
  await Deno.writeTextFile(join(dir, FREEZE_FILE), pinned.join("\n") + "\n");
  return pinned;
}

function toolOptions(o: PythonEnvOptions, base: PythonInfo, version: string | undefined): ResolveInstallerOptions {
  return {
    type: o.config.agent.package_manager.type,
    executor: o.executor,
    toolsDir: o.toolsDir,
    systemPython: base.executable,
    say: o.say,
    version,
    signal: o.signal,
  };
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
  const type = (pm.type || "pip").toLowerCase();
  const project = o.code.isRepository ? findLockProject(o.config, o.code.root, o.info.workingDir) : undefined;
  const source = project ? { text: undefined, from: project.lockFile ?? "pyproject.toml" } : requirementSource(o);
  const set = project || source.text === undefined
    ? { lines: [], options: [], local: false }
    : parseSet(o, source.text);
  const keyInput = {
    packageManager: project ? `${project.manager}-project` : type,
    python: base.version,
    cuda: o.cuda,
    dockerImage: o.containerImage ?? o.info.dockerImage,
    requirements: normalizedSet(set),
    systemSitePackages: pm.system_site_packages,
    indexes: indexKeyParts(o.config, set),
    lockHash: project?.hash ?? "",
  };
  const key = venvCacheKey(keyInput);
  // A poetry project without poetry.lock is resolved afresh each time: nothing to key a cache entry by.
  const uncacheable = set.local || (project !== undefined && project.lockFile === undefined);
  const cacheRoot = a.venvs_cache.path ? o.expand(a.venvs_cache.path) : "";
  const cache = cacheRoot && !uncacheable
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
  else if (uncacheable) o.say("venv cache skipped: the poetry project has no poetry.lock");

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

  const installer = await o.phases.run(
    "env",
    () => resolveInstaller({ ...toolOptions(o, base, pm.uv_version), type: project?.manager ?? type }),
  );
  const dir = cache ? await cache.buildDir() : join(o.runDir, "venv");
  try {
    const frozen = await build(o, installer, base, dir, project ? { kind: "project", project } : { kind: "set", set });
    let venvDir = dir;
    // A project installed into the venv from the checkout (editable) points at this run's folder: not reusable.
    const selfInstalled = project !== undefined && frozen.some(isLocalLine);
    if (cache && selfInstalled) o.say("venv cache skipped: the project installs itself from the checkout");
    if (cache && !selfInstalled && await cache.makeRoom()) {
      o.say(`Adding venv into cache: ${cache.entryPath(key)}`);
      venvDir = await cache.commit(dir, key);
      o.cleanups.push(await cache.markInUse(key));
      // The frozen list is written back to the task; a later run of it must hit this entry too.
      if (!project) {
        const frozenSet = normalizedSet(parseRequirements(frozen.join("\n")));
        await cache.addAlias(venvCacheKey({ ...keyInput, requirements: frozenSet }), key);
      }
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
