/**
 * Names to ids for the task tools: a task, queue or project given by id or by exact name (agent-reference §4.4):
 * an id-looking value is tried as an id first, then as a name; `execute --id` takes an id as given, as the
 * reference does. An unknown or ambiguous name is an error that names it.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { createProject, findProjectsByName, getProjects } from "../api/projects.ts";
import { findQueuesByName, getQueues } from "../api/queues.ts";
import { findTasksByName, queryTasks } from "../api/tasks.ts";

const ID_LIKE = /^[0-9a-f]{32}$/i;

/** True when `text` looks like a ClearML object id (32 hex digits). */
export function isIdLike(text: string): boolean {
  return ID_LIKE.test(text);
}

function ambiguous(kind: string, name: string, ids: string[]): Error {
  return new Error(`Found several ${kind}s named "${name}": ${ids.join(", ")}: use the id`);
}

async function taskIdByName(client: ApiClient, name: string): Promise<string> {
  const byName = await findTasksByName(client, name);
  if (byName.length === 1) return byName[0].id;
  if (byName.length > 1) throw ambiguous("task", name, byName.map((t) => t.id));
  throw new Error(`Unknown task "${name}": no task has this id or name`);
}

/**
 * The id of an existing task `idOrName`, checked (the `task` verbs, `build`): an id-looking value is looked up as
 * an id first, then as a name; throws `Unknown task "x"` when there is none.
 */
export async function resolveTaskId(client: ApiClient, idOrName: string): Promise<string> {
  if (isIdLike(idOrName)) {
    const found = await queryTasks(client, { id: [idOrName], only_fields: ["id"], search_hidden: true });
    if (found.length > 0) return found[0].id;
  }
  return await taskIdByName(client, idOrName);
}

/** What `execute --id` takes as an id without asking (agent-reference §4.4). */
const EXECUTE_ID_LIKE = /^[-a-f0-9]{30,}$/;

/**
 * The task `execute --id` runs, as the reference resolves it: an id-looking value is used as given, with no call
 * (the daemon passes the id it pulled; a task that is gone fails the first task call), a name is looked up by
 * exact name; throws `Unknown task "x"` when no task has it.
 */
export async function resolveExecuteTaskId(client: ApiClient, idOrName: string): Promise<string> {
  return EXECUTE_ID_LIKE.test(idOrName) ? idOrName : await taskIdByName(client, idOrName);
}

/** The id and name of the queue `idOrName`; throws `Unknown queue "x"` when there is none. */
export async function resolveQueue(client: ApiClient, idOrName: string): Promise<{ id: string; name: string }> {
  if (isIdLike(idOrName)) {
    const found = await getQueues(client, [idOrName], ["id", "name"]);
    if (found.length > 0) return { id: found[0].id, name: found[0].name ?? found[0].id };
  }
  const byName = await findQueuesByName(client, idOrName);
  if (byName.length === 1) return { id: byName[0].id, name: byName[0].name ?? idOrName };
  if (byName.length > 1) throw ambiguous("queue", idOrName, byName.map((q) => q.id));
  throw new Error(`Unknown queue "${idOrName}": no queue has this id or name`);
}

/**
 * The id of the project `idOrName`. With `create`, a missing project (given by name) is created, as the
 * `clearml-task` CLI does; otherwise it is an error.
 */
export async function resolveProjectId(
  client: ApiClient,
  idOrName: string,
  options: { create?: boolean } = {},
): Promise<string> {
  if (isIdLike(idOrName)) {
    const found = await getProjects(client, [idOrName]);
    if (found.length > 0) return found[0].id;
  }
  const byName = await findProjectsByName(client, idOrName);
  if (byName.length === 1) return byName[0].id;
  if (byName.length > 1) throw ambiguous("project", idOrName, byName.map((p) => p.id));
  if (options.create) return await createProject(client, idOrName);
  throw new Error(`Unknown project "${idOrName}": no project has this id or name`);
}
