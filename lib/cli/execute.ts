/**
 * `clearml-agent execute --id TASK`: run one task in this process (venv mode) — the command the daemon runs per
 * task with `--disable-monitoring`. Output goes to stdout/stderr; without `--disable-monitoring` it is also sent
 * to the server (through the task's on-disk log spool) and the final status is set. The exit code is the task's
 * (1 with one error line when the task could not run). `--full-monitoring` runs the task as a one-task daemon;
 * `--docker [IMAGE [ARGS...]]` does the same with the run in a container (docker mode,
 * `executors/docker/task_container.ts`).
 * `--standalone-mode` and `CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL` / `CLEARML_AGENT_SKIP_PIP_VENV_INSTALL` /
 * `agent.package_manager.type: none` run the task on an interpreter as it is (image mode: no venv, no installs);
 * `CLEARML_AGENT_FORCE_CODE_DIR` names a folder that already holds the code (no clone).
 *
 * Under a daemon (`CLEARML_AGENT_EXIT_INFO` set) the run's end — the task's exit code, the signal that killed it,
 * or the setup failure — is written to that file for the daemon's final status.
 *
 * @module
 */

import { join } from "node:path";
import type { ExecuteOptions, GlobalOptions } from "./args_types.ts";
import { formatError } from "./errors.ts";
import { dockerMode } from "./_docker_setup.ts";
import { apiClientFor, expander, gpuSelection, loadAgentConfig } from "./_agent_setup.ts";
import { applyConfigSections } from "../config/config_sections.ts";
import type { ApiClient } from "../api/client.ts";
import type { LoadedConfig } from "../config/load.ts";
import { addLogEvents } from "../api/events.ts";
import { RETRY } from "../api/retry_policy.ts";
import { resolveExecuteTaskId } from "../task/resolve.ts";
import { normalizeCudaVersion } from "../stats/cuda_version.ts";
import { NvidiaSmiSampler } from "../stats/gpu_sampler.ts";
import { VenvExecutor } from "../../executors/venv.ts";
import { type ExecuteResult, executeTask } from "../setup/execute.ts";
import { imageModeOf } from "../setup/python/python_env.ts";
import { EXIT_INFO_ENV, writeExitInfo } from "../process/exit_status.ts";
import { TaskLog } from "../job/task_log.ts";
import { runOneTask } from "../worker/one_task.ts";
import { installStopSignals } from "../worker/daemon_process.ts";
import { envText } from "../clearml_env.ts";

/**
 * The CUDA version (§10.3): configuration / `CUDA_VERSION` variables first, else the driver's from one
 * `nvidia-smi -q -x` run (nothing is run when there is no nvidia-smi); `0` on CPU.
 */
async function cudaVersion(configured: string | undefined, cpuOnly: boolean): Promise<string> {
  if (cpuOnly) return "0";
  if (configured) return normalizeCudaVersion(configured);
  const detected = await new NvidiaSmiSampler({ warn: () => {} }).driverCudaVersion().catch(() => null);
  return detected ?? "0";
}

/** Run `execute`; resolves to the exit code. */
export async function runExecuteCommand(global: GlobalOptions, options: ExecuteOptions): Promise<number> {
  const loaded = loadAgentConfig(global.configFile);
  const config = loaded.typed;
  const expand = expander();
  const home = Deno.env.get("HOME") ?? "/root";
  const workerId = config.agent.worker_id || envText("CLEARML_WORKER_ID") || config.agent.worker_name;
  const client = apiClientFor(config, workerId);
  // As a worker starting: the `environment {}` / `files {}` sections, before anything runs.
  const applied = await applyConfigSections(loaded.tree, config, expand);
  if (options.fullMonitoring || options.docker) {
    for (const line of applied) console.log(line);
    return await fullMonitoring(global, options, client, loaded);
  }
  const exitInfo = Deno.env.get(EXIT_INFO_ENV) || undefined;
  Deno.env.delete(EXIT_INFO_ENV); // for this run only: not for the task's processes
  let taskId = options.id;
  let log: TaskLog | undefined;
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    taskId = await resolveExecuteTaskId(client, options.id);
    log = TaskLog.open({
      taskId,
      workerId,
      upload: options.disableMonitoring
        ? undefined
        : async (events, signal) =>
          void await addLogEvents(client, events, { retry: RETRY.logs, signal, timeoutMs: 30_000 }),
      spoolRoot: join(expand(config.agent.state_dir), "spool"),
      logFile: options.logFile,
      suppressCarriageReturn: config.agent.suppress_carriage_return,
    });
    for (const line of applied) log.info(line);
    const result: ExecuteResult = await executeTask({
      client,
      taskId,
      config,
      tree: loaded.tree,
      workerId,
      executor: new VenvExecutor({ graceSec: config.agent.abort_grace_s }),
      log,
      expand,
      disableMonitoring: options.disableMonitoring,
      // Under a daemon (`--disable-monitoring`, an exit-info file), the daemon splits, masks and sends the output.
      directOutput: options.disableMonitoring && exitInfo !== undefined && !options.logFile,
      requireQueue: options.requireQueue,
      clone: options.clone,
      standalone: options.standaloneMode,
      optimization: options.optimization,
      logLevel: options.logLevel,
      gpus: options.gpus,
      cpuOnly: options.cpuOnly,
      cuda: await cudaVersion(config.agent.cuda_version, options.cpuOnly),
      toolsDir: envText("CLEARML_AGENT_TOOLS_DIR") ?? join(home, ".clearml", "tools"),
      keepRunDir: global.debug,
      reportSetupFailure: exitInfo === undefined,
      claimed: exitInfo !== undefined,
      signal: controller.signal,
      imageMode: imageModeOf(config, Deno.env.toObject(), options.standaloneMode),
      forceCodeDir: envText("CLEARML_AGENT_FORCE_CODE_DIR"),
      containerImage: inContainer() ? envText("CLEARML_DOCKER_IMAGE") : undefined,
    });
    if (exitInfo) {
      await writeExitInfo(exitInfo, {
        exitCode: result.exitCode,
        signalNumber: result.signalNumber,
        setupFailure: result.setupFailed ? result.reason : undefined,
      });
    }
    if (!(await log.close())) {
      console.error(formatError(new Error(`${log.pending} log lines could not be sent; kept in "${log.spoolDir}"`)));
    }
    const ranAndFailed = /^(worker execution exit code|killed by signal|user abort)/.test(result.reason ?? "");
    if (result.reason && result.exitCode !== 0 && !ranAndFailed) {
      console.error(formatError(new Error(result.reason)));
    }
    return result.exitCode;
  } catch (err) {
    // The task could not even start (unknown task, server unreachable): the daemon reports it as a setup failure.
    if (exitInfo) {
      await writeExitInfo(exitInfo, { exitCode: 1, setupFailure: formatError(err).replace(/^[^:]+: error: /, "") });
    }
    throw err;
  } finally {
    await log?.close({ timeoutMs: 1 }).catch(() => {});
    Deno.removeSignalListener("SIGTERM", onSignal);
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

/** True inside a Docker container (the engine creates `/.dockerenv`). */
function inContainer(): boolean {
  try {
    Deno.statSync("/.dockerenv");
    return true;
  } catch {
    return false;
  }
}

/** `--full-monitoring`, and `--docker` (the same, with the run in a container). */
async function fullMonitoring(
  global: GlobalOptions,
  options: ExecuteOptions,
  client: ApiClient,
  loaded: LoadedConfig,
): Promise<number> {
  const config = loaded.typed;
  const gpus = gpuSelection(options);
  const say = (line: string) => console.log(line);
  const docker = options.docker
    ? await dockerMode({
      loaded,
      expand: expander(),
      docker: options.docker,
      visibleDevices: gpus.visibleDevices,
      standalone: options.standaloneMode,
      say,
    })
    : undefined;
  const signals = installStopSignals(say);
  // A slot id is generated unless CLEARML_WORKER_ID names the worker (reference §6.3).
  const explicit = envText("CLEARML_WORKER_ID");
  try {
    return await runOneTask({
      client,
      config,
      expand: expander(),
      taskId: await resolveExecuteTaskId(client, options.id),
      spec: {
        workerName: config.agent.worker_name,
        workerId: explicit,
        visibleDevices: gpus.visibleDevices,
        launch: { server: config.api.api_server ?? config.api.host ?? "", uid: Deno.uid(), queues: [] },
      },
      globalArgs: [
        ...(global.configFile ? ["--config-file", global.configFile] : []),
        ...(global.debug ? ["--debug"] : []),
      ],
      executeArgs: [
        ...Array(options.optimization).fill("-O"),
        ...(options.cpuOnly ? ["--cpu-only"] : options.gpus ? ["--gpus", options.gpus] : []),
      ],
      childEnv: gpus.env,
      signals,
      say,
      docker,
    });
  } finally {
    signals.dispose();
  }
}
