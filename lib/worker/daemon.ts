/**
 * One daemon, start to end (agent-reference §1.9 start-up sequence, §5): connect (retrying with backoff while the
 * server is unreachable — a clear line per attempt, never a busy loop), resolve the queues, take a worker id and
 * slot on this machine (singleton), clean up after a predecessor that died mid-task, print the queue table,
 * register, serve the queues, and unregister on the way out.
 *
 * What it serves the queues with: one task at a time; or, in services mode and with dynamic GPUs, tasks in the
 * background, each as its own worker (`services.ts`, `dynamic_gpus.ts`). Either way the queue poller's gate
 * applies the working hours and their overrides (`worker_schedule.ts`) and, with dynamic GPUs, the free GPUs.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { ApiError, isRetriable } from "../api/errors.ts";
import { RETRY } from "../api/retry_policy.ts";
import type { AgentConfig } from "../config/config_schema.ts";
import { selfCommand } from "../process/self_command.ts";
import { periodicGc } from "../process/idle_gc.ts";
import { NvidiaSmiSampler } from "../stats/gpu_sampler.ts";
import { defaultMachineProbe } from "../stats/machine_probe.ts";
import { ResourceMonitor } from "../stats/resource_monitor.ts";
import { setRuntimeProperties } from "../api/workers.ts";
import { longPollWaitMs, type QueueGate, QueuePoller, type QueueRef, resolveQueues } from "./queue_poller.ts";
import { reconcile, reconcileOrphans, reconcileTask } from "./reconcile.ts";
import { sweepDeadRuns } from "../process/run_folders.ts";
import type { DockerMode } from "../../executors/docker/task_container.ts";
import { runFolderBases } from "../job/runner.ts";
import { cleanDeadContainers } from "../../executors/docker/cleanup.ts";
import { cleanPreparedImages } from "../../executors/docker/prepared.ts";
import { type RunnerBase, runWorker, type WorkerSignals } from "./worker.ts";
import { agentTempDir, listInstances, type WorkerIdSpec, WorkerSlot } from "./worker_identity.ts";
import { WorkerStatusReporter } from "./worker_status.ts";
import { signalReady } from "./daemon_process.ts";
import { DynamicGpus } from "./dynamic_gpus.ts";
import { GpuPool } from "./gpu_pool.ts";
import type { WorkingHours } from "./schedule.ts";
import { ServiceTasks } from "./services.ts";
import { WorkerSchedule } from "./worker_schedule.ts";
import { sleep } from "../sleep.ts";
import { envText } from "../clearml_env.ts";

/** Options of `runDaemon`. */
export interface RunDaemonOptions {
  client: ApiClient;
  config: AgentConfig;
  /** Expand `~` and variables in configured paths. */
  expand: (path: string) => string;
  spec: WorkerIdSpec;
  /** `--queue` values. */
  queues: string[];
  createQueue: boolean;
  fairness: boolean;
  /** `--polling-interval` (seconds): the short-poll round interval against a server without our long poll. */
  pollingIntervalSec?: number;
  /** Options for every `execute` child, before and after the subcommand. */
  globalArgs: string[];
  executeArgs: string[];
  /** Variables for every `execute` child (GPU selection, tags). */
  childEnv: Record<string, string | undefined>;
  tags?: string[];
  /** `--foreground`: chatter such as "No tasks in queue". */
  verbose: boolean;
  signals: WorkerSignals;
  say: (line: string) => void;
  write: (bytes: Uint8Array) => void;
  /** Services mode: tasks run in the background, each as its own worker; at most `max` at once (none: no cap). */
  services?: { max?: number };
  /** Dynamic GPUs: the GPU ids of `--gpus`, and each queue's GPU count in `queues` order. */
  dynamicGpus?: { gpus: string[]; sizes: { min: number; max: number }[] };
  /** Working hours (`--uptime` / `--downtime` or the configuration), `null` for none. */
  hours: WorkingHours | null;
  /** The schedule's clock (epoch ms). @default Date.now */
  now?: () => number;
  /** `--docker`: each task runs in its own container. */
  docker?: DockerMode;
}

/**
 * Log in, retrying while the server cannot be reached: 1 s doubling to 60 s (±20%), forever, one line per
 * attempt; wrong credentials and other refusals fail at once. False when `signal` aborted first.
 */
export async function connect(client: ApiClient, say: (line: string) => void, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      await client.login({ retry: RETRY.none, signal });
      if (attempt > 1) say(`Connected to the ClearML server at "${client.host}"`);
      return true;
    } catch (err) {
      if (signal.aborted) return false;
      if (!isRetriable(err)) {
        throw new Error(`Cannot log in to the ClearML server at "${client.host}"`, { cause: err });
      }
      const delay = Math.round(Math.min(60_000, 1_000 * 2 ** Math.min(attempt - 1, 6)) * (0.8 + 0.4 * Math.random()));
      const why = err instanceof ApiError ? err.serverMessage || err.message : String(err);
      say(`Cannot reach the ClearML server at "${client.host}" (${why}); retrying in ${(delay / 1000).toFixed(1)} s`);
      await sleep(delay, signal);
    }
  }
  return false;
}

/** The queue table the reference prints: `| id | name | tags |` with ASCII borders. */
export function queueTable(queues: readonly QueueRef[]): string {
  const rows = queues.map((q) => [q.id, q.name, q.tags && q.tags.length > 0 ? `['${q.tags.join("', '")}']` : ""]);
  const titles = ["id", "name", "tags"];
  const widths = titles.map((t, i) => Math.max(3, t.length + 1, ...rows.map((r) => r[i].length + 1)));
  const border = "+-" + widths.map((w) => "-".repeat(w)).join("+-") + "-+";
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join("| ") + " |";
  return [border, line(titles), border, ...rows.map(line), border].join("\n");
}

/** The short-poll round interval: `--polling-interval` (at least 1 s), else 5 s as the reference. */
export function pollingIntervalMs(pollingIntervalSec: number | undefined): number {
  return pollingIntervalSec !== undefined ? Math.max(1_000, pollingIntervalSec * 1000) : 5_000;
}

/** How often queue tags and runtime properties are refetched: every fourth polling round. */
export function scheduleRefreshMs(pollingIntervalSec: number | undefined): number {
  return 4 * pollingIntervalMs(pollingIntervalSec);
}

function sizeText(size: { min: number; max: number }): string {
  return size.min === size.max ? String(size.min) : `${size.min}-${size.max}`;
}

/** Services mode banner; the cap goes to the runtime property `max_num_instances` where the server has them. */
async function announceServices(o: RunDaemonOptions, workerId: string): Promise<void> {
  const max = o.services?.max;
  o.say(`ClearML-Agent running in services mode (${max === undefined ? "no limit" : `at most ${max}`} at once)`);
  // Retry policy: none — informational (the cap is enforced here either way).
  await setRuntimeProperties(o.client, workerId, [{ key: "max_num_instances", value: String(max ?? -1) }], {
    retry: RETRY.none,
    timeoutMs: 10_000,
  }).catch(() => {});
}

/** Run the daemon until it is stopped; resolves to the exit code. */
export async function runDaemon(o: RunDaemonOptions): Promise<number> {
  const stateDir = o.expand(o.config.agent.state_dir);
  const tmpDir = agentTempDir();
  if (!(await connect(o.client, o.say, o.signals.stop))) return 0;
  const queues = await resolveQueues(o.client, o.queues, { create: o.createQueue, say: o.say });
  const slot = await WorkerSlot.acquire(tmpDir, o.spec);
  try {
    const workerId = slot.workerId;
    const spoolRoot = `${stateDir}/spool`;
    const recovery = {
      client: o.client,
      stateDir,
      workerId,
      spoolRoot,
      say: o.say,
      graceMs: o.config.agent.abort_grace_s * 1000,
      signal: o.signals.hardStop,
    };
    await reconcile(recovery);
    await reconcileOrphans({
      ...recovery,
      liveWorkerIds: new Set(listInstances(tmpDir).map((i) => i.workerId)),
      pidAlive: (pid) => listInstances(tmpDir).some((i) => i.pid === pid),
    });
    // Per-run files (configuration, container run folders) of runs that died with a predecessor.
    const runFolders = runFolderBases({
      venvsDir: o.expand(o.config.agent.venvs_dir),
      workDir: stateDir,
      dockerRunBase: o.docker?.runBase,
    });
    for (const base of runFolders) {
      for (const path of await sweepDeadRuns(base)) o.say(`Removed the run folder of a dead run: ${path}`);
    }
    if (o.docker) {
      for (const c of await cleanDeadContainers(o.docker.engine, { workerId, say: o.say })) {
        if (c.taskId) await reconcileTask(recovery, c.taskId, 1);
      }
      await cleanPreparedImages(o.docker.engine, { say: o.say });
    }
    const gpu = o.spec.visibleDevices?.toLowerCase() === "none" ? null : new NvidiaSmiSampler({
      visibleDevices: o.spec.visibleDevices,
      defaultUtilization: o.config.agent.resource_monitoring.default_gpu_utilization,
      warn: o.say,
    });
    const cuda = o.config.agent.cuda_version || (await gpu?.driverCudaVersion()) || undefined;
    const diskPath = o.config.agent.resource_monitoring.disk_use_path;
    const statusMs = Math.max(100, o.config.agent.status_report_s * 1000);
    const monitor = new ResourceMonitor({
      probe: defaultMachineProbe({ diskPath: diskPath ? o.expand(diskPath) : undefined }),
      gpu,
      // /proc is cheap: once a second; nvidia-smi is not: every 5 s, or once per report when reports are faster.
      sampleIntervalMs: Math.min(1_000, statusMs),
      gpuIntervalMs: Math.min(5_000, statusMs),
    });
    const background = o.services !== undefined || o.dynamicGpus !== undefined;
    const reporter = new WorkerStatusReporter({
      client: o.client,
      workerId,
      queues: queues.map((q) => q.id),
      // As the reference: in background mode the tags go to the task workers, not to the daemon's reports.
      tags: background ? undefined : o.tags,
      monitor,
      intervalMs: statusMs,
      say: o.say,
    });
    const registerTimeoutSec = Math.max(60, Math.ceil(o.config.agent.status_report_s * 10));
    const runner: RunnerBase = {
      self: selfCommand(),
      globalArgs: o.globalArgs,
      executeArgs: o.executeArgs,
      env: {
        ...o.childEnv,
        CLEARML_WORKER_ID: workerId,
        TRAINS_WORKER_ID: workerId,
        ...(cuda && !o.config.agent.cuda_version ? { CLEARML_CUDA_VERSION: cuda } : {}),
      },
      workDir: stateDir,
      spoolRoot,
      runFolders,
      graceMs: o.config.agent.abort_grace_s * 1000,
      pingIntervalMs: o.config.agent.task_ping_interval_sec * 1000,
      abortCallbackCmd: envText("CLEARML_AGENT_ABORT_CALLBACK_CMD"),
      abortCallbackTimeoutMs: Math.min(180, o.config.agent.abort_callback_max_timeout) * 1000,
      stdout: o.write,
      say: o.say,
      docker: o.docker,
    };
    const schedule = new WorkerSchedule({
      client: o.client,
      workerId,
      queues,
      hours: o.hours,
      // Every fourth polling round (20 s by default; the reference: every round): the request budget of
      // docs/scheduling.md, and the reaction time the docs promise for drain tags and forcing.
      refreshMs: scheduleRefreshMs(o.pollingIntervalSec),
      now: o.now,
      say: o.say,
      onChange: (state) => void reporter.setSystemTags(state.active ? [] : [`paused:${state.reason}`]),
    });
    const pool = o.dynamicGpus && new GpuPool({ dir: tmpDir, gpus: o.dynamicGpus.gpus, owner: workerId });
    const dynamic = pool && new DynamicGpus({
      client: o.client,
      pool,
      workerId,
      sizes: new Map(queues.map((q, i) => [q.id, o.dynamicGpus!.sizes[i]])),
      executeArgs: o.executeArgs,
      say: o.say,
      verbose: o.verbose ? o.say : undefined,
    });
    const gate: QueueGate = {
      async beginPass(signal) {
        await schedule.refresh({ signal });
        schedule.update();
      },
      async enter(queue) {
        if (!schedule.decide(queue).active) return "skip";
        return dynamic ? await dynamic.enter(queue) : { release() {} };
      },
    };
    const poller = new QueuePoller({
      client: o.client,
      queues,
      fairness: o.fairness,
      idleIntervalMs: pollingIntervalMs(o.pollingIntervalSec),
      longPoll: o.config.agent.queue_long_poll_s <= 0 ? false : undefined,
      longPollMs: longPollWaitMs(o.config.agent.queue_long_poll_s * 1000, queues.length),
      say: o.say,
      verbose: o.verbose ? o.say : undefined,
      gate,
    });
    const tasks = background
      ? new ServiceTasks({
        client: o.client,
        runner,
        stateDir,
        max: o.services?.max,
        registerTimeoutSec,
        statusIntervalMs: statusMs,
        tags: o.tags,
        signals: o.signals,
        say: o.say,
      })
      : undefined;
    o.say(`Worker "${workerId}" - Listening to queues:\n${queueTable(queues)}\n`);
    if (o.verbose) o.say(poller.longPoll ? "Queue long poll: on" : "Queue long poll: off (short polls)");
    if (o.services) await announceServices(o, workerId);
    if (dynamic) {
      o.say(
        `Dynamic GPUs: ${o.dynamicGpus!.gpus.join(",")}, per queue: ${
          queues.map((q, i) => `${q.name}=${sizeText(o.dynamicGpus!.sizes[i])}`).join(" ")
        }`,
      );
      await dynamic.checkDevices(gpu);
      await dynamic.publish();
    }
    const draining = AbortSignal.any([o.signals.drain, schedule.drainSignal]);
    const onDrain = () => void reporter.setSystemTags(["draining"]);
    draining.addEventListener("abort", onDrain, { once: true });
    // A full GC every few minutes: an idle daemon gets almost no major GCs of its own (idle_gc.ts).
    const gcStop = new AbortController();
    const gcLoop = periodicGc({ signal: gcStop.signal });
    try {
      await runWorker({
        client: o.client,
        workerId,
        queues,
        poller,
        reporter,
        stateDir,
        // The server forgets a worker that has been silent for this long (reports come every status_report_s).
        registerTimeoutSec,
        signals: o.signals,
        say: o.say,
        onRegistered: () => signalReady(workerId),
        runner,
        drain: schedule.drainSignal,
        background: tasks && {
          tasks,
          plan: (pick) =>
            dynamic ? dynamic.plan(pick) : {
              workerId: `${workerId}:service:${pick.taskId}`,
              env: { CLEARML_AGENT_SERVICE_TASK: "1" },
            },
        },
        onFull: () => o.say(`Reached max number of services ${o.services?.max}, waiting for one to end`),
      });
    } finally {
      draining.removeEventListener("abort", onDrain);
      gcStop.abort();
      await gcLoop;
      await pool?.releaseAll();
    }
    o.say(`Worker "${workerId}" stopped`);
    return 0;
  } finally {
    slot.release();
  }
}
