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
