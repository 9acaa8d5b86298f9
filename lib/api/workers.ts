/**
 * Typed `workers.*` calls (unversioned, as the reference sends them; agent-reference §4.3).
 *
 * @module
 */

import type { ApiClient, CallOptions } from "./client.ts";

/** `workers.register`; `timeout` (seconds) is how long the server keeps a silent worker (server default 600). */
export async function registerWorker(
  client: ApiClient,
  worker: string,
  queues: string[],
  options: CallOptions & { timeout?: number } = {},
): Promise<void> {
  const { timeout, ...call } = options;
  await client.call("workers.register", timeout ? { worker, queues, timeout } : { worker, queues }, call);
}

/** `workers.unregister`. */
export async function unregisterWorker(
  client: ApiClient,
  worker: string,
  queues: string[] = [],
  options: CallOptions = {},
): Promise<void> {
  await client.call("workers.unregister", { worker, queues }, options);
}

/** `workers.status_report` with a free-form report (§5.3). */
export async function reportWorkerStatus(
  client: ApiClient,
  report: Record<string, unknown>,
  options: CallOptions = {},
): Promise<void> {
  await client.call("workers.status_report", report, options);
}

/** `workers.get_all`. */
export async function getWorkers(
  client: ApiClient,
  lastSeen = 0,
  options: CallOptions = {},
): Promise<Record<string, unknown>[]> {
  const data = await client.call<{ workers?: Record<string, unknown>[] }>("workers.get_all", { last_seen: lastSeen }, {
    ...options,
  });
  return data.workers ?? [];
}

/** One worker runtime property; `expiry` is seconds left (`null`: none). */
export interface RuntimeProperty {
  key: string;
  value: string;
  expiry?: number | null;
}

/** `workers.get_runtime_properties` (API ≥ 2.10; enterprise upstream, ours implements it). */
export async function getRuntimeProperties(
  client: ApiClient,
  worker: string,
  options: CallOptions = {},
): Promise<RuntimeProperty[]> {
  const data = await client.call<{ runtime_properties?: RuntimeProperty[] }>(
    "workers.get_runtime_properties",
    { worker },
    options,
  );
  return data.runtime_properties ?? [];
}

/** `workers.set_runtime_properties`; `expiry` in seconds (0 or absent: none); an empty value deletes the key. */
export async function setRuntimeProperties(
  client: ApiClient,
  worker: string,
  properties: RuntimeProperty[],
  options: CallOptions = {},
): Promise<void> {
  await client.call("workers.set_runtime_properties", { worker, runtime_properties: properties }, options);
}
