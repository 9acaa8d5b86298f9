/**
 * `events.add_batch`: log events as a JSON-lines POST (unversioned), packed into requests of at most 1 MiB and
 * messages of at most 64 KiB, as the reference sends them.
 *
 * @module
 */

import type { ApiClient, CallOptions } from "./client.ts";
import type { AddBatchResult } from "./types.ts";
import type { LogEvent, TaskLogEvent, TaskLogPage } from "../wire/log_event.ts";

/** Largest request body the reference sends to `events.add_batch`. */
export const MAX_BATCH_BYTES = 1_048_576;

/**
 * Send `events`; splits them into requests of at most `MAX_BATCH_BYTES` and resolves to the number the server
 * added. Throws `ApiError` when a request fails (after the call's retry policy).
 */
export async function addLogEvents(
  client: ApiClient,
  events: readonly LogEvent[],
  options: CallOptions = {},
): Promise<number> {
  let added = 0;
  let batch: LogEvent[] = [];
  let size = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const res = await client.callLines<AddBatchResult>("events.add_batch", batch, options);
    added += res.added ?? batch.length;
    batch = [];
    size = 0;
  };
  for (const event of events) {
    const bytes = new TextEncoder().encode(JSON.stringify(event)).byteLength + 1;
    if (size + bytes > MAX_BATCH_BYTES) await flush();
    batch.push(event);
    size += bytes;
  }
  await flush();
  return added;
}

/**
 * `events.get_task_log` (≥ 2.9 shape) oldest first: events strictly after `fromTimestamp` (epoch ms), at most
 * `batchSize` plus every other event of the last one's timestamp (the server never splits a timestamp).
 */
export async function getTaskLog(
  client: ApiClient,
  task: string,
  query: { fromTimestamp?: number; batchSize?: number } = {},
  options: CallOptions = {},
): Promise<{ events: TaskLogEvent[]; total: number }> {
  const body: Record<string, unknown> = { task, navigate_earlier: false, batch_size: query.batchSize ?? 5000 };
  if (query.fromTimestamp !== undefined) body.from_timestamp = query.fromTimestamp;
  const data = await client.call<Partial<TaskLogPage>>("events.get_task_log", body, {
    version: "2.9",
    ...options,
  });
  return { events: data.events ?? [], total: data.total ?? 0 };
}
