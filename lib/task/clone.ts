/**
 * "Clone, edit, enqueue" without a UI: `tasks.clone` with the `Args` overrides merged into the source's
 * hyperparameters (`new_task_hyperparams`), then one `tasks.edit` for what `tasks.clone` does not carry or
 * take: the task tools' runtime flags (`_CLEARML_TASK`, `_args_as_cli`, which the server does not copy),
 * replaced requirements and the output destination. If that edit fails the clone is deleted again, so a failed
 * command leaves no half-made task behind.
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { cloneTaskWith, deleteTask, editTask, getTask } from "../api/tasks.ts";
import { type ArgPair, withArgs } from "./args.ts";

/** What the clone changes. */
export interface CloneOverrides {
  /** Name of the clone, or a function of the source's name (default: the source's name). */
  name?: string | ((sourceName: string) => string);
  projectId?: string;
  args: readonly ArgPair[];
  /** New `pip` requirements text (replaces the source's requirements). */
  pip?: string;
  container?: Record<string, string>;
  outputUri?: string;
  tags?: readonly string[];
}

/** Clone `sourceId` with `overrides`; resolves to the clone's id and the source's name. */
export async function cloneWithOverrides(
  client: ApiClient,
  sourceId: string,
  overrides: CloneOverrides,
): Promise<{ id: string; sourceName: string }> {
  const source = await getTask(client, sourceId);
  const sourceName = source.name ?? sourceId;
  const name = typeof overrides.name === "function" ? overrides.name(sourceName) : overrides.name ?? sourceName;
  const body: Record<string, unknown> = { task: sourceId, new_task_name: name };
  if (overrides.projectId) body.new_task_project = overrides.projectId;
  if (overrides.args.length > 0) body.new_task_hyperparams = withArgs(source.hyperparams, overrides.args);
  if (overrides.container) body.new_task_container = overrides.container;
  if (overrides.tags && overrides.tags.length > 0) body.new_task_tags = [...overrides.tags];
  const id = await cloneTaskWith(client, body as { task: string });
  const runtime: Record<string, unknown> = {};
  for (const key of ["_CLEARML_TASK", "_args_as_cli"]) {
    if (source.runtime?.[key] !== undefined) runtime[key] = source.runtime[key];
  }
  const edit: Record<string, unknown> = {};
  if (Object.keys(runtime).length > 0) edit.runtime = runtime;
  if (overrides.pip !== undefined) edit.script = { requirements: { pip: overrides.pip } };
  if (overrides.outputUri) edit.output_dest = overrides.outputUri;
  if (Object.keys(edit).length > 0) {
    try {
      await editTask(client, id, edit);
    } catch (err) {
      await deleteTask(client, id, true).catch(() => {});
      throw err;
    }
  }
  return { id, sourceName };
}
