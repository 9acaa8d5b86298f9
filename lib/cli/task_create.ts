/**
 * `clearml-agent task create`: the Python `clearml-task` CLI in our binary. Local input (code source,
 * requirements, setup script, `--args`) is checked before the server is contacted, and the queue before the task
 * is made, so that bad input writes nothing. The task is made in one `tasks.create` call (or, with
 * `--base-task-id`, a clone with its overrides); `--queue` enqueues it. Prints the id (`--json`: an object).
 *
 * @module
 */

import type { GlobalOptions } from "./args_types.ts";
import { UsageError } from "./errors.ts";
import { note, printJson, printOut } from "./_print.ts";
import { openSession } from "./_api_session.ts";
import type { VerbArgs } from "./task_args.ts";
import type { ApiClient } from "../api/client.ts";
import { createTask, deleteTask, enqueueTask } from "../api/tasks.ts";
import { type ArgPair, parseArgPairs } from "../task/args.ts";
import { cloneWithOverrides } from "../task/clone.ts";
import { containerOf, createBody, setupScriptText } from "../task/create_spec.ts";
import { pipText } from "../task/packages.ts";
import { resolveProjectId, resolveQueue, resolveTaskId } from "../task/resolve.ts";
import { resolveScriptSource, type ScriptSource } from "../task/script_source.ts";

/** `--args` words as pairs; a malformed word is a usage error. */
export function argPairsOf(verb: string, words: unknown): ArgPair[] {
  try {
    return parseArgPairs((words as string[] | undefined) ?? []);
  } catch (err) {
    throw new UsageError(`task ${verb}: argument --args: ${(err as Error).message}`);
  }
}

/**
 * Enqueue a task this command just made; if that fails the task is deleted again (best effort), so that the
 * command either fully succeeds or leaves nothing behind.
 */
export async function enqueueNew(client: ApiClient, id: string, queue: { id: string; name: string }): Promise<void> {
  try {
    await enqueueTask(client, id, queue.id);
  } catch (err) {
    await deleteTask(client, id, true).catch(() => {});
    throw new Error(`Cannot enqueue the new task in queue "${queue.name}" (the task was not kept)`, { cause: err });
  }
  note(`Task id=${id} sent for execution on queue ${queue.name}`);
}

const CODE_FLAGS = ["repo", "folder", "script", "module", "branch", "commit", "cwd", "binary"] as const;

/** Run `task create`; resolves to the exit code. */
export async function runTaskCreate(global: GlobalOptions, parsed: VerbArgs): Promise<number> {
  const o = parsed.opts;
  const str = (key: string) => o[key] as string | undefined;
  const baseTask = str("baseTaskId");
  if (!str("name") && !baseTask) throw new UsageError("task create: --name is required (the task's name)");
  if (!str("project") && !baseTask) throw new UsageError("task create: --project is required (the task's project)");
  for (const flag of ["name", "project"]) {
    const value = str(flag)?.trim();
    if (value !== undefined && value.length < 3) {
      throw new UsageError(`task create: --${flag} "${value}" is too short: the server needs at least 3 characters`);
    }
  }
  if (baseTask) {
    const given = CODE_FLAGS.find((f) => o[f] !== undefined);
    if (given) throw new UsageError(`task create: --${given} cannot be used with --base-task-id (its code is kept)`);
  }
  const args = argPairsOf("create", o.args);
  const pip = await pipText({ requirementsFile: str("requirements"), packages: o.packages as string[] | undefined });
  const container = containerOf({
    docker: str("docker"),
    dockerArgs: str("docker_args"),
    dockerBashSetupScript: await setupScriptText(str("docker_bash_setup_script")),
  });
  let source: ScriptSource | undefined;
  if (!baseTask) {
    source = await resolveScriptSource({
      repo: str("repo"),
      branch: str("branch"),
      commit: str("commit"),
      folder: str("folder"),
      script: str("script"),
      module: str("module"),
      binary: str("binary"),
      cwd: str("cwd"),
    });
    for (const line of source.notes) note(`Warning: ${line}`);
  }

  const { client } = openSession(global);
  const queue = str("queue") ? await resolveQueue(client, str("queue")!) : undefined;
  const baseId = baseTask ? await resolveTaskId(client, baseTask) : undefined;
  const projectId = str("project") ? await resolveProjectId(client, str("project")!, { create: true }) : undefined;
  let id: string;
  if (baseId) {
    id = (await cloneWithOverrides(client, baseId, {
      name: str("name"),
      projectId,
      args,
      pip,
      container,
      outputUri: str("outputUri"),
      tags: o.tags as string[] | undefined,
    })).id;
  } else {
    id = await createTask(
      client,
      createBody({
        name: str("name")!,
        projectId,
        taskType: str("taskType"),
        source: source!,
        pip,
        args,
        argsAsCli: o.argsAsCli !== false,
        container,
        outputUri: str("outputUri"),
        tags: o.tags as string[] | undefined,
      }),
    );
  }
  if (queue) await enqueueNew(client, id, queue);
  else if (!o.json) {
    note("No queue given: the task stays a draft (task enqueue ID --queue Q sends it)");
  }
  if (o.json) await printJson({ id, project: projectId ?? null, queue: queue?.id ?? null });
  else await printOut(`${id}\n`);
  return 0;
}
