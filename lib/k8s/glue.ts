/**
 * The Kubernetes glue loop (agent-reference §11): tasks from the queues become pods.
 *
 * The glue is a worker on the server (registered, status reports without machine stats, unregistered at the end),
 * so `clearml-agent list` and the UI show it. Two loops run side by side until `stop` aborts:
 * - **pull**: the worker's `QueuePoller` (priority order, long poll when the server offers it) with a gate that
 *   lets no queue through while this glue has `maxPods` pods pending or running — so an extra task waits in its
 *   own queue, never in the pending queue without a pod. A pulled task is moved to the pending queue, its pod is
 *   created (`podFor`), and the queue it came from is recorded. A pod that cannot be created fails the task with
 *   the reason; an unreachable cluster returns the task to the front of its queue instead.
 * - **watch** (every `intervalMs`): this glue's pods, with their tasks' statuses:
 *   - a pod that cannot start (unschedulable, image pull) for `stuckGraceMs` → deleted, task failed
 *     `K8S glue error: <reason (message)>`;
 *   - a pod whose task was aborted (`stopped`, or `stopping` before it runs) → deleted (abort = delete pod);
 *   - a finished pod (`Succeeded`/`Failed`) → deleted; if its task is still queued or running, it is failed
 *     `Pod deleted (not pending or running)`; the same for a pod that vanished while its task waited or ran.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import type { Task } from "../api/types.ts";
import * as tasks from "../api/tasks.ts";
import { registerWorker, unregisterWorker } from "../api/workers.ts";
import { WorkerStatusReporter } from "../worker/worker_status.ts";
import { type Pick, QueuePoller, type QueueRef } from "../worker/queue_poller.ts";
import { sleep } from "../sleep.ts";
import { KubeError } from "../../executors/kubernetes/cluster.ts";
import type { PodLauncher, PodSummary } from "../../executors/kubernetes/pod_launcher.ts";
import type { Manifest } from "../../executors/kubernetes/pod_spec.ts";
import { failTask, moveToPending, recordQueue, returnTask, taskStates } from "./task_moves.ts";

/** The label that names the queue a pod's task came from. */
export const QUEUE_LABEL = "clearml-agent-queue";
/** The label that names the queue by name (sanitized). */
export const QUEUE_NAME_LABEL = "clearml-agent-queue-name";
/** The label with the task id. */
export const TASK_LABEL = "clearml-task-id";

/** Options of `runGlue`. */
export interface GlueOptions {
  client: ApiClient;
  launcher: PodLauncher;
  queues: QueueRef[];
  pending: QueueRef;
  /** The glue's worker id: registered on the server and reported every `statusReportMs`, as a daemon is. */
  workerId: string;
  /** @default 30000 */
  statusReportMs?: number;
  /** The pod of a task pulled from `queue`. */
  podFor(task: Task, queue: QueueRef): Manifest;
  /** At most this many pods pending or running (undefined: no limit). */
  maxPods?: number;
  /** Cadence of the watch loop. @default 1000 */
  intervalMs?: number;
  /** How long a pod may be unschedulable or without its image before its task fails. @default 0 */
  stuckGraceMs?: number;
  say: (line: string) => void;
  verbose?: (line: string) => void;
  stop: AbortSignal;
  now?: () => number;
}

const ACTIVE = new Set(["Pending", "Running"]);

function active(p: PodSummary): boolean {
  return ACTIVE.has(p.phase) && !p.deleting;
}

/** Run the glue until `stop` aborts; rejects on a failure that is not about one task. */
export async function runGlue(o: GlueOptions): Promise<void> {
  const now = o.now ?? Date.now;
  const intervalMs = o.intervalMs ?? 1_000;
  let activePods = 0;
  let creating = 0;
  const poller = new QueuePoller({
    client: o.client,
    queues: o.queues,
    fairness: false,
    say: o.say,
    verbose: o.verbose,
    gatedIntervalMs: intervalMs,
    gate: o.maxPods === undefined ? undefined : {
      beginPass: async () => {
        try {
          activePods = (await o.launcher.list()).filter(active).length;
        } catch (err) {
          // Pods cannot be counted (the API server is away): take no task until they can.
          o.verbose?.(`Cannot count pods, taking no task: ${(err as Error).message}`);
          activePods = Infinity;
        }
      },
      enter: () => {
        if (activePods + creating < o.maxPods!) return Promise.resolve({ release: () => {} });
        if (Number.isFinite(activePods)) {
          o.verbose?.(
            `Maximum pod limit reached ${activePods}/${o.maxPods}, sleeping for ${intervalMs / 1000} seconds`,
          );
        }
        return Promise.resolve("stop");
      },
    },
  });

  const launch = async (pick: Pick): Promise<void> => {
    const { taskId, queue } = pick;
    o.say(`Received task ${taskId} from queue ${queue.name}`);
    let task: Task;
    try {
      task = await tasks.getTask(o.client, taskId);
      await moveToPending(o.client, taskId, o.pending);
    } catch (err) {
      o.say(`Warning: could not take task ${taskId}, skipping it: ${(err as Error).message}`);
      return;
    }
    let manifest: Manifest;
    try {
      manifest = o.podFor(task, queue);
      await o.launcher.create(manifest);
    } catch (err) {
      const message = (err as Error).message;
      if (err instanceof KubeError && err.status === 0) {
        await returnTask(o.client, taskId, queue, `Kubernetes unreachable: ${message}`, o.say);
        await sleep(intervalMs * 5, o.stop);
        return;
      }
      o.say(`Could not create the pod of task ${taskId}: ${message}`);
      await failTask(o.client, taskId, `K8S glue error: ${message}`, o.say);
      return;
    }
    o.say(`Task ${taskId} pod ${(manifest.metadata as { name: string }).name} created`);
    await recordQueue(o.client, taskId, queue);
  };

  const pull = async (): Promise<void> => {
    while (!o.stop.aborted) {
      const pick = await poller.next(o.stop);
      if (!pick) break;
      creating++;
      try {
        await launch(pick);
      } finally {
        creating--;
      }
    }
  };

  const seen = new Map<string, string>(); // pod name → task id, of pods seen active
  const stuckSince = new Map<string, number>(); // pod name → when it was first seen unable to start
  const watchOnce = async (): Promise<void> => {
    const pods = await o.launcher.list({}, now());
    const states = await taskStates(o.client, [...new Set([...pods.map((p) => p.taskId), ...seen.values()])]);
    const present = new Set(pods.map((p) => p.name));
    for (const name of stuckSince.keys()) if (!present.has(name)) stuckSince.delete(name);
    for (const [name, taskId] of seen) {
      if (present.has(name)) continue;
      seen.delete(name);
      const status = states.get(taskId)?.status;
      if (status === "queued" || status === "in_progress") {
        o.say(`Pod ${name} of task ${taskId} is gone`);
        await failTask(o.client, taskId, "Pod deleted (not pending or running)", o.say);
      }
    }
    for (const pod of pods) {
      if (pod.deleting) continue;
      const state = states.get(pod.taskId);
      if (ACTIVE.has(pod.phase)) seen.set(pod.name, pod.taskId);
      const since = pod.stuck ? Math.min(pod.stuck.since, stuckSince.get(pod.name) ?? Infinity) : undefined;
      if (since === undefined) stuckSince.delete(pod.name);
      else stuckSince.set(pod.name, since);
      if (pod.stuck && since !== undefined && now() - since >= (o.stuckGraceMs ?? 0)) {
        stuckSince.delete(pod.name);
        o.say(`K8S Error: pod ${pod.name} cannot start: ${pod.stuck.reason}`);
        seen.delete(pod.name);
        await o.launcher.delete(pod.name, 0);
        await failTask(o.client, pod.taskId, `K8S glue error: ${pod.stuck.reason}`, o.say);
        continue;
      }
      const aborted = state?.status === "stopped" ||
        (pod.phase === "Pending" && state?.status === "in_progress" && state.message === "stopping");
      if (ACTIVE.has(pod.phase) && aborted) {
        o.say(`Task ${pod.taskId} was aborted: deleting pod ${pod.name}`);
        seen.delete(pod.name);
        await o.launcher.delete(pod.name);
        if (state?.status !== "stopped") {
          await tasks.stoppedTask(o.client, pod.taskId, { force: true, status_reason: "aborted" }).catch(() => {});
        }
        continue;
      }
      if (pod.phase === "Succeeded" || pod.phase === "Failed") {
        seen.delete(pod.name);
        o.verbose?.(`Cleaning up pod ${pod.name} (${pod.phase})`);
        await o.launcher.delete(pod.name);
        if (state && (state.status === "queued" || state.status === "in_progress")) {
          await failTask(o.client, pod.taskId, "Pod deleted (not pending or running)", o.say);
        }
      }
    }
  };

  const watch = async (): Promise<void> => {
    let failing = false;
    while (!o.stop.aborted) {
      try {
        await watchOnce();
        if (failing) o.say("Kubernetes and the server answer again");
        failing = false;
      } catch (err) {
        if (!failing) o.say(`Warning: watching pods failed, retrying: ${(err as Error).message}`);
        failing = true;
      }
      await sleep(intervalMs, o.stop);
    }
  };

  const queueIds = o.queues.map((q) => q.id);
  await registerWorker(o.client, o.workerId, queueIds);
  const status = new WorkerStatusReporter({
    client: o.client,
    workerId: o.workerId,
    queues: queueIds,
    monitor: null,
    intervalMs: o.statusReportMs ?? 30_000,
    say: o.say,
    now,
  });
  status.start();
  try {
    await Promise.all([pull(), watch()]);
  } finally {
    await status.stop();
    await unregisterWorker(o.client, o.workerId, queueIds).catch(() => {});
  }
}
