/**
 * `clearml-agent daemon`: pull tasks from queues and run them (`lib/worker/daemon.ts`), in the foreground, in the
 * background (output to a log file) or detached; or stop running daemons (`--stop`), or print the schedule status
 * (`--status`, exit 1 as the reference).
 *
 * `--services-mode [N]` implies `--cpu-only` (as the reference); `--dynamic-gpus` hands the `--gpus` out per task,
 * so the daemon's own children get no `--gpus` of their own. A configuration that sets both `agent.uptime` and
 * `agent.downtime`, or a bad span in either, is an error (exit 1) rather than silently ignored.
 *
 * @module
 */

import type { DaemonOptions, GlobalOptions } from "./args_types.ts";
import { NotImplementedError } from "./errors.ts";
import { ConfigError } from "../config/errors.ts";
import { parseGpuSpec } from "../gpus/spec.ts";
import { apiClientFor, expander, gpuSelection, loadAgentConfig } from "./_agent_setup.ts";
import { applyConfigSections } from "../config/config_sections.ts";
import { log } from "../logger.ts";
import { runDaemon } from "../worker/daemon.ts";
import {
  consoleOutput,
  installStopSignals,
  newDaemonLogPath,
  openBackgroundLog,
  ownLogFile,
  startDetached,
  stopDaemons,
} from "../worker/daemon_process.ts";
import { agentTempDir, listInstances, workerIdFor, type WorkerIdSpec } from "../worker/worker_identity.ts";
import { stopTargets } from "../worker/daemon_stop.ts";
import { shlexJoin, shlexSplit } from "../config/shlex.ts";
import { ScheduleConfigError, type WorkingHours, workingHours } from "../worker/schedule.ts";
import { scheduleStatus } from "../worker/schedule_status.ts";
import { dockerMode } from "./_docker_setup.ts";
import { envRaw } from "../clearml_env.ts";

function hoursOf(options: DaemonOptions, config: { uptime?: string[]; downtime?: string[] }): WorkingHours | null {
  try {
    return workingHours(options, config);
  } catch (err) {
    if (err instanceof ScheduleConfigError) throw new ConfigError(err.message, { cause: err });
    throw err;
  }
}

/** The GPU ids of `--dynamic-gpus --gpus G`. */
function dynamicGpuIds(options: DaemonOptions): string[] {
  const spec = parseGpuSpec(options.gpus ?? "");
  return spec.kind === "list" ? spec.ids : [];
}

/** Run `daemon`; resolves to the exit code. */
export async function runDaemonCommand(global: GlobalOptions, cliOptions: DaemonOptions): Promise<number> {
  const fractional = cliOptions.dynamicQueues?.some((q) => q.min < 1 || q.max < 1);
  if (fractional) throw new NotImplementedError("fractional GPUs");
  // Services mode implies --cpu-only (as the reference).
  const options = cliOptions.servicesMode !== undefined
    ? { ...cliOptions, cpuOnly: true, gpus: undefined }
    : cliOptions;
  if (options.useOwnerToken) throw new NotImplementedError("daemon --use-owner-token");
  const loaded = loadAgentConfig(global.configFile);
  const config = loaded.typed;
  const gpus = gpuSelection(options);
  const dynamic = options.dynamicGpus && options.dynamicQueues ? options.dynamicQueues : undefined;
  const spec: WorkerIdSpec = {
    workerName: config.agent.worker_name,
    workerId: config.agent.worker_id || undefined,
    visibleDevices: gpus.visibleDevices,
    dynamicGpus: dynamic ? options.gpus : undefined,
    // What `daemon --stop` compares (with the same arguments) and what numbers the slots (per server).
    launch: {
      server: config.api.api_server ?? config.api.host ?? "",
      uid: Deno.uid(),
      queues: options.queues,
      ...(options.gpus !== undefined ? { gpus: options.gpus } : {}),
      ...(options.docker ? { docker: [options.docker.image ?? "", ...options.docker.args].join(" ").trim() } : {}),
      ...(options.servicesMode !== undefined ? { services: true } : {}),
      ...(options.cpuOnly ? { cpuOnly: true } : {}),
    },
  };

  const tmpDir = agentTempDir();
  const terminal = consoleOutput();
  if (options.stop !== undefined) {
    return await stopDaemons({
      tmpDir,
      spec,
      ids: options.stop,
      drain: options.drain,
      waitMs: config.agent.abort_grace_s * 1000 + 30_000,
      say: terminal.say,
    });
  }
  const hours = hoursOf(options, config.agent);
  if (options.status) {
    const running = stopTargets(listInstances(tmpDir), spec, []).targets[0];
    const lines = await scheduleStatus({
      client: apiClientFor(config, config.agent.worker_name),
      hours,
      queues: options.queues,
      workerId: running?.workerId ?? workerIdFor(spec, 0),
      gpus: dynamic ? { ids: dynamicGpuIds(options), dir: tmpDir } : undefined,
    });
    for (const line of lines) terminal.say(line);
    return 1;
  }
  if (options.detached) return await startDetached({ argv: Deno.args, tmpDir, say: terminal.say });

  const out = options.foreground ? terminal : openBackgroundLog(newDaemonLogPath(tmpDir));
  if (out.path) terminal.say(`Running CLEARML-AGENT daemon in background mode, writing stdout/stderr to ${out.path}`);
  log.setSink((line) => out.say(line));
  const logFile = ownLogFile(out.path, global.debug);
  const signals = installStopSignals(out.say);
  for (const line of await applyConfigSections(loaded.tree, config, expander())) out.say(line);
  const tags = options.childReportTags ?? shlexSplit(envRaw("CLEARML_WORKER_TAGS") ?? "");
  const docker = options.docker
    ? await dockerMode({
      loaded,
      expand: expander(),
      docker: options.docker,
      visibleDevices: gpus.visibleDevices,
      standalone: options.standaloneMode,
      say: out.say,
    })
    : undefined;
  let code = 1;
  try {
    code = await runDaemon({
      client: apiClientFor(config, config.agent.worker_name),
      config,
      expand: expander(),
      spec,
      queues: options.queues,
      createQueue: options.createQueue,
      fairness: options.orderFairness,
      pollingIntervalSec: options.pollingInterval ?? config.agent.polling_interval,
      globalArgs: [
        ...(global.configFile ? ["--config-file", global.configFile] : []),
        ...(global.debug ? ["--debug"] : []),
      ],
      executeArgs: [
        ...Array(options.optimization).fill("-O"),
        ...(options.cpuOnly ? ["--cpu-only"] : options.gpus && !dynamic ? ["--gpus", options.gpus] : []),
      ],
      childEnv: {
        ...(dynamic ? {} : gpus.env),
        ...(options.childReportTags ? { CLEARML_WORKER_TAGS: shlexJoin(options.childReportTags) } : {}),
      },
      tags: tags.length > 0 ? tags : undefined,
      verbose: options.foreground || global.debug,
      signals,
      say: out.say,
      write: out.write,
      services: options.servicesMode !== undefined
        ? { max: options.servicesMode > 0 ? options.servicesMode : undefined }
        : undefined,
      dynamicGpus: dynamic ? { gpus: dynamicGpuIds(options), sizes: dynamic } : undefined,
      hours,
      docker,
    });
    return code;
  } finally {
    signals.dispose();
    log.setSink((line) => Deno.stderr.writeSync(new TextEncoder().encode(line + "\n")));
    out.close();
    if (code === 0 && logFile) await Deno.remove(logFile).catch(() => {}); // a clean stop leaves nothing in /tmp
  }
}
