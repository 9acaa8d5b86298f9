/**
 * `daemon --status` (agent-reference §1.9): the working hours, whether the worker is forced on or off (runtime
 * property `force`, with its expiry; queues tagged `force_workers:on/off`), what that means for each queue right
 * now, and with `--dynamic-gpus` who holds which GPU on this machine. The reference's lines come first:
 *
 * ```
 * Working hours uptime configurations
 *   - 17:00-19:59 on SUN and TUE
 * Currently forced ON
 *   - Server runtime property 'force: on' expires at 18:30
 *   - Listening to queue 'gpu' (tagged 'force_workers:on')
 * ```
 *
 * then `Worker "<id>": pulling|not pulling (<reason>)` and one line per queue. Without a server (unreachable,
 * or no such queue) the local part is printed and a line says what is unknown.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { RETRY } from "../api/retry_policy.ts";
import { readLedger } from "./gpu_pool.ts";
import { type QueueRef, resolveQueues } from "./queue_poller.ts";
import { describeEntry, FORCE_OFF_TAG, FORCE_ON_TAG, type WorkingHours } from "./schedule.ts";
import { WorkerSchedule } from "./worker_schedule.ts";

/** Options of `scheduleStatus`. */
export interface ScheduleStatusOptions {
  client: ApiClient;
  hours: WorkingHours | null;
  /** `--queue` values (names/ids; empty: the default queue). */
  queues: readonly string[];
  /** The worker whose runtime properties count (the running daemon's, or the one a daemon would get). */
  workerId: string;
  /** With `--dynamic-gpus`: the GPUs, and the folder of the machine's GPU ledger. */
  gpus?: { ids: readonly string[]; dir: string };
  /** @default Date.now */
  now?: () => number;
}

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** The working-hours lines (no server needed). */
export function hoursLines(hours: WorkingHours | null): string[] {
  if (!hours) return ["No uptime/downtime configurations found"];
  return [`Working hours ${hours.kind} configurations`, ...hours.entries.map((e) => `  - ${describeEntry(e)}`)];
}

/** The GPU ledger lines of `--dynamic-gpus`. */
export function gpuLines(gpus: { ids: readonly string[]; dir: string }): string[] {
  const ledger = readLedger(gpus.dir);
  return [
    "GPUs:",
    ...gpus.ids.map((g) => {
      const h = ledger[g];
      if (!h) return `  - ${g}: free`;
      return h.task ? `  - ${g}: task ${h.task} (worker "${h.worker}")` : `  - ${g}: reserved by "${h.worker}"`;
    }),
  ];
}

/** All status lines. */
export async function scheduleStatus(o: ScheduleStatusOptions): Promise<string[]> {
  const now = o.now ?? Date.now;
  const lines = hoursLines(o.hours);
  let queues: QueueRef[];
  try {
    await o.client.login({ retry: RETRY.none, signal: AbortSignal.timeout(30_000) });
    queues = await resolveQueues(o.client, o.queues, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    lines.push(`Cannot read queue tags and runtime properties from the server: ${(err as Error).message}`);
    return [...lines, ...(o.gpus ? gpuLines(o.gpus) : [])];
  }
  const notes: string[] = [];
  const schedule = new WorkerSchedule({
    client: o.client,
    workerId: o.workerId,
    queues,
    hours: o.hours,
    refreshMs: 0,
    now,
    readOnly: true,
    say: (line) => notes.push(line),
  });
  await schedule.refresh({ force: true });
  for (const value of ["on", "off"] as const) {
    const tag = value === "on" ? FORCE_ON_TAG : FORCE_OFF_TAG;
    const byProperty = schedule.force?.value === value;
    const tagged = queues.filter((q) => schedule.tagsOf(q.id).includes(tag));
    if (!byProperty && tagged.length === 0) continue;
    lines.push(`Currently forced ${value.toUpperCase()}`);
    if (byProperty) {
      const at = schedule.force!.expiresAt;
      lines.push(
        `  - Server runtime property 'force: ${value}' ${at === null ? "has no expiry" : `expires at ${hhmm(at)}`}`,
      );
    }
    for (const q of tagged) lines.push(`  - Listening to queue '${q.name}' (tagged '${tag}')`);
  }
  lines.push(...notes);
  const decisions = queues.map((q) => ({ q, d: schedule.decide(q) }));
  const active = decisions.find((x) => x.d.active);
  const state = active ? `pulling (${active.d.reason})` : `not pulling (${decisions[0]?.d.reason ?? "no queue"})`;
  lines.push(`Worker "${o.workerId}": ${state}`);
  lines.push("Queues:");
  for (const { q, d } of decisions) {
    lines.push(`  - '${q.name}' (${q.id}): ${d.active ? "" : "not "}pulling, ${d.reason}`);
  }
  return [...lines, ...(o.gpus ? gpuLines(o.gpus) : [])];
}
