/**
 * One task's run in this process (`clearml-agent execute --id T`): fetch the task, mark it started, set up code
 * and Python environment, write back the frozen requirements, run the entry point with the task's environment,
 * stream its output, and set the final status. Setup failures end the task `failed` with a one-line reason that
 * names the phase's cause; the task's own exit code is returned (and becomes the process's exit code).
 *
 * @module
 */

import { join } from "node:path";
import type { ApiClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import * as tasks from "../api/tasks.ts";
import type { Task } from "../api/types.ts";
import type { AgentConfig } from "../config/config_schema.ts";
import { type Executor, SetupError } from "../../executors/executor.ts";
import { setupCode } from "./code/code_setup.ts";
import { PhaseTimer } from "./phases.ts";
import { type ImageMode, setupPythonEnv } from "./python/python_env.ts";
import { buildRunCommand, scriptDir } from "./run_command.ts";
import { taskEnvironment, writeTaskConfig } from "./task_env.ts";
import { splitTaskConfig } from "../config/task_secrets.ts";
import { makeRunFolder, sweepDeadRuns } from "../process/run_folders.ts";
import type { ConfigTree } from "../config/merge.ts";
import { argsFromHyperparams, parseExecutionInfo, wantsArgsOnCommandLine } from "./task_info.ts";
import type { TaskLog } from "../job/task_log.ts";
import { finalStatusOf, type RunEnd, sendFinalStatus } from "../job/final_status.ts";
import { signalNumber } from "../process/exit_status.ts";

/** Options of `executeTask`. */
export interface ExecuteTaskOptions {
  client: ApiClient;
  taskId: string;
  config: AgentConfig;
  /** The effective configuration tree, written for the task (0600). */
  tree: unknown;
  workerId: string;
  executor: Executor;
  log: TaskLog;
  /** Expand `~` and `$VARS` in configured paths. */
  expand: (path: string) => string;
  disableMonitoring: boolean;
  /** The task writes straight to this process's output (a daemon reads it from a file; see `executor.ts`). */
  directOutput?: boolean;
  requireQueue: boolean;
  clone: boolean;
  standalone: boolean;
  optimization: number;
  logLevel: string;
  gpus?: string;
  cpuOnly: boolean;
  /** CUDA version for the venv cache key (`0` on CPU). */
  cuda: string;
  /** Where uv is installed on demand. */
  toolsDir: string;
  /** Keep the run folder (debug). */
  keepRunDir?: boolean;
  /**
   * Mark the task failed when setup fails (default true). The daemon runs its child with `false`: it reports the
   * failure itself, from the child's exit info, as `setup failure: <why>`.
   */
  reportSetupFailure?: boolean;
  /** The daemon already claimed the task (`tasks.started`): skip the dequeue. */
  claimed?: boolean;
  signal?: AbortSignal;
  /** Image mode (no venv, no installs): `imageModeOf()`. */
  imageMode?: ImageMode;
  /** `CLEARML_AGENT_FORCE_CODE_DIR`. */
  forceCodeDir?: string;
  /** The image this runs in (docker mode), for the venv cache key. */
  containerImage?: string;
}

/** How the run ended. */
export interface ExecuteResult {
  exitCode: number;
  /** The one-line reason when the task could not run. */
  reason?: string;
  /** The task that ran (the clone with `--clone`). */
  taskId: string;
  /** The signal number that ended the task process, if one did. */
  signalNumber?: number;
  /** True when environment setup failed (`reason` says why). */
  setupFailed?: boolean;
}

function changed(workerId: string): string {
  return `Changed by clearml-agent ${workerId}`;
}

async function fetchTask(o: ExecuteTaskOptions): Promise<Task> {
  try {
    return await tasks.getTask(o.client, o.taskId, { signal: o.signal });
  } catch (err) {
    if (err instanceof ApiError && err.code === 400 && err.subcode === 101) {
      throw new SetupError("fetch", `Could not find task id=${o.taskId} (for host: ${o.client.host})`, { cause: err });
    }
    throw err;
  }
}

/** Run one task; resolves to its exit code (1 with a reason when it could not run). */
export async function executeTask(o: ExecuteTaskOptions): Promise<ExecuteResult> {
  const say = (line: string) => o.log.info(line);
  let task = await fetchTask(o);
  let taskId = task.id;
  if (o.clone) {
    say(`Cloning task id=${taskId}`);
    taskId = await tasks.cloneTask(o.client, taskId, `Clone of ${task.name ?? taskId}`, { signal: o.signal })
      .catch((err) => {
        throw new SetupError("fetch", "Cloning failed", { cause: err });
      });
    say(`Task cloned, new task id=${taskId}`);
    task = await tasks.getTask(o.client, taskId, { signal: o.signal });
  } else if (!o.claimed) {
    const res = await tasks.dequeueTask(o.client, taskId, { signal: o.signal }).catch((err) => {
      if (o.requireQueue) throw err;
      return { updated: 0 };
    });
    if (o.requireQueue && !((res.updated ?? 0) >= 1)) {
      const reason = `Execution required enqueued task, but task id=${taskId} is not queued`;
      await markFailed(o, taskId, reason);
      return { exitCode: 1, reason, taskId };
    }
    if ((res.updated ?? 0) >= 1) {
      await tasks.startedTask(o.client, taskId, {
        force: true,
        status_reason: "starting execution soon",
        status_message: "",
      }, { signal: o.signal });
    }
  }
  // Under a daemon the task is claimed already; a forced status change here could also overwrite the server's
  // "stopping" abort handshake before the daemon sees it.
  if (!o.claimed) {
    await tasks.startedTask(o.client, taskId, {
      force: true,
      status_reason: "worker started execution",
      status_message: changed(o.workerId),
    }, { signal: o.signal });
  }

  const phases = new PhaseTimer();
  const cleanups: (() => Promise<void>)[] = [];
  // The run folder (the task's configuration file among others) goes with this run; leftovers of runs whose
  // `execute` was killed go now.
  const runsBase = join(o.expand(o.config.agent.venvs_dir), "runs");
  await sweepDeadRuns(runsBase);
  const runDir = await makeRunFolder(runsBase, "run");
  try {
    return await runPhases(o, task, taskId, phases, runDir, cleanups);
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    say(`ERROR: ${err.message}`);
    if (o.reportSetupFailure !== false) await markFailed(o, taskId, err.message);
    return { exitCode: 1, reason: err.message, taskId, setupFailed: true };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    if (!o.keepRunDir) await Deno.remove(runDir, { recursive: true }).catch(() => {});
  }
}

async function markFailed(o: ExecuteTaskOptions, taskId: string, reason: string): Promise<void> {
  await tasks.failedTask(o.client, taskId, {
    force: true,
    status_reason: reason.slice(0, 1000),
    status_message: changed(o.workerId),
  }).catch((err) => o.log.info(`Warning: could not update task id '${taskId}' status: ${err.message}`, "WARNING"));
}

async function runPhases(
  o: ExecuteTaskOptions,
  task: Task,
  taskId: string,
  phases: PhaseTimer,
  runDir: string,
  cleanups: (() => Promise<void>)[],
): Promise<ExecuteResult> {
  const say = (line: string) => o.log.info(line);
  let info;
  try {
    info = parseExecutionInfo(task);
  } catch (err) {
    throw new SetupError("fetch", `Cannot parse the task's execution info: ${(err as Error).message}`);
  }
  say(
    [
      `Executing task id [${taskId}]:`,
      `repository = ${info.repository}`,
      `branch = ${info.branch}`,
      `version_num = ${info.commit}`,
      `tag = ${info.tag}`,
      `entry_point = ${info.entryPoint}`,
      `working_dir = ${info.workingDir}`,
      "",
    ].join("\n"),
  );
  const output = (chunk: Uint8Array, stream: "stdout" | "stderr") => o.log.output(chunk, stream);
  // What the code and the environment steps share.
  const step = {
    info,
    config: o.config,
    executor: o.executor,
    runDir,
    expand: o.expand,
    phases,
    say,
    signal: o.signal,
    cleanups,
  };
  const code = await setupCode({ ...step, forceCodeDir: o.forceCodeDir });
  // Fail early (before building an environment) when the task cannot start from this checkout.
  scriptDir(code.root, info.workingDir);
  const env = await setupPythonEnv({
    ...step,
    code,
    output,
    cuda: o.cuda,
    toolsDir: o.toolsDir,
    imageMode: o.imageMode,
    containerImage: o.containerImage,
  });

  await phases.run("start", async () => {
    if (env.frozen) await writeBackRequirements(o, task, taskId, env.frozen, env.sourceText);
  });
  const command = await phases.run("start", async () => {
    const args = wantsArgsOnCommandLine(task) ? argsFromHyperparams(task) : [];
    // Secrets and `environment {}` go to the task by environment, never into the file.
    const split = splitTaskConfig(o.tree as ConfigTree, o.config);
    const configFile = await writeTaskConfig(split.tree, runDir);
    const cwd = scriptDir(code.root, info.workingDir);
    const entryDir = join(cwd, info.entryPoint.startsWith("-") ? "." : info.entryPoint, "..");
    const taskEnv = taskEnvironment({
      taskId,
      workerId: o.workerId,
      configFile,
      logLevel: o.logLevel,
      venvDir: env.venvDir,
      pythonPath: o.config.agent.force_git_root_python_path ? [code.root] : [cwd, entryDir],
      gpus: o.gpus,
      cpuOnly: o.cpuOnly,
      base: Deno.env.toObject(),
    });
    Object.assign(taskEnv, split.env);
    const cmd = buildRunCommand({
      info,
      codeRoot: code.root,
      python: env.python,
      optimization: o.optimization,
      args,
      shell: Deno.env.get("SHELL"),
      env: { ...Deno.env.toObject(), ...taskEnv },
    });
    const runtime: Record<string, unknown> = {
      ...(task.runtime ?? {}),
      _exec_agent_hostname: hostname(),
      _agent_phase_sec: phases.seconds(),
    };
    const edits: Promise<unknown>[] = [tasks.editTask(o.client, taskId, { runtime }, { signal: o.signal })];
    if (code.commit && !info.commit) {
      edits.push(tasks.editTask(o.client, taskId, { script: { version_num: code.commit } }, { version: "2.5" }));
    }
    if (!o.claimed) {
      edits.push(tasks.startedTask(o.client, taskId, {
        force: true,
        status_reason: "worker starting task execution",
        status_message: changed(o.workerId),
      }));
    }
    await Promise.all(edits);
    return { ...cmd, env: taskEnv };
  });
  say(`Setup timings: ${phases.summary()}`);
  say(`Running task id [${taskId}]:\n[${command.cwd}]$ ${command.argv.join(" ")}\n`);
  say("Environment setup completed successfully\n\nStarting Task Execution:\n");
  const status = await phases.run(
    "run",
    () =>
      o.executor.run(
        { argv: command.argv, cwd: command.cwd, env: command.env, directOutput: o.directOutput },
        (chunk, stream) => o.log.output(chunk, stream),
        o.signal,
      ),
  );
  const exitCode = status.code;
  const signal = status.signal ? signalNumber(status.signal) ?? undefined : undefined;
  // Interrupted here (Ctrl-C, SIGTERM to `execute`): the task was stopped by its user, as the reference reports it.
  const end: RunEnd = { exitCode, signalNumber: signal, stopCause: o.signal?.aborted ? "user abort" : undefined };
  if (!o.disableMonitoring) await finalStatus(o, taskId, end);
  const reason = exitCode === 0 ? undefined : finalStatusOf(end).reason;
  return { exitCode, taskId, reason, signalNumber: signal };
}

async function writeBackRequirements(
  o: ExecuteTaskOptions,
  task: Task,
  taskId: string,
  frozen: string[],
  sourceText: string | undefined,
): Promise<void> {
  const current = task.script?.requirements ?? {};
  const pip = frozen.join("\n");
  const currentPip = Array.isArray(current.pip) ? current.pip.join("\n") : current.pip;
  if (currentPip === pip && current.org_pip !== undefined) return;
  // As the reference: the frozen packages as a list of lines, the original text kept in `org_pip`.
  const requirements: Record<string, unknown> = { ...current, pip: frozen };
  if (current.org_pip === undefined || current.org_pip === null) requirements.org_pip = sourceText ?? currentPip ?? "";
  await tasks.setRequirements(o.client, taskId, requirements, { signal: o.signal });
}

async function finalStatus(o: ExecuteTaskOptions, taskId: string, end: RunEnd): Promise<void> {
  const status = finalStatusOf(end);
  o.log.info(status.logLine, status.level);
  const warning = await sendFinalStatus(o.client, taskId, status, { workerId: o.workerId });
  if (warning) o.log.info(warning, "WARNING");
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}
