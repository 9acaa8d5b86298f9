/**
 * The `task` verbs that change a task's state: `enqueue` (`tasks.enqueue`; default queue when none is given),
 * `dequeue` (back to the status it had before), `abort` (`tasks.stop`: a task no worker runs is stopped at once,
 * a running one gets `stopping` and its worker ends it), `reset` and `delete`. Each prints one line on stdout
 * (`--json`: the task's id and new status).
 *
 * @module
 */

import type { GlobalOptions } from "./args_types.ts";
import { openSession } from "./_api_session.ts";
import { printJson, printOut } from "./_print.ts";
import type { VerbArgs } from "./task_args.ts";
import type { ApiClient } from "../api/client.ts";
import { getDefaultQueue, getQueues } from "../api/queues.ts";
import { RETRY } from "../api/retry_policy.ts";
import { deleteTask, dequeueTaskToPrevious, enqueueTask, queryTasks, resetTask, stopTask } from "../api/tasks.ts";
import { resolveQueue, resolveTaskId } from "../task/resolve.ts";

const FINISHED = new Set(["completed", "failed", "stopped", "closed", "published", "publishing"]);

async function statusOf(client: ApiClient, id: string): Promise<{ status: string; message: string; name: string }> {
  const [task] = await queryTasks(client, {
    id: [id],
    only_fields: ["id", "name", "status", "status_message"],
    search_hidden: true,
  });
  return { status: task?.status ?? "unknown", message: task?.status_message ?? "", name: task?.name ?? id };
}

async function defaultQueue(client: ApiClient): Promise<{ id: string; name: string }> {
  let id: string;
  try {
    id = await getDefaultQueue(client);
  } catch (err) {
    throw new Error("No default queue on the server: give --queue", { cause: err });
  }
  const [queue] = await getQueues(client, [id], ["id", "name"]);
  return { id, name: queue?.name ?? id };
}

async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Error(what, { cause: err });
  }
}

/** Run `enqueue`, `dequeue`, `abort`, `reset` or `delete`; resolves to the exit code. */
export async function runTaskState(global: GlobalOptions, parsed: VerbArgs): Promise<number> {
  const { client } = openSession(global);
  const id = await resolveTaskId(client, parsed.task!);
  const retry = { retry: RETRY.call };
  let line: string;
  let result: Record<string, unknown>;
  switch (parsed.verb) {
    case "enqueue": {
      const given = parsed.opts.queue as string | undefined;
      const queue = given ? await resolveQueue(client, given) : await defaultQueue(client);
      await attempt(`Cannot enqueue task "${id}" in queue "${queue.name}"`, () => enqueueTask(client, id, queue.id));
      line = `Task ${id} queued in "${queue.name}"`;
      result = { id, status: "queued", queue: queue.id };
      break;
    }
    case "dequeue": {
      const before = await statusOf(client, id);
      if (before.status !== "queued") throw new Error(`Task "${id}" is not queued: its status is "${before.status}"`);
      await attempt(`Cannot dequeue task "${id}"`, () => dequeueTaskToPrevious(client, id, {}, retry));
      const after = await statusOf(client, id);
      line = `Task ${id} dequeued (status: ${after.status})`;
      result = { id, status: after.status };
      break;
    }
    case "abort": {
      const before = await statusOf(client, id);
      if (FINISHED.has(before.status) || before.status === "created") {
        throw new Error(`Task "${id}" is not queued or running: its status is "${before.status}"`);
      }
      await attempt(
        `Cannot abort task "${id}"`,
        () => stopTask(client, id, { status_reason: "aborted by clearml-agent task abort" }, retry),
      );
      const after = await statusOf(client, id);
      line = after.status === "in_progress"
        ? `Task ${id}: abort requested; its worker is stopping it`
        : `Task ${id} aborted (status: ${after.status})`;
      result = { id, status: after.status, status_message: after.message };
      break;
    }
    case "reset": {
      const force = Boolean(parsed.opts.force);
      const before = await statusOf(client, id);
      if (before.status === "in_progress" && !force) {
        throw new Error(`Task "${id}" is running: abort it first, or reset it with --force`);
      }
      await attempt(`Cannot reset task "${id}"`, () => resetTask(client, id, { force }, retry));
      line = `Task ${id} reset (status: created)`;
      result = { id, status: "created" };
      break;
    }
    case "delete": {
      const force = Boolean(parsed.opts.force);
      const before = await statusOf(client, id);
      if (before.status !== "created" && !force) {
        throw new Error(`Task "${id}" is not a draft (status "${before.status}"): delete it with --force`);
      }
      await attempt(`Cannot delete task "${id}"`, () => deleteTask(client, id, force, retry));
      line = `Task ${id} deleted`;
      result = { id, deleted: true };
      break;
    }
    default:
      throw new Error(`Unhandled verb "${parsed.verb}"`);
  }
  if (parsed.opts.json) await printJson(result);
  else await printOut(line + "\n");
  return 0;
}
