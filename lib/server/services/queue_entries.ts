/**
 * Queue entries (the ordered `entries` array of a queue, stored one row per entry with an integer position) and
 * queue lookups shared by the queue and task services. FIFO: append at the tail, pop the lowest position.
 *
 * @module
 */

import { shaped } from "../default_shape.ts";
import { errors } from "../errors.ts";
import type { Doc } from "../json.ts";
import type { Db, QueueDoc } from "../storage/model.ts";
import type { CallContext } from "../registry.ts";
import { isoDate } from "../time.ts";

/** One queue entry as returned. */
export interface Entry {
  task: string;
  added: string;
}

/** The long-poll key of a queue. */
export function queueKey(queueId: string): string {
  return `queue:${queueId}`;
}

/** The queue, or `400/701`. */
export function getQueue(ctx: CallContext, id: string): QueueDoc {
  const q = ctx.db.queues.get(id);
  if (!q) throw errors.invalidQueueId(undefined, { queue: id });
  return q;
}

/** The single queue tagged `default` (`400/707` none, `400/708` several). */
export function defaultQueue(db: Db): QueueDoc {
  const found = db.queues.all().filter((q) => (q.system_tags ?? []).includes("default"));
  if (found.length === 0) throw errors.noDefaultQueue();
  if (found.length > 1) throw errors.multipleDefaultQueues(undefined, { queues: found.map((q) => q.id) });
  return found[0];
}

/** The entries of a queue, head first (optionally only the first `limit`). */
export function entriesOf(db: Db, queueId: string, limit?: number): Entry[] {
  const rows = limit === undefined
    ? db.store.all("SELECT task, added FROM queue_entries WHERE queue = ? ORDER BY pos", queueId)
    : db.store.all("SELECT task, added FROM queue_entries WHERE queue = ? ORDER BY pos LIMIT ?", queueId, limit);
  return rows.map((r) => ({ task: String(r.task), added: String(r.added) }));
}

/** Number of entries in a queue. */
export function countEntries(db: Db, queueId: string): number {
  return Number(db.store.get("SELECT COUNT(*) AS n FROM queue_entries WHERE queue = ?", queueId)?.n ?? 0);
}

/** Set a queue's `last_update`. */
export function touchQueue(db: Db, queueId: string, now: number): void {
  db.store.run("UPDATE queues SET doc = json_set(doc, '$.last_update', ?) WHERE id = ?", isoDate(now), queueId);
}

/** True when the task has an entry in the queue. */
export function inQueue(db: Db, queueId: string, taskId: string): boolean {
  return db.store.get("SELECT 1 AS x FROM queue_entries WHERE queue = ? AND task = ?", queueId, taskId) !== undefined;
}

/** Append a task at the tail (`400/706` when already there) and wake long-pollers after commit. */
export function appendEntry(ctx: CallContext, queueId: string, taskId: string): void {
  if (inQueue(ctx.db, queueId, taskId)) {
    throw errors.taskAlreadyQueued(undefined, { queue: queueId, task: taskId });
  }
  ctx.db.store.run(
    "INSERT INTO queue_entries (queue, pos, task, added) " +
      "VALUES (?, (SELECT COALESCE(MAX(pos), 0) + 1 FROM queue_entries WHERE queue = ?), ?, ?)",
    queueId,
    queueId,
    taskId,
    isoDate(ctx.now),
  );
  touchQueue(ctx.db, queueId, ctx.now);
  ctx.afterCommit(() => ctx.app.notify(queueKey(queueId)));
}

/** Remove a task from one queue; returns the number of entries removed. */
export function removeEntry(db: Db, queueId: string, taskId: string, now: number): number {
  const n = db.store.run("DELETE FROM queue_entries WHERE queue = ? AND task = ?", queueId, taskId);
  if (n > 0) touchQueue(db, queueId, now);
  return n;
}

/** Remove a task from every queue (except `keep`); returns the number of entries removed. */
export function removeFromAllQueues(db: Db, taskId: string, now: number, keep?: string): number {
  const queues = db.store.all("SELECT DISTINCT queue FROM queue_entries WHERE task = ?", taskId)
    .map((r) => String(r.queue)).filter((q) => q !== keep);
  let n = 0;
  for (const q of queues) n += removeEntry(db, q, taskId, now);
  return n;
}

/** Pop the head entry (only if it is `onlyTask`, when given). */
export function popHead(db: Db, queueId: string, now: number, onlyTask?: string): Entry | undefined {
  const head = db.store.get("SELECT pos, task, added FROM queue_entries WHERE queue = ? ORDER BY pos LIMIT 1", queueId);
  if (!head) return undefined;
  if (onlyTask !== undefined && head.task !== onlyTask) return undefined;
  db.store.run("DELETE FROM queue_entries WHERE queue = ? AND pos = ?", queueId, head.pos);
  touchQueue(db, queueId, now);
  return { task: String(head.task), added: String(head.added) };
}

/** Replace a queue's entries with this order (used by the move_* calls). */
export function rewriteEntries(db: Db, queueId: string, entries: Entry[], now: number): void {
  db.store.run("DELETE FROM queue_entries WHERE queue = ?", queueId);
  entries.forEach((e, i) =>
    db.store.run(
      "INSERT INTO queue_entries (queue, pos, task, added) VALUES (?, ?, ?, ?)",
      queueId,
      i + 1,
      e.task,
      e.added,
    )
  );
  touchQueue(db, queueId, now);
}

/** The queue document as returned (entries joined, tags sorted, old-version metadata as a list). */
export function queueView(db: Db, q: QueueDoc, opts: { maxEntries?: number; oldMetadata: boolean }): Doc {
  return shaped("queue", {
    ...q,
    entries: entriesOf(db, q.id, opts.maxEntries),
    metadata: opts.oldMetadata ? [] : q.metadata,
  });
}
