/**
 * What the Kubernetes glue does to tasks on the server (agent-reference §11): move a pulled task to the pending
 * queue (where the pod's `execute --require-queue` takes it from), fail it with the pod's reason, return it to the
 * front of its queue, and record the queue it came from.
 *
 * Moving to the pending queue: `tasks.enqueue {update_execution_queue: false}` keeps the task queued; a server
 * without same-status transitions (ClearML server < 3.22.3, and ours) refuses queued → queued, so then the task is
 * stopped (forced) and enqueued again, as the reference does.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import * as queues from "../api/queues.ts";
import * as tasks from "../api/tasks.ts";
import type { QueueRef } from "../worker/queue_poller.ts";

/** The status reason of a task waiting for its pod. */
export const PENDING_REASON = "k8s pending scheduler";
/** System tags of a pending queue the glue creates (`K8S_GLUE_DEFAULT_SCHEDULER_QUEUE_TAGS`). */
export const PENDING_QUEUE_TAGS = ["k8s-glue"];

/** Resolve the pending queue by name, creating it (with the glue's system tags) when missing. */
export async function pendingQueue(client: ApiClient, name: string, say: (line: string) => void): Promise<QueueRef> {
  let found = await queues.findQueuesByName(client, name);
  if (found.length === 0) {
    const tags = (Deno.env.get("K8S_GLUE_DEFAULT_SCHEDULER_QUEUE_TAGS") ?? PENDING_QUEUE_TAGS.join(","))
      .split(",").map((t) => t.trim()).filter((t) => t !== "");
    say(`Creating pending queue "${name}"`);
    await queues.createQueue(client, name, tags);
    found = await queues.findQueuesByName(client, name);
  }
  if (found.length === 0) throw new Error(`Could not create the pending queue "${name}"`);
  return { id: found[0].id, name: found[0].name ?? name };
}

/** Put a task pulled from a queue into the pending queue. */
export async function moveToPending(client: ApiClient, taskId: string, pending: QueueRef): Promise<void> {
  const change = { status_reason: PENDING_REASON };
  try {
    await client.call("tasks.enqueue", { task: taskId, queue: pending.id, update_execution_queue: false, ...change });
    return;
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 400) throw err;
  }
  await tasks.stopTask(client, taskId, { force: true, status_reason: "moving to k8s pending queue" });
  await tasks.enqueueTask(client, taskId, pending.id, change);
}

/** Take a task out of every queue and mark it failed with `reason` (forced). Never throws. */
export async function failTask(
  client: ApiClient,
  taskId: string,
  reason: string,
  say: (line: string) => void,
): Promise<void> {
  try {
    await client.call("tasks.dequeue", { task: taskId, remove_from_all_queues: true });
    await tasks.failedTask(client, taskId, {
      force: true,
      status_reason: reason,
      status_message: "Changed by K8S glue",
    });
  } catch (err) {
    say(`Warning: could not mark task ${taskId} failed ("${reason}"): ${(err as Error).message}`);
  }
}

/** Return a task to the front of `queue` (the cluster was not reachable). Never throws. */
export async function returnTask(
  client: ApiClient,
  taskId: string,
  queue: QueueRef,
  reason: string,
  say: (line: string) => void,
): Promise<void> {
  try {
    await client.call("tasks.dequeue", { task: taskId, remove_from_all_queues: true });
    await tasks.enqueueTask(client, taskId, queue.id, { status_reason: reason });
    await client.call("queues.move_task_to_front", { queue: queue.id, task: taskId }, { version: "2.4" });
    say(`Task ${taskId} returned to queue "${queue.name}": ${reason}`);
  } catch (err) {
    say(`Warning: could not return task ${taskId} to queue "${queue.name}": ${(err as Error).message}`);
  }
}

/** Record the queue a task came from (`properties/k8s-queue`, as the reference). Never throws. */
export async function recordQueue(client: ApiClient, taskId: string, queue: QueueRef): Promise<void> {
  await client.call("tasks.edit_hyper_params", {
    task: taskId,
    hyperparams: [{ section: "properties", name: "k8s-queue", value: queue.name, type: "str" }],
    replace_hyperparams: "none",
  }).catch(() => {});
}

/** The statuses (and status messages) of tasks, by id. */
export async function taskStates(
  client: ApiClient,
  ids: string[],
): Promise<Map<string, { status: string; message: string }>> {
  const out = new Map<string, { status: string; message: string }>();
  if (ids.length === 0) return out;
  const found = await tasks.queryTasks(client, { id: ids, only_fields: ["id", "status", "status_message"] });
  for (const t of found) out.set(t.id, { status: t.status ?? "", message: String(t.status_message ?? "") });
  return out;
}
