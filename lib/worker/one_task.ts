/**
 * `execute --full-monitoring --id T` (agent-reference §6.3): a one-task daemon. It takes a local worker slot (or
 * the given `CLEARML_WORKER_ID`), reports machine stats, claims the task (dequeue + `tasks.started` "launch by
 * agent"), then runs it exactly as the daemon does — an `execute --disable-monitoring` child, live logs, abort
 * watch, ping, final status — and unregisters. Used by services mode and Kubernetes pods.
 *
 * Exit code: 0, or the run's exit code with `CLEARML_AGENT_PROPAGATE_EXITCODE` (as the reference).
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { RETRY } from "../api/retry_policy.ts";
import * as tasks from "../api/tasks.ts";
import { unregisterWorker } from "../api/workers.ts";
import type { AgentConfig } from "../config/config_schema.ts";
import { runFolderBases, runTask } from "../job/runner.ts";
import type { DockerMode } from "../../executors/docker/task_container.ts";
import { selfCommand } from "../process/self_command.ts";
import { NvidiaSmiSampler } from "../stats/gpu_sampler.ts";
import { ResourceMonitor } from "../stats/resource_monitor.ts";
import { connect } from "./daemon.ts";
import type { WorkerSignals } from "./worker.ts";
import { agentTempDir, type WorkerIdSpec, WorkerSlot } from "./worker_identity.ts";
import { WorkerStatusReporter } from "./worker_status.ts";
import { clearRunState, runStatePath, writeRunState } from "./reconcile.ts";
import { envFlag, envText } from "../clearml_env.ts";

/** Options of `runOneTask`. */
export interface OneTaskOptions {
  client: ApiClient;
  config: AgentConfig;
  expand: (path: string) => string;
  taskId: string;
  spec: WorkerIdSpec;
  globalArgs: string[];
  executeArgs: string[];
  childEnv: Record<string, string | undefined>;
  signals: WorkerSignals;
  say: (line: string) => void;
  /** `execute --docker`: the run is in a container. */
  docker?: DockerMode;
}

/** Run one task under full monitoring; resolves to the exit code. */
export async function runOneTask(o: OneTaskOptions): Promise<number> {
  if (!(await connect(o.client, o.say, o.signals.stop))) return 0;
  const stateDir = o.expand(o.config.agent.state_dir);
  const slot = await WorkerSlot.acquire(agentTempDir(), o.spec);
  const workerId = slot.workerId;
  const gpu = o.spec.visibleDevices?.toLowerCase() === "none"
    ? null
    : new NvidiaSmiSampler({ visibleDevices: o.spec.visibleDevices, warn: o.say });
  const reporter = new WorkerStatusReporter({
    client: o.client,
    workerId,
    queues: [],
    monitor: new ResourceMonitor({ gpu, sampleIntervalMs: 1_000 }),
    intervalMs: Math.max(100, o.config.agent.status_report_s * 1000),
    say: o.say,
  });
  const statePath = runStatePath(stateDir, workerId);
  try {
    await tasks.dequeueTask(o.client, o.taskId).catch(() => {});
    // Retry policy: status — the task must be claimed before its run starts.
    await tasks.startedTask(o.client, o.taskId, { force: true, status_message: "launch by agent" }, {
      retry: RETRY.status,
      signal: o.signals.hardStop,
    });
    reporter.start();
    await reporter.setTask({ task: o.taskId });
    const outcome = await runTask({
      client: o.client,
      taskId: o.taskId,
      workerId,
      self: selfCommand(),
      globalArgs: o.globalArgs,
      executeArgs: o.executeArgs,
      env: { ...o.childEnv, CLEARML_WORKER_ID: workerId, TRAINS_WORKER_ID: workerId },
      workDir: stateDir,
      spoolRoot: `${stateDir}/spool`,
      graceMs: o.config.agent.abort_grace_s * 1000,
      pingIntervalMs: o.config.agent.task_ping_interval_sec * 1000,
      abortCallbackCmd: envText("CLEARML_AGENT_ABORT_CALLBACK_CMD"),
      abortCallbackTimeoutMs: Math.min(180, o.config.agent.abort_callback_max_timeout) * 1000,
      shutdown: o.signals.stop,
      hardStop: o.signals.hardStop,
      say: o.say,
      onStarted: (pgid) => writeRunState(statePath, { workerId, taskId: o.taskId, pgid }),
      docker: o.docker,
      runFolders: runFolderBases({
        venvsDir: o.expand(o.config.agent.venvs_dir),
        workDir: stateDir,
        dockerRunBase: o.docker?.runBase,
      }),
    });
    const propagate = envFlag("CLEARML_AGENT_PROPAGATE_EXITCODE");
    return propagate ? outcome.exitCode ?? 1 : 0;
  } finally {
    await clearRunState(statePath);
    await reporter.stop();
    await unregisterWorker(o.client, workerId, [], { retry: RETRY.call, signal: AbortSignal.timeout(30_000) })
      .catch(() => {});
    slot.release();
  }
}
