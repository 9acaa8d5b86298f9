/**
 * `clearml-agent task <verb>`: create, enqueue, clone, watch and abort tasks from the same binary, without the
 * Python SDK or a web UI. The verb's flags are parsed here (`task_args.ts`); each verb group lives in its own
 * file: `task_create.ts`, `task_clone.ts`, `task_state.ts` (enqueue, dequeue, abort, reset, delete),
 * `task_view.ts` (list, show), `task_logs.ts` (logs).
 *
 * Output: a verb prints its result on stdout (an id, a table, a log), or JSON with `--json`; notes and warnings
 * go to stderr.
 *
 * @module
 */

import type { GlobalOptions, TaskOptions } from "./args_types.ts";
import { UsageError } from "./errors.ts";
import { isTaskVerb, parseVerbArgs, TASK_VERBS, taskHelp } from "./task_args.ts";

function print(text: string): Promise<number> {
  return Deno.stdout.write(new TextEncoder().encode(text)).then(() => 0);
}

/** Run `task`; resolves to the exit code. */
export async function runTaskCommand(global: GlobalOptions, options: TaskOptions): Promise<number> {
  const { verb, args } = options;
  if (verb === undefined || verb === "-h" || verb === "--help" || verb === "help") return await print(taskHelp());
  if (!isTaskVerb(verb)) {
    throw new UsageError(`task: unknown verb "${verb}" (choose from ${TASK_VERBS.join(", ")})`);
  }
  if (args.includes("-h") || args.includes("--help")) return await print(taskHelp(verb));
  const parsed = parseVerbArgs(verb, args);
  switch (parsed.verb) {
    case "create":
      return await (await import("./task_create.ts")).runTaskCreate(global, parsed);
    case "clone":
      return await (await import("./task_clone.ts")).runTaskClone(global, parsed);
    case "enqueue":
    case "dequeue":
    case "abort":
    case "reset":
    case "delete":
      return await (await import("./task_state.ts")).runTaskState(global, parsed);
    case "list":
    case "show":
      return await (await import("./task_view.ts")).runTaskView(global, parsed);
    case "logs":
      return await (await import("./task_logs.ts")).runTaskLogs(global, parsed);
  }
}
