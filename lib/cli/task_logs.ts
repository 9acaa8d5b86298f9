/**
 * `task logs TASK [--follow]`: the task's console log from the server; with `--follow` new lines are printed
 * live until the task ends. The exit code then says how it ended: 0 when it completed (or was published), 1
 * with one line otherwise; Ctrl-C stops following (exit 130).
 *
 * @module
 */

import type { GlobalOptions } from "./args_types.ts";
import { openSession } from "./_api_session.ts";
import { printOut } from "./_print.ts";
import type { VerbArgs } from "./task_args.ts";
import { getTaskLog } from "../api/events.ts";
import { queryTasks } from "../api/tasks.ts";
import { printTaskLog } from "../task/log_follow.ts";
import { resolveTaskId } from "../task/resolve.ts";

const PAGE = 5000;

/** Run `task logs`; resolves to the exit code. */
export async function runTaskLogs(global: GlobalOptions, parsed: VerbArgs): Promise<number> {
  const { client } = openSession(global);
  const id = await resolveTaskId(client, parsed.task!);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const status = await printTaskLog({
      fetchLog: async (from) => (await getTaskLog(client, id, { fromTimestamp: from, batchSize: PAGE })).events,
      pageSize: PAGE,
      taskStatus: async () => {
        const [task] = await queryTasks(client, { id: [id], only_fields: ["status"], search_hidden: true });
        if (!task) throw new Error(`Task "${id}" was deleted while its log was followed`);
        return task.status ?? "unknown";
      },
      write: printOut,
      follow: Boolean(parsed.opts.follow),
      pollMs: parsed.opts.pollInterval as number,
      signal: controller.signal,
    });
    if (controller.signal.aborted) return 130;
    if (status === undefined || status === "completed" || status === "published") return 0;
    throw new Error(`Task "${id}" ended with status "${status}"`);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}
