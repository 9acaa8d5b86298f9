/**
 * The server's housekeeping pass, run on a timer (and directly by tests with an injected clock): expired workers
 * are removed and their in-progress tasks get the status message `worker <id> stopped reporting`; in-progress
 * tasks silent for `staleTaskSec` (upstream: 7200 s) are force-stopped with `Forced stop (non-responsive)`;
 * expired worker runtime properties are dropped.
 *
 * @module
 */

import type { Db } from "./storage/model.ts";
import { markOrphanedTasks } from "./services/workers.ts";
import { isoDate, parseDate } from "./time.ts";

/** What one pass did. */
export interface WatchdogReport {
  expiredWorkers: string[];
  markedTasks: string[];
  stoppedTasks: string[];
}

/** Run one housekeeping pass at time `now` (epoch ms), in one transaction. */
export function runWatchdog(db: Db, now: number, staleTaskSec: number): WatchdogReport {
  return db.store.tx(() => {
    const report: WatchdogReport = { expiredWorkers: [], markedTasks: [], stoppedTasks: [] };
    const expired = db.store.all("SELECT key, id FROM workers WHERE expires_at <= ?", now);
    for (const row of expired) {
      const id = String(row.id);
      db.store.run("DELETE FROM workers WHERE key = ?", row.key);
      report.expiredWorkers.push(id);
      const stillLive = db.store.get("SELECT 1 AS x FROM workers WHERE id = ? AND expires_at > ?", id, now);
      if (!stillLive) report.markedTasks.push(...markOrphanedTasks(db, id, now, `worker ${id} stopped reporting`));
    }
    const limit = now - staleTaskSec * 1000;
    for (const task of db.tasks.all("status = 'in_progress'")) {
      const last = parseDate(task.last_update);
      if (last === undefined || last >= limit) continue;
      const stamp = isoDate(now);
      task.status = "stopped";
      task.status_reason = task.status_message = "Forced stop (non-responsive)";
      task.status_changed =
        task.last_change =
        task.last_update =
        task.completed =
          stamp;
      db.tasks.update(task);
      report.stoppedTasks.push(task.id);
    }
    db.store.run("DELETE FROM worker_properties WHERE expires_at IS NOT NULL AND expires_at <= ?", now);
    return report;
  });
}
