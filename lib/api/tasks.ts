/**
 * Typed `tasks.*` calls, with the API versions the reference uses (agent-reference §4.3).
 *
 * @module
 */

import type { ApiClient, CallOptions } from "./client.ts";
import { RETRY } from "./retry_policy.ts";
import type { StatusChangeResult, Task, TaskRequirements } from "./types.ts";

/** Fields of a status change. */
export interface StatusChange {
  force?: boolean;
  status_reason?: string;
  status_message?: string;
}

/** `tasks.get_by_id` (v2.5): the whole task document. */
export async function getTask(client: ApiClient, task: string, options: CallOptions = {}): Promise<Task> {
  const data = await client.call<{ task: Task }>("tasks.get_by_id", { task }, { version: "2.5", ...options });
  return data.task;
}

/** `tasks.get_all` (v2.14) for one task with `only_fields`; undefined when the server does not return it. */
export async function getTaskFields(
  client: ApiClient,
  task: string,
  onlyFields: string[],
  options: CallOptions = {},
): Promise<Task | undefined> {
  const data = await client.call<{ tasks?: Task[] }>(
    "tasks.get_all",
    { id: [task], only_fields: onlyFields, search_hidden: true },
    { version: "2.14", ...options },
  );
  return data.tasks?.[0];
}

/** `tasks.get_all` by exact name (name → id resolution, §4.4); the matching tasks' ids and names. */
export async function findTasksByName(
  client: ApiClient,
  name: string,
  options: CallOptions = {},
): Promise<{ id: string; name: string }[]> {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const data = await client.call<{ tasks?: Task[] }>(
    "tasks.get_all",
    { name: escaped, only_fields: ["name", "id"], search_hidden: true },
    { version: "2.14", ...options },
  );
  return (data.tasks ?? [])
    .filter((t) => (t.name ?? "").toLowerCase() === name.toLowerCase())
    .map((t) => ({ id: t.id, name: t.name ?? "" }));
}

/** `tasks.dequeue` (unversioned), as `execute` does: `{task, new_status: "in_progress"}`. */
export function dequeueTask(client: ApiClient, task: string, options: CallOptions = {}): Promise<StatusChangeResult> {
  return client.call("tasks.dequeue", { task, new_status: "in_progress" }, options);
}

/** `tasks.clone` (v2.5); resolves to the new task id. */
export async function cloneTask(
  client: ApiClient,
  task: string,
  newName: string,
  options: CallOptions = {},
): Promise<string> {
  const data = await client.call<{ id: string }>("tasks.clone", { task, new_task_name: newName }, {
    version: "2.5",
    ...options,
  });
  return data.id;
}

function statusCall(endpoint: string) {
  return (client: ApiClient, task: string, change: StatusChange = {}, options: CallOptions = {}) =>
    client.call<StatusChangeResult>(endpoint, { task, force: false, ...change }, {
      version: "2.5",
      retry: RETRY.status,
      ...options,
    });
}

/** `tasks.started` (v2.5). */
export const startedTask = statusCall("tasks.started");
/** `tasks.completed` (v2.5). */
export const completedTask = statusCall("tasks.completed");
/** `tasks.failed` (v2.5). */
export const failedTask = statusCall("tasks.failed");
/** `tasks.stopped` (v2.5). */
export const stoppedTask = statusCall("tasks.stopped");

/** `tasks.ping` (v2.5). */
export async function pingTask(client: ApiClient, task: string, options: CallOptions = {}): Promise<void> {
  await client.call("tasks.ping", { task }, { version: "2.5", ...options });
}

/** `tasks.set_requirements` (v2.5). */
export async function setRequirements(
  client: ApiClient,
  task: string,
  requirements: TaskRequirements,
  options: CallOptions = {},
): Promise<void> {
  await client.call("tasks.set_requirements", { task, requirements }, {
    version: "2.5",
    retry: RETRY.status,
    ...options,
  });
}

/** `tasks.edit` with `force: true` (v2.5 for `script`, unversioned for `runtime`, as the reference). */
export async function editTask(
  client: ApiClient,
  task: string,
  fields: Record<string, unknown>,
  options: CallOptions = {},
): Promise<void> {
  await client.call("tasks.edit", { task, force: true, ...fields }, options);
}

/** `tasks.create` with any task fields; resolves to the new task id. */
export async function createTask(
  client: ApiClient,
  fields: Record<string, unknown>,
  options: CallOptions = {},
): Promise<string> {
  const data = await client.call<{ id: string }>("tasks.create", fields, options);
  return data.id;
}

/** `tasks.clone` with the `new_task_*` overrides (server-api §4.2.6); resolves to the new task id. */
export async function cloneTaskWith(
  client: ApiClient,
  body: { task: string; [key: string]: unknown },
  options: CallOptions = {},
): Promise<string> {
  const data = await client.call<{ id: string }>("tasks.clone", body, options);
  return data.id;
}

/** `tasks.get_all` with a free query (filters, `only_fields`, `order_by`, paging). */
export async function queryTasks(
  client: ApiClient,
  query: Record<string, unknown>,
  options: CallOptions = {},
): Promise<Task[]> {
  const data = await client.call<{ tasks?: Task[] }>("tasks.get_all", query, options);
  return data.tasks ?? [];
}

/** `tasks.enqueue {task, queue}` (the SDK's call); `force` also moves `in_progress`/`completed` tasks. */
export function enqueueTask(
  client: ApiClient,
  task: string,
  queue: string,
  change: StatusChange = {},
  options: CallOptions = {},
): Promise<StatusChangeResult & { queued?: number }> {
  return client.call("tasks.enqueue", { task, queue, ...change }, options);
}

/** `tasks.dequeue` back to the status before the enqueue (as the UI does; `execute` uses `dequeueTask`). */
export function dequeueTaskToPrevious(
  client: ApiClient,
  task: string,
  change: StatusChange = {},
  options: CallOptions = {},
): Promise<StatusChangeResult & { dequeued?: number }> {
  return client.call("tasks.dequeue", { task, ...change }, options);
}

/** `tasks.stop`: stopped at once when no worker runs the task, else `in_progress` with message `stopping`. */
export const stopTask = statusCall("tasks.stop");

/** `tasks.reset`: back to `created`, out of every queue, log and metrics deleted. */
export const resetTask = statusCall("tasks.reset");

/** `tasks.delete`. */
export async function deleteTask(
  client: ApiClient,
  task: string,
  force = false,
  options: CallOptions = {},
): Promise<void> {
  await client.call("tasks.delete", { task, force }, options);
}
