/**
 * The daemon side of one task in docker mode (agent-reference §8): choose the image and arguments, merge and screen
 * the docker arguments, make sure the image is here, write the run's files, and start a container that runs this
 * agent's `execute --disable-monitoring --id T` from the mounted binary (or sources). The result has the shape of a
 * host child, so `runner.ts` streams its output, watches for an abort and stops it exactly as it does a process.
 *
 * Secrets never reach the container's `Cmd` or `Config.Env` (what `docker inspect` shows): the configuration is a
 * 0600 file, every `-e` of the docker arguments goes through the env file (removed once the container started),
 * and the printed `docker run` line is masked (`agent.hide_docker_command_env_vars`).
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import * as tasks from "../api/tasks.ts";
import type { AgentConfig } from "../config/config_schema.ts";
import { sanitizeDockerArgs } from "../config/mask.ts";
import type { ConfigTree } from "../config/merge.ts";
import { shlexSplit } from "../config/shlex.ts";
import { registerSecret } from "../logs/redact.ts";
import type { ExitStatus } from "../process/exit_status.ts";
import { SetupError } from "../../executors/executor.ts";
import { ContainerRun } from "../../executors/docker.ts";
import { runLabels } from "../../executors/docker_cleanup.ts";
import { ensureImage } from "../../executors/docker_image.ts";
import { type Engine, type EngineContainer, engineStatus } from "../../executors/_engine.ts";
import { applyArgs, DockerArgsError, itemTokens, tokenize } from "../../executors/_docker_args.ts";
import {
  createOptions,
  expandEnvItems,
  type GpuAssignment,
  gpuPlan,
  mergeArgs,
  runCommandLine,
  screenTaskArgs,
  splitEnv,
} from "../../executors/_docker_spec.ts";
import type { ExitInfo } from "./final_status.ts";
import { type AgentDocker, chooseContainer, type ContainerChoice } from "./container_select.ts";
import { entryScript } from "./container_script.ts";
import {
  agentStarted,
  CONTAINER_PATHS,
  containerConfigTree,
  dropEnvFile,
  removeRunFiles,
  type RunFiles,
  writeRunFiles,
} from "./container_files.ts";
import { hostMountTranslation, stageSelf, taskMounts } from "./container_mounts.ts";
import { type ContainerSelf, glibcLoader, muslLoader } from "./self_command_container.ts";

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
}

/** A started task container. */
export interface TaskContainer {
  readonly output: ReadableStream<Uint8Array>;
  readonly status: Promise<ExitStatus>;
  readonly exited: ExitStatus | null;
  /** Host path of the agent's exit info. */
  readonly exitInfoPath: string;
  terminate(options?: { graceMs?: number; signal?: AbortSignal }): Promise<unknown>;
  /** How the run ended beyond the exit code: the container was OOM killed, or ended before the agent started. */
  outcome(info: ExitInfo | null): Promise<{ oomKilled: boolean; setupFailure?: string }>;
  /** Remove the container and the run's files. Never throws. */
  dispose(): Promise<void>;
}

const SECRET_NAME = /SECRET|PASSW|TOKEN|KEY|CREDENTIAL|AUTH/i;
const PASSED_ENV = [
  "CLEARML_WORKER_TAGS",
  "CLEARML_AGENT_SKIP_PIP_VENV_INSTALL",
  "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL",
];

/** The glibc verdict per image id: `null` when the agent can run in it, else why not. */
const glibcVerdicts = new Map<string, string | null>();

async function checkGlibc(container: EngineContainer, image: string, imageId: string): Promise<void> {
  let verdict = glibcVerdicts.get(imageId);
  if (verdict === undefined) {
    const has = (path: string) =>
      container.infoArchive({ path }).then(() => true, (err) => {
        if (engineStatus(err) === 404) return false;
        throw err;
      });
    verdict = null;
    if (!(await has(glibcLoader()))) {
      verdict = (await has(muslLoader()))
        ? `Docker image "${image}" is musl based (Alpine?): the agent needs a glibc image (Debian, Ubuntu...)`
        : `Docker image "${image}" has no glibc loader "${glibcLoader()}": the agent needs a glibc image (Debian, Ubuntu...)`;
    }
    glibcVerdicts.set(imageId, verdict);
  }
  if (verdict) throw new SetupError("image", verdict);
}

function innerArgs(args: readonly string[], drop: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === drop) i++;
    else if (!args[i].startsWith(`${drop}=`)) out.push(args[i]);
  }
  return out;
}

/** Read `--env-file` files (docker's format: `NAME=value`, `NAME` alone, `#` comments). */
async function envFileEntries(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      throw new DockerArgsError(`Cannot read docker --env-file "${path}": ${(err as Error).message}`);
    }
    out.push(...text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")));
  }
  return out;
}

function maskedLine(config: AgentConfig, tokens: string[], hostEnv: Record<string, string | undefined>): string {
  const hide = config.agent.hide_docker_command_env_vars;
  const extra = shlexSplit(hostEnv.CLEARML_AGENT_DOCKER_ARGS_HIDE_ENV ?? "");
  if (!hide.enabled && extra.length === 0) return tokens.join(" ");
  const names = tokens.filter((t) => /^[A-Za-z_]\w*=/.test(t)).map((t) => t.split("=")[0]).filter((n) =>
    SECRET_NAME.test(n)
  );
  return sanitizeDockerArgs(tokens, [...(hide.extra_keys ?? []), ...extra, ...names]).join(" ");
}

/** Screened, merged and parsed docker arguments of the chosen container. */
function dockerArgs(o: TaskContainerOptions, choice: ContainerChoice) {
  const a = o.docker.config.agent;
  const rules = {
    allowlist: a.docker_args_filters ?? [],
    forbidden: a.forbidden_docker_args ?? [],
    extraPrecedesTask: a.docker_args_extra_precedes_task,
    protectedSwitches: a.protected_docker_extra_args ?? [],
  };
  const admin = expandEnvItems(
    tokenize((a.extra_docker_arguments ?? []).flatMap((x) => shlexSplit(x))),
    o.docker.hostEnv,
  );
  let task = tokenize(choice.args);
  if (!choice.isDefault) {
    const screened = screenTaskArgs(task, rules);
    for (const d of screened.dropped) o.say(`Warning: docker argument "${d}" of the task is not allowed: ignored`);
    task = a.docker_allow_host_environ ? expandEnvItems(screened.kept, o.docker.hostEnv) : screened.kept;
  } else task = expandEnvItems(task, o.docker.hostEnv);
  const merged = mergeArgs(admin, task, rules);
  return { merged, parsed: applyArgs(merged) };
}

/** Choose, prepare and start the task's container. Throws `SetupError` with a one-line reason. */
export async function startTaskContainer(o: TaskContainerOptions): Promise<TaskContainer> {
  const d = o.docker;
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
    args = dockerArgs(o, choice);
    env = splitEnv([...await envFileEntries(args.parsed.envFiles), ...args.parsed.env], d.hostEnv);
  } catch (err) {
    throw new SetupError("docker", (err as Error).message, { cause: err });
  }
  for (const value of Object.values(env.secret)) registerSecret(value);
  o.say(
    `Running Task ${o.taskId} inside ${choice.isDefault ? "default " : ""}docker: ${choice.image} arguments: ` +
      `[${maskedLine(d.config, itemTokens(args.merged), d.hostEnv)}]`,
  );
  if (args.parsed.gpus) o.say(`Warning: docker argument "--gpus ${args.parsed.gpus}" ignored: the agent assigns GPUs`);
  const image = await ensureImage(d.engine, choice.image, {
    forcePull: d.config.agent.docker_force_pull,
    say: o.say,
    signal: o.signal,
  });
  const gpu = gpuPlan(d.gpus, d.hostHasGpus);
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
  const files = await writeRunFiles(runBase, o.taskId, { tree, secrets, entryScript: "" });
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
        standalone: d.standalone,
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
      image: choice.image,
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
      },
      binds: plan.binds,
      labels: { ...extraLabels(d.hostEnv), ...runLabels(o.workerId, o.taskId) },
      gpu,
    };
    o.say(`Executing: ${maskedLine(d.config, runCommandLine(spec, itemTokens(args.merged)), d.hostEnv)}`);
    const run = await ContainerRun.start(d.engine, createOptions(spec), {
      name: containerName(a.docker_container_name_format, o, o.say),
      beforeStart: (c) => checkGlibc(c, choice.image, image.Id),
      afterStart: () => dropEnvFile(files),
    });
    const writeBack = choice.isDefault
      ? tasks.editTask(o.client, o.taskId, {
        container: { image: choice.image, arguments: choice.args.join(" "), setup_shell_script: choice.setupScript },
      }).catch(() => {})
      : Promise.resolve();
    return wrap(run, files, writeBack);
  } catch (err) {
    await removeRunFiles(files);
    throw err;
  }
}

function extraLabels(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of shlexSplit(env.CLEARML_AGENT_EXTRA_DOCKER_LABELS ?? "")) {
    const at = label.indexOf("=");
    out[at < 0 ? label : label.slice(0, at)] = at < 0 ? "" : label.slice(at + 1);
  }
  return out;
}

/** `agent.docker_container_name_format` with `{task_id}`, `{worker_id}` and `{rand_string[:.N]}`; else none. */
export function containerName(
  format: string | undefined,
  o: { taskId: string; workerId: string },
  say: (line: string) => void,
): string | undefined {
  if (!format) return undefined;
  const safe = (s: string) => s.replace(/[^a-zA-Z0-9._-]/g, "-");
  const rand = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => String.fromCharCode(97 + (b % 26))).join(
    "",
  );
  let unknown = false;
  const name = format.replace(/\{(\w+)(?::\.(\d+))?\}/g, (_m, field: string, len?: string) => {
    const value = field === "task_id"
      ? safe(o.taskId)
      : field === "worker_id"
      ? safe(o.workerId)
      : field === "rand_string"
      ? rand
      : (unknown = true, "");
    return len ? value.slice(0, Number(len)) : value;
  });
  if (unknown || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
    say(`Warning: container name format "${format}" gives "${name}": not a valid name, the engine picks one`);
    return undefined;
  }
  return name;
}

function wrap(run: ContainerRun, files: RunFiles, writeBack: Promise<unknown>): TaskContainer {
  return {
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
