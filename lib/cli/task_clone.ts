/**
 * `task clone TASK [--args name=value ...] [--packages ...] [--queue Q]`: the "clone, edit, enqueue" flow
 * without a UI. The clone is named `Clone of <name>` unless `--name` is given; `--args` overrides (or adds)
 * `Args` items; `--packages`/`--requirements` replace its requirements. Prints the clone's id (`--json`: an
 * object).
 *
 * @module
 */

import type { GlobalOptions } from "./args_types.ts";
import { openSession } from "./_api_session.ts";
import { printJson, printOut } from "./_print.ts";
import { argPairsOf, enqueueNew } from "./task_create.ts";
import type { VerbArgs } from "./task_args.ts";
import { cloneWithOverrides } from "../task/clone.ts";
import { pipText } from "../task/packages.ts";
import { resolveProjectId, resolveQueue, resolveTaskId } from "../task/resolve.ts";

/** Run `task clone`; resolves to the exit code. */
export async function runTaskClone(global: GlobalOptions, parsed: VerbArgs): Promise<number> {
  const o = parsed.opts;
  const args = argPairsOf("clone", o.args);
  const pip = await pipText({
    requirementsFile: o.requirements as string | undefined,
    packages: o.packages as string[] | undefined,
  });
  const { client } = openSession(global);
  const sourceId = await resolveTaskId(client, parsed.task!);
  const queue = o.queue ? await resolveQueue(client, o.queue as string) : undefined;
  const projectId = o.project ? await resolveProjectId(client, o.project as string, { create: true }) : undefined;
  const name = (o.name as string | undefined) ?? ((source: string) => `Clone of ${source}`);
  const { id } = await cloneWithOverrides(client, sourceId, { name, projectId, args, pip });
  if (queue) await enqueueNew(client, id, queue);
  if (o.json) await printJson({ id, source: sourceId, queue: queue?.id ?? null });
  else await printOut(`${id}\n`);
  return 0;
}
