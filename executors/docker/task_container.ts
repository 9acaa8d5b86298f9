/**
 * The docker launcher of the per-task seam (`executors/task_run.ts`; agent-reference §8): choose the image and
 * arguments, merge and screen the docker arguments, make sure the image is here, write the run's files, and start a
 * container that runs this agent's `execute --disable-monitoring --id T` from the mounted binary (or sources). The
 * result is a `TaskRun`, so `lib/job/runner.ts` streams its output, watches for an abort and stops it exactly as it
 * does a host process.
 * `build --docker` starts the same container with other closing lines (`ContainerJob.finalLines`).
 *
 * Secrets never reach the container's `Cmd` or `Config.Env` (what `docker inspect` shows): the configuration is a
 * 0600 file, every `-e` of the docker arguments goes through the env file (removed once the container started),
 * and the printed `docker run` line is masked (`agent.hide_docker_command_env_vars`).
 *
 * @module
 */

import type { ApiClient } from "../../lib/api/client.ts";
import { RETRY } from "../../lib/api/retry_policy.ts";
import * as tasks from "../../lib/api/tasks.ts";
import type { AgentConfig } from "../../lib/config/config_schema.ts";
import type { ConfigTree } from "../../lib/config/merge.ts";
import { registerSecret } from "../../lib/secrets/redact.ts";
import { looksSecret } from "../../lib/secrets/secret_names.ts";
import { SetupError } from "../executor.ts";
import { ContainerRun } from "./executor.ts";
import { runLabels } from "./cleanup.ts";
import { ensureImage } from "./image.ts";
import { preparedImage } from "./prepared.ts";
import type { Engine, ImageInspect } from "./engine.ts";
import { itemTokens } from "./args.ts";
import {
  type ContainerSpecInput,
  createOptions,
  type GpuAssignment,
  gpuAssignment,
  gpuPlan,
  runCommandLine,
  splitEnv,
} from "./spec.ts";
import { type AgentDocker, chooseContainer, type ContainerChoice } from "./image_select.ts";
import { entryScript, preparationScript } from "./entry_script.ts";
import {
  agentStarted,
  CONTAINER_PATHS,
  containerConfigTree,
  dropEnvFile,
  removeRunFiles,
  type RunFiles,
  writeRunFiles,
} from "./files.ts";
import { splitTaskConfig } from "../../lib/config/task_secrets.ts";
import { hostMountTranslation, stageSelf, taskMounts } from "./mounts.ts";
import type { ContainerSelf } from "./self_command.ts";
import {
  checkGlibc,
  containerName,
  dockerArgs,
  envFileEntries,
  extraLabels,
  innerArgs,
  maskedLine,
  PASSED_ENV,
} from "./container_parts.ts";
import type { TaskRun } from "../task_run.ts";

/** Docker mode, as the daemon (or `execute --docker`) set it up once. */
export interface DockerMode {
  engine: Engine;
  config: AgentConfig;
  /** The effective configuration tree (the container's copy is derived from it). */
  tree: ConfigTree;
  expand: (path: string) => string;
  agent: AgentDocker;
  gpus: GpuAssignment;
  /** This host has NVIDIA GPUs (device requests are made only then). */
  hostHasGpus: boolean;
  /** `--standalone-mode`: no apt bootstrap, the inner `execute` gets `--standalone-mode`. */
  standalone: boolean;
  self: ContainerSelf;
  /** Host folder for the runs' files. */
  runBase: string;
  toolsDir: string;
  /** The agent's environment (`-e NAME`, `$VAR` expansion, `SSH_AUTH_SOCK`, `HOME`). */
  hostEnv: Record<string, string | undefined>;
  /** The CUDA version detected on the host. */
  cuda?: string;
}

/** Options of `startTaskContainer`. */
export interface TaskContainerOptions {
  docker: DockerMode;
  client: ApiClient;
  taskId: string;
  workerId: string;
  /** Options before `execute` (only `--debug` is kept: the container has its own configuration file). */
  globalArgs: string[];
  /** Options after `execute ... --id T` (`-O`, `--cpu-only`; `--gpus` is dropped: the container has its GPUs). */
  executeArgs: string[];
  /** The daemon's variables for its children (worker id, tags). */
  env: Record<string, string | undefined>;
  /** The task log's info line. */
  say: (line: string) => void;
  signal?: AbortSignal;
  /** Another job than running the task (`build --docker`). */
  job?: ContainerJob;
}

/** What a container does instead of `execute` (`build --docker`). */
export interface ContainerJob {
  /** The entry script's closing lines, given the agent's command line inside the container. */
  finalLines: (self: ContainerSelf) => string[];
  /** Files added to the run folder (mounted at `/opt/clearml/run`). */
  files?: Record<string, string>;
  /** Variables added to the container's `Config.Env`. */
  env?: Record<string, string>;
  /** The first log line (instead of "Running Task ... inside docker"). */
  title: (choice: ContainerChoice, args: string) => string;
}

/**
 * A started task container: a `TaskRun` whose output is the container's log stream, whose `exitInfoPath` is on the
 * host, whose `outcome` tells an OOM kill or an entry script that failed before the agent started, and whose
 * `dispose` removes the container and the run's files.
 */
export interface TaskContainer extends TaskRun {
  readonly output: ReadableStream<Uint8Array>;
  /** The container itself (`build --docker` commits it). */
  readonly run: ContainerRun;
  /** The image it runs, as chosen and as the engine describes it. */
  readonly choice: ContainerChoice;
  readonly image: ImageInspect;
  /** The container's `Config.Env` and labels as we set them. */
  readonly spec: ContainerSpecInput;
  readonly files: RunFiles;
}

/**
 * The prepared image (OpenCV's libraries and git installed once, `executors/docker/prepared.ts`) for the task's
 * image, or `undefined` to run on the image itself: standalone mode and `agent.docker_init_bash_script` install
 * nothing, and without `agent.docker_install_opencv_libs` there is at most git to install, which images have.
 */
async function prepareImage(
  d: DockerMode,
  name: string,
  image: ImageInspect,
  o: TaskContainerOptions,
): Promise<string | undefined> {
  const a = d.config.agent;
  const init = (a.docker_init_bash_script ?? []).some((l) => l.trim() !== "");
  if (d.standalone || init || !a.docker_install_opencv_libs) return undefined;
  const script = preparationScript(true);
  const prepared = await preparedImage(d.engine, { base: image, baseName: name, script, say: o.say, signal: o.signal });
  return prepared?.name;
}

/** Choose, prepare and start the task's container. Throws `SetupError` with a one-line reason. */
export async function startTaskContainer(o: TaskContainerOptions): Promise<TaskContainer> {
  const d = o.docker;
  // Retry policy: the client's default (call) — the task cannot start without its container fields.
  const task = await tasks.getTaskFields(o.client, o.taskId, ["container", "execution.docker_cmd"], {
    signal: o.signal,
  })
    .catch((err) => {
      throw new SetupError("fetch", `Cannot read the task's container: ${(err as Error).message}`, { cause: err });
    });
  let choice: ContainerChoice;
  let args;
  let env;
  try {
    choice = chooseContainer(task ?? { container: {} }, d.agent);
    args = dockerArgs({ config: d.config, hostEnv: d.hostEnv, say: o.say }, choice);
    env = splitEnv([...await envFileEntries(args.parsed.envFiles), ...args.parsed.env], d.hostEnv);
  } catch (err) {
    throw new SetupError("docker", (err as Error).message, { cause: err });
  }
  const hidden = d.config.agent.hide_docker_command_env_vars.extra_keys ?? [];
  for (const [name, value] of Object.entries(env.secret)) if (looksSecret(name, hidden)) registerSecret(value);
  const argLine = maskedLine(d.config, itemTokens(args.merged), d.hostEnv);
  o.say(
    o.job?.title(choice, argLine) ??
      `Running Task ${o.taskId} inside ${choice.isDefault ? "default " : ""}docker: ${choice.image} arguments: ` +
        `[${argLine}]`,
  );
  if (args.parsed.gpus) o.say(`Warning: docker argument "--gpus ${args.parsed.gpus}" ignored: the agent assigns GPUs`);
  const image = await ensureImage(d.engine, choice.image, {
    forcePull: d.config.agent.docker_force_pull,
    say: o.say,
    signal: o.signal,
  });
  const prepared = await prepareImage(d, choice.image, image, o);
  const skipFlag = /^(1|true|yes|y|on)$/i.test(
    d.hostEnv.CLEARML_DOCKER_SKIP_GPUS_FLAG ?? d.hostEnv.TRAINS_DOCKER_SKIP_GPUS_FLAG ?? "",
  );
  // The daemon's variables for this run win (a GPU pool may hand each task its own devices).
  const assigned = o.env.NVIDIA_VISIBLE_DEVICES !== undefined ? gpuAssignment(o.env.NVIDIA_VISIBLE_DEVICES) : d.gpus;
  const gpu = gpuPlan(o.job ? { kind: "unset" } : assigned, o.job ? false : d.hostHasGpus, skipFlag);
  if (gpu.note) o.say(gpu.note);

  let translation;
  try {
    translation = hostMountTranslation(d.hostEnv);
  } catch (err) {
    throw new SetupError("docker", (err as Error).message);
  }
  const self = translation ? await stageSelf(d.self, translation) : d.self;
  const agentArgv = [
    ...self.argv,
    ...(o.globalArgs.includes("--debug") ? ["--debug"] : []),
    "execute",
    "--disable-monitoring",
    "--id",
    o.taskId,
    ...innerArgs(o.executeArgs, "--gpus"),
    ...(d.standalone ? ["--standalone-mode"] : []),
  ];
  const a = d.config.agent;
  const runBase = translation ? `${translation.pod}/.clearml_agent_runs` : d.runBase;
  const secrets = {
    ...env.secret,
    ...(d.hostEnv.CLEARML_AUTH_TOKEN ? { CLEARML_AUTH_TOKEN: d.hostEnv.CLEARML_AUTH_TOKEN } : {}),
  };
  const forceSsp = d.hostEnv.CLEARML_AGENT_FORCE_SYSTEM_SITE_PACKAGES;
  const tree = containerConfigTree(d.tree, {
    config: d.config,
    venvCache: Boolean(a.venvs_cache.path),
    cuda: d.cuda ?? o.env.CLEARML_CUDA_VERSION,
    systemSitePackages: forceSsp === undefined || !/^(0|false|no|off)$/i.test(forceSsp),
  });
  // The entry script needs the ssh plan, the plan needs the files: write the script once the plan is known.
  // The agent inside gets its secrets and `environment {}` through the env file (removed once the container
  // started), never in the mounted configuration. A job's container (`build --docker`) keeps its configuration
  // whole: an image that runs the task with `docker run` carries it, as the reference's does.
  const split = o.job ? { tree, env: {} } : splitTaskConfig(tree, d.config, { keepFiles: true });
  const files = await writeRunFiles(runBase, o.taskId, {
    tree: split.tree,
    secrets: { ...split.env, ...secrets },
    entryScript: "",
  });
  for (const [name, text] of Object.entries(o.job?.files ?? {})) {
    await Deno.writeTextFile(`${files.runDir}/${name}`, text);
  }
  try {
    const plan = await taskMounts({
      config: d.config,
      expand: d.expand,
      hostEnv: d.hostEnv,
      self,
      files,
      toolsDir: d.toolsDir,
      translation,
      say: o.say,
    });
    await Deno.writeTextFile(
      `${files.runDir}/entry.sh`,
      entryScript({
        agentArgv,
        finalLines: o.job?.finalLines(self),
        // A prepared image has the packages: no install step at all (not even the checks).
        standalone: d.standalone || prepared !== undefined,
        installOpencv: a.docker_install_opencv_libs,
        initScript: a.docker_init_bash_script,
        preprocessScript: a.docker_preprocess_bash_script,
        extraScript: a.extra_docker_shell_script,
        setupScript: choice.setupScript,
        envFile: CONTAINER_PATHS.envFile,
        sshCopy: plan.sshCopy,
        startedMarker: CONTAINER_PATHS.started,
      }),
    );
    const passed = Object.fromEntries(
      PASSED_ENV.flatMap((k) => (o.env[k] ?? d.hostEnv[k]) ? [[k, (o.env[k] ?? d.hostEnv[k])!]] : []),
    );
    const spec = {
      image: prepared ?? choice.image,
      cmd: ["/bin/sh", CONTAINER_PATHS.entry],
      args: args.parsed,
      env: {
        ...env.config,
        ...self.env,
        ...plan.env,
        ...passed,
        CLEARML_CONFIG_FILE: CONTAINER_PATHS.config,
        TRAINS_CONFIG_FILE: CONTAINER_PATHS.config,
        CLEARML_TASK_ID: o.taskId,
        CLEARML_WORKER_ID: o.workerId,
        TRAINS_WORKER_ID: o.workerId,
        CLEARML_DOCKER_IMAGE: choice.image,
        CLEARML_AGENT_EXIT_INFO: CONTAINER_PATHS.exitInfo,
        UV_LINK_MODE: "copy",
        ...o.job?.env,
      },
      binds: plan.binds,
      labels: { ...extraLabels(d.hostEnv), ...runLabels(o.workerId, o.taskId, o.job ? "build" : "task") },
      gpu,
    };
    o.say(`Executing: ${maskedLine(d.config, runCommandLine(spec, itemTokens(args.merged)), d.hostEnv)}`);
    const run = await ContainerRun.start(d.engine, createOptions(spec), {
      name: containerName(a.docker_container_name_format, o, o.say),
      beforeStart: (c) => checkGlibc(c, choice.image, image.Id),
      afterStart: () => dropEnvFile(files),
    });
    // Retry policy: none, 10 s — writing the used image back to the task (as the reference) is informational.
    const writeBack = choice.isDefault && !o.job
      ? tasks.editTask(o.client, o.taskId, {
        container: { image: choice.image, arguments: choice.args.join(" "), setup_shell_script: choice.setupScript },
      }, { retry: RETRY.none, timeoutMs: 10_000 }).catch(() => {})
      : Promise.resolve();
    return wrap({ run, files, writeBack, choice, image, spec });
  } catch (err) {
    await removeRunFiles(files);
    throw err;
  }
}

function wrap(
  parts: Pick<TaskContainer, "run" | "files" | "choice" | "image" | "spec"> & { writeBack: Promise<unknown> },
): TaskContainer {
  const { run, files, writeBack } = parts;
  return {
    ...parts,
    output: run.output,
    status: run.status,
    get exited() {
      return run.exited;
    },
    exitInfoPath: files.exitInfo,
    terminate: (options) => run.terminate(options),
    async outcome(info) {
      const end = await run.end().catch(() => null);
      const code = end?.exitCode ?? run.exited?.code ?? 1;
      const started = await agentStarted(files);
      const failedCode = (info?.exitCode ?? code) !== 0;
      return {
        oomKilled: Boolean(end?.oomKilled) && failedCode,
        setupFailure: !started && !info
          ? `the container exited with code ${code} before the agent started${end?.error ? `: ${end.error}` : ""}`
          : undefined,
      };
    },
    async dispose() {
      await run.remove();
      await writeBack;
      await removeRunFiles(files);
    },
  };
}
