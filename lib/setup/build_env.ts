/**
 * `build --id T --target DIR`: a task's environment built into a folder without running it (agent-reference §9):
 * the code checked out (diff applied) into `DIR/task_repository/`, and a venv with the task's requirements at
 * `DIR` itself (`DIR/bin/python`), or, with `installGlobally`, the requirements installed into the chosen system
 * interpreter and no venv. As in the reference, nothing is written back to the task and the venv cache is
 * neither read nor filled (the venv must live at `DIR`).
 *
 * Everything is built in a staging folder next to `DIR` and moved into place at the end (venv paths rewritten),
 * so a failed build leaves no half-made `DIR`.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import type { ApiClient } from "../api/client.ts";
import { getTask } from "../api/tasks.ts";
import type { AgentConfig } from "../config/config_schema.ts";
import { type Executor, type OutputSink, SetupError } from "../../executors/executor.ts";
import { setupCode } from "./code/code_setup.ts";
import { resolveInstaller } from "./python/installer.ts";
import { PhaseTimer } from "./phases.ts";
import { findPython } from "./python/python.ts";
import { installRequirementSet } from "./python/install_plan.ts";
import { extraIndexUrls, setupPythonEnv } from "./python/python_env.ts";
import { resolveTorchIndex } from "./python/pytorch_index.ts";
import { parseRequirements, repoRequirementsFiles } from "./python/requirements.ts";
import { scriptDir } from "./run_command.ts";
import { parseExecutionInfo, pipRequirementsText, requestedPythonVersion } from "./task_info.ts";
import { rewritePaths } from "./python/venv_cache.ts";

/** Options of `buildTaskEnv`. */
export interface BuildEnvOptions {
  client: ApiClient;
  taskId: string;
  config: AgentConfig;
  /** Absolute target folder; must not exist or be empty. */
  target: string;
  /** `--python-version X.Y`: overrides the task's `script.binary`. */
  pythonVersion?: string;
  installGlobally: boolean;
  executor: Executor;
  expand: (path: string) => string;
  say: (line: string) => void;
  output: OutputSink;
  toolsDir: string;
  signal?: AbortSignal;
}

/** What was built. */
export interface BuiltEnv {
  /** The venv (the target), or undefined with `installGlobally`. */
  venvDir?: string;
  /** The interpreter that runs the task. */
  python: string;
  /** Root of the code (the checkout, or the single script's folder). */
  codeRoot: string;
  /** Folder the task runs in. */
  cwd: string;
  entryPoint: string;
  /** `pip freeze` of the environment. */
  frozen: string[];
}

/** Throws `SetupError` unless `target` is absent or an empty folder. */
export async function checkTarget(target: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(target)) {
      throw new SetupError("env", `Target folder "${target}" already exists and is not empty`);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    if (err instanceof Deno.errors.NotADirectory) {
      throw new SetupError("env", `Target "${target}" already exists and is not a folder`);
    }
    throw err;
  }
}

function buildConfig(config: AgentConfig, pythonVersion: string | undefined): AgentConfig {
  const agent = {
    ...config.agent,
    venvs_cache: { ...config.agent.venvs_cache, path: "" },
    ignore_requested_python_version: pythonVersion ? false : config.agent.ignore_requested_python_version,
  };
  return { ...config, agent } as AgentConfig;
}

async function installGlobally(o: BuildEnvOptions, info: ReturnType<typeof parseExecutionInfo>, code: {
  root: string;
  isRepository: boolean;
  gitEnv: Record<string, string>;
}, stagingDir: string): Promise<{ python: string; frozen: string[] }> {
  const a = o.config.agent;
  const base = await findPython({
    requested: o.pythonVersion ?? (a.ignore_requested_python_version ? undefined : requestedPythonVersion(info.binary)),
    pythonBinary: a.python_binary,
    defaultPython: a.default_python,
    executor: o.executor,
  });
  o.say(`Python: ${base.executable} (${base.version})`);
  let text = pipRequirementsText(info.requirements, a.package_manager.force_original_requirements);
  if (text === undefined || a.package_manager.force_repo_requirements_txt) {
    const files = code.isRepository ? repoRequirementsFiles(code.root, info.workingDir) : [];
    text = files.length > 0 ? await Deno.readTextFile(files[0]) : undefined;
  }
  const set = parseRequirements(text ?? "", { baseDir: code.isRepository ? code.root : undefined });
  const installer = await resolveInstaller({
    type: a.package_manager.type,
    version: a.package_manager.uv_version,
    executor: o.executor,
    toolsDir: o.toolsDir,
    systemPython: base.executable,
    say: o.say,
    signal: o.signal,
  });
  if (set.lines.length > 0) {
    o.say(`Installing into ${base.executable}`);
    const torch = await resolveTorchIndex({ set, config: o.config, cuda: "0", say: o.say, python: base.version });
    await installRequirementSet({
      installer,
      python: base.executable,
      set: torch.set,
      config: o.config,
      workDir: stagingDir,
      cwd: code.root,
      extraIndexUrls: [...extraIndexUrls(o.config), ...(torch.extraIndexUrl ? [torch.extraIndexUrl] : [])],
      extraFlags: [],
      env: code.gitEnv,
      output: o.output,
      say: o.say,
      signal: o.signal,
    });
  }
  return { python: base.executable, frozen: await installer.freeze(base.executable, o.signal) };
}

/** Build the task's environment into `o.target`. Throws `SetupError` with a one-line reason. */
export async function buildTaskEnv(o: BuildEnvOptions): Promise<BuiltEnv> {
  await checkTarget(o.target);
  const task = await getTask(o.client, o.taskId, { signal: o.signal });
  const info = parseExecutionInfo(task);
  if (o.pythonVersion) info.binary = `python${o.pythonVersion}`;
  const config = buildConfig(o.config, o.pythonVersion);
  const parent = dirname(o.target);
  await Deno.mkdir(parent, { recursive: true });
  const staging = await Deno.makeTempDir({ dir: parent, prefix: `.${basename(o.target)}.build-` });
  const cleanups: (() => Promise<void>)[] = [];
  const phases = new PhaseTimer();
  // The venv cache is off on purpose here (the venv must live at the target): its "disabled" hint would mislead.
  const say = (line: string) => line.includes("virtual environment cache is DISABLED") ? undefined : o.say(line);
  try {
    // What the code and the environment steps share.
    const step = {
      info,
      config,
      executor: o.executor,
      runDir: staging,
      expand: o.expand,
      phases,
      say,
      signal: o.signal,
      cleanups,
    };
    const code = await setupCode(step);
    scriptDir(code.root, info.workingDir);
    let python: string;
    let frozen: string[];
    let venvDir: string | undefined;
    if (o.installGlobally) {
      ({ python, frozen } = await installGlobally(o, info, code, staging));
      await Deno.mkdir(o.target, { recursive: true });
    } else {
      const env = await setupPythonEnv({ ...step, code, output: o.output, cuda: "0", toolsDir: o.toolsDir });
      frozen = env.frozen ?? [];
      await Deno.remove(o.target).catch(() => {});
      await Deno.rename(env.venvDir, o.target);
      await rewritePaths(o.target, env.venvDir, o.target);
      venvDir = o.target;
      python = join(o.target, "bin", "python");
    }
    const codeDir = join(o.target, "task_repository");
    await Deno.rename(join(staging, "code"), codeDir);
    const codeRoot = join(codeDir, code.root.slice(join(staging, "code").length));
    return {
      venvDir,
      python,
      codeRoot,
      cwd: scriptDir(codeRoot, info.workingDir),
      entryPoint: info.entryPoint,
      frozen,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}
