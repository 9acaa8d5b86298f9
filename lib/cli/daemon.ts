/**
 * `clearml-agent daemon`: pull tasks from queues and run them (`lib/worker/daemon.ts`), in the foreground, in the
 * background (output to a log file) or detached; or stop running daemons (`--stop`), or print the schedule status
 * (`--status`, exit 1 as the reference).
 *
 * @module
 */

import type { DaemonOptions, GlobalOptions } from "./args_types.ts";
import { NotImplementedError } from "./errors.ts";
import { apiClientFor, expander, gpuSelection, loadAgentConfig } from "./_agent_setup.ts";
import { log } from "../log.ts";
import { runDaemon } from "../worker/daemon.ts";
import {
  consoleOutput,
  installStopSignals,
  newDaemonLogPath,
  openBackgroundLog,
  startDetached,
  stopDaemons,
} from "../worker/daemon_process.ts";
import { agentTempDir, type WorkerIdSpec } from "../worker/worker_identity.ts";
import { shlexJoin, shlexSplit } from "../config/shlex.ts";
import { dockerMode } from "./_docker_setup.ts";

function scheduleStatus(options: DaemonOptions, uptime: string[], downtime: string[]): string[] {
  const up = options.uptime ?? uptime;
  const down = options.downtime ?? downtime;
  if (up.length > 0 && down.length > 0) return ["Error: uptime and downtime are both set: both are ignored"];
  if (up.length > 0) return ["Working hours uptime configurations", ...up.map((s) => `  - ${s}`)];
  if (down.length > 0) return ["Working hours downtime configurations", ...down.map((s) => `  - ${s}`)];
  return ["No uptime/downtime configurations found"];
}

/** Run `daemon`; resolves to the exit code. */
export async function runDaemonCommand(global: GlobalOptions, options: DaemonOptions): Promise<number> {
  if (options.servicesMode !== undefined) throw new NotImplementedError("daemon --services-mode");
  if (options.dynamicGpus) throw new NotImplementedError("daemon --dynamic-gpus");
  if (options.useOwnerToken) throw new NotImplementedError("daemon --use-owner-token");
  const loaded = loadAgentConfig(global.configFile);
  const config = loaded.typed;
  const gpus = gpuSelection(options);
  const spec: WorkerIdSpec = {
    workerName: config.agent.worker_name,
    workerId: config.agent.worker_id || undefined,
    visibleDevices: gpus.visibleDevices,
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
  if (options.status) {
    for (const line of scheduleStatus(options, config.agent.uptime ?? [], config.agent.downtime ?? [])) {
      terminal.say(line);
    }
    return 1;
  }
  if (options.detached) return await startDetached({ argv: Deno.args, tmpDir, say: terminal.say });

  const out = options.foreground ? terminal : openBackgroundLog(newDaemonLogPath(tmpDir));
  if (out.path) terminal.say(`Running CLEARML-AGENT daemon in background mode, writing stdout/stderr to ${out.path}`);
  log.setSink((line) => out.say(line));
  const signals = installStopSignals(out.say);
  const tags = options.childReportTags ?? shlexSplit(Deno.env.get("CLEARML_WORKER_TAGS") ?? "");
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
  try {
    return await runDaemon({
      client: apiClientFor(config, config.agent.worker_name),
      config,
      expand: expander(),
      spec,
      queues: options.queues,
      createQueue: options.createQueue,
      fairness: options.orderFairness,
      pollingIntervalSec: options.pollingInterval,
      globalArgs: [
        ...(global.configFile ? ["--config-file", global.configFile] : []),
        ...(global.debug ? ["--debug"] : []),
      ],
      executeArgs: [
        ...Array(options.optimization).fill("-O"),
        ...(options.cpuOnly ? ["--cpu-only"] : options.gpus ? ["--gpus", options.gpus] : []),
      ],
      childEnv: {
        ...gpus.env,
        ...(options.childReportTags ? { CLEARML_WORKER_TAGS: shlexJoin(options.childReportTags) } : {}),
      },
      tags: tags.length > 0 ? tags : undefined,
      verbose: options.foreground || global.debug,
      signals,
      say: out.say,
      write: out.write,
      docker,
    });
  } finally {
    signals.dispose();
    log.setSink((line) => Deno.stderr.writeSync(new TextEncoder().encode(line + "\n")));
    out.close();
  }
}
