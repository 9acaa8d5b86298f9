/**
 * `task list` (filters: project, status, queue, tags; newest first; a table, or `--json`) and `task show` (a
 * readable summary of one task, or its whole document with `--json`).
 *
 * @module
 */

import type { GlobalOptions } from "./args_types.ts";
import { UsageError } from "./errors.ts";
import { openSession } from "./_api_session.ts";
import { printJson, printOut } from "./_print.ts";
import type { VerbArgs } from "./task_args.ts";
import type { ApiClient } from "../api/client.ts";
import { getProjects } from "../api/projects.ts";
import { getQueues } from "../api/queues.ts";
import { getTask, queryTasks } from "../api/tasks.ts";
import type { Task } from "../api/types.ts";
import { resolveProjectId, resolveQueue, resolveTaskId } from "../task/resolve.ts";
import { renderFields, renderTable, shortDate } from "../task/table.ts";
import { TASK_STATUSES } from "../wire/task_vocabulary.ts";

async function names(
  client: ApiClient,
  kind: "project" | "queue",
  ids: string[],
): Promise<Map<string, string>> {
  const unique = [...new Set(ids.filter(Boolean))];
  if (unique.length === 0) return new Map();
  const found = kind === "project"
    ? await getProjects(client, unique)
    : await getQueues(client, unique, ["id", "name"]);
  return new Map(found.map((x) => [x.id, x.name ?? x.id]));
}

async function list(client: ApiClient, o: Record<string, unknown>): Promise<number> {
  const statuses = (o.status as string[] | undefined)?.flatMap((s) => s.split(",")).filter(Boolean);
  const bad = statuses?.find((s) => !(TASK_STATUSES as readonly string[]).includes(s));
  if (bad) {
    throw new UsageError(
      `task list: argument --status: invalid choice: '${bad}' (choose from ${TASK_STATUSES.join(", ")})`,
    );
  }
  const query: Record<string, unknown> = {
    order_by: ["-last_update"],
    page: 0,
    page_size: o.limit as number,
    only_fields: ["id", "name", "status", "type", "project", "execution.queue", "last_update", "tags", "last_worker"],
  };
  if (o.project) query.project = [await resolveProjectId(client, o.project as string)];
  if (statuses && statuses.length > 0) query.status = statuses;
  if (o.queue) query["execution.queue"] = [(await resolveQueue(client, o.queue as string)).id];
  if (o.tags) query.tags = o.tags;
  const tasks = await queryTasks(client, query);
  const projects = await names(client, "project", tasks.map((t) => t.project ?? ""));
  const queues = await names(client, "queue", tasks.map((t) => t.execution?.queue ?? ""));
  if (o.json) {
    await printJson(tasks.map((t) => ({
      id: t.id,
      name: t.name ?? "",
      status: t.status ?? "",
      type: t.type ?? "",
      project: t.project ? { id: t.project, name: projects.get(t.project) ?? t.project } : null,
      queue: t.execution?.queue ? { id: t.execution.queue, name: queues.get(t.execution.queue) ?? "" } : null,
      last_update: t.last_update ?? null,
      tags: t.tags ?? [],
    })));
    return 0;
  }
  if (tasks.length === 0) {
    await printOut("No tasks\n");
    return 0;
  }
  const columns = [
    { header: "ID" },
    { header: "NAME", maxWidth: 40 },
    { header: "PROJECT", maxWidth: 30 },
    { header: "STATUS" },
    { header: "TYPE" },
    { header: "QUEUE", maxWidth: 20 },
    { header: "UPDATED" },
  ];
  const rows = tasks.map((t) => [
    t.id,
    t.name ?? "",
    projects.get(t.project ?? "") ?? "",
    t.status ?? "",
    t.type ?? "",
    queues.get(t.execution?.queue ?? "") ?? "",
    shortDate(t.last_update),
  ]);
  await printOut(renderTable(columns, rows));
  return 0;
}

function argsText(task: Task): string {
  return Object.values(task.hyperparams?.Args ?? {}).map((p) => `${p.name}=${p.value ?? ""}`).join(" ");
}

function requirementsText(task: Task): string {
  const pip = task.script?.requirements?.pip;
  const text = Array.isArray(pip) ? pip.join("\n") : pip ?? "";
  return text.trim();
}

async function show(client: ApiClient, id: string, json: boolean): Promise<number> {
  const task = await getTask(client, id);
  if (json) {
    await printJson(task);
    return 0;
  }
  const [project] = task.project ? await getProjects(client, [task.project]) : [];
  const queueId = task.execution?.queue;
  const [queue] = queueId ? await getQueues(client, [queueId], ["id", "name"]) : [];
  const s = task.script ?? {};
  const reason = [task.status_reason, task.status_message].filter(Boolean).join("; ");
  const container = task.container?.image
    ? [task.container.image, task.container.arguments].filter(Boolean).join(" ")
    : "";
  await printOut(renderFields([
    ["id", task.id],
    ["name", task.name],
    ["project", project ? `${project.name} (${project.id})` : task.project],
    ["type", task.type],
    ["status", reason ? `${task.status} (${reason})` : task.status],
    ["queue", queueId ? `${queue?.name ?? ""} (${queueId})` : undefined],
    ["worker", task.last_worker as string | undefined],
    ["repository", s.repository],
    ["branch", s.branch],
    ["commit", s.version_num],
    ["entry point", s.entry_point],
    ["working dir", s.working_dir],
    ["binary", s.binary],
    ["uncommitted", s.diff ? `${s.diff.split("\n").length} line(s) of ${s.repository ? "diff" : "script"}` : undefined],
    ["args", argsText(task)],
    ["requirements", requirementsText(task)],
    ["container", container],
    ["output", (task.output as { destination?: string } | undefined)?.destination],
    ["created", shortDate(task.created)],
    ["started", shortDate(task.started)],
    ["completed", shortDate(task.completed)],
    ["last update", shortDate(task.last_update)],
  ]));
  return 0;
}

/** Run `list` or `show`; resolves to the exit code. */
export async function runTaskView(global: GlobalOptions, parsed: VerbArgs): Promise<number> {
  const { client } = openSession(global);
  if (parsed.verb === "list") return await list(client, parsed.opts);
  return await show(client, await resolveTaskId(client, parsed.task!), Boolean(parsed.opts.json));
}
