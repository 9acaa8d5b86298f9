/**
 * Typed `queues.*` calls, with the reference's versions (agent-reference §4.3).
 *
 * @module
 */

import type { ApiClient, CallOptions } from "./client.ts";
import type { Queue } from "./types.ts";

/** `queues.get_all` (v2.5) by exact name (case-insensitive), as the reference resolves names. */
export async function findQueuesByName(client: ApiClient, name: string, options: CallOptions = {}): Promise<Queue[]> {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const data = await client.call<{ queues?: Queue[] }>(
    "queues.get_all",
    { name: escaped, only_fields: ["name", "id"], search_hidden: true },
    { version: "2.5", ...options },
  );
  return (data.queues ?? []).filter((q) => (q.name ?? "").toLowerCase() === name.toLowerCase());
}

/** `queues.get_all` (v2.5) by ids. */
export async function getQueues(
  client: ApiClient,
  ids: string[],
  onlyFields?: string[],
  options: CallOptions = {},
): Promise<Queue[]> {
  const body: Record<string, unknown> = { id: ids };
  if (onlyFields) body.only_fields = onlyFields;
  const data = await client.call<{ queues?: Queue[] }>("queues.get_all", body, { version: "2.5", ...options });
  return data.queues ?? [];
}

/** `queues.get_default` (v2.5): the default queue's id. */
export async function getDefaultQueue(client: ApiClient, options: CallOptions = {}): Promise<string> {
  const data = await client.call<{ id: string }>("queues.get_default", {}, { version: "2.5", ...options });
  return data.id;
}

/** `queues.create` (v2.5); resolves to the new queue's id. */
export async function createQueue(
  client: ApiClient,
  name: string,
  systemTags?: string[],
  options: CallOptions = {},
): Promise<string> {
  const body: Record<string, unknown> = { name };
  if (systemTags) body.system_tags = systemTags;
  const data = await client.call<{ id: string }>("queues.create", body, { version: "2.5", ...options });
  return data.id;
}

/** `queues.get_next_task` (v2.14): the popped task id, or undefined when the queue is empty. */
export async function getNextTask(
  client: ApiClient,
  queue: string,
  options: CallOptions = {},
): Promise<string | undefined> {
  const data = await client.call<{ entry?: { task?: string } }>("queues.get_next_task", { queue }, {
    version: "2.14",
    ...options,
  });
  return data.entry?.task;
}
