/**
 * The fields of a task made by `task create`, as the `clearml-task` CLI writes them (server-api §7 (iv)):
 * `script` (with `requirements`), `container` (`--docker`, `--docker_args`, `--docker_bash_setup_script`),
 * `hyperparams.Args` (`--args`), `runtime._CLEARML_TASK`, `output_dest`, `tags`, `type`. Our addition:
 * `runtime._args_as_cli`, on by default, makes `execute` pass the `Args` section as `--name=value` arguments,
 * so that a script without the ClearML SDK receives them (argparse scripts read them either way). Pure.
 *
 * @module
 */

import type { HyperParam } from "../api/types.ts";
import { type ArgPair, withArgs } from "./args.ts";
import type { ScriptSource } from "./script_source.ts";
import { TASK_TYPES } from "../wire/task_vocabulary.ts";

export { TASK_TYPES };

/** The container flags. */
export interface ContainerFlags {
  docker?: string;
  dockerArgs?: string;
  /** The setup script's text (already read from a file when a file was named). */
  dockerBashSetupScript?: string;
}

/** Everything a new task is made of (ids already resolved). */
export interface CreateSpecInput {
  name: string;
  projectId?: string;
  taskType?: string;
  source: ScriptSource;
  /** `pip` text, or undefined to leave `requirements` empty (the agent then uses the repository's file). */
  pip?: string;
  args: readonly ArgPair[];
  argsAsCli: boolean;
  /** `container` (see `containerOf`). */
  container?: Record<string, string>;
  outputUri?: string;
  tags?: readonly string[];
}

/** `container` of the flags, or undefined when none is given. */
export function containerOf(flags: ContainerFlags): Record<string, string> | undefined {
  if (flags.docker === undefined && flags.dockerArgs === undefined && flags.dockerBashSetupScript === undefined) {
    return undefined;
  }
  return {
    image: flags.docker ?? "",
    arguments: flags.dockerArgs ?? "",
    setup_shell_script: flags.dockerBashSetupScript ?? "",
  };
}

/** The runtime flags of a task made (or cloned) by the task tools. */
export function toolRuntime(argsAsCli: boolean): Record<string, unknown> {
  return argsAsCli ? { _CLEARML_TASK: true, _args_as_cli: true } : { _CLEARML_TASK: true };
}

/** The `tasks.create` body. */
export function createBody(input: CreateSpecInput): Record<string, unknown> {
  const requirements: Record<string, string> = {};
  if (input.pip !== undefined) requirements.pip = input.pip;
  else if (input.source.kind === "single-script" || input.source.kind === "module") requirements.pip = "";
  const body: Record<string, unknown> = {
    name: input.name,
    type: input.taskType ?? "training",
    comment: "Created by clearml-agent task create",
    script: { ...input.source.script, requirements },
    runtime: toolRuntime(input.argsAsCli),
  };
  if (input.projectId) body.project = input.projectId;
  const hyperparams: Record<string, Record<string, HyperParam>> = withArgs({}, input.args);
  if (Object.keys(hyperparams).length > 0) body.hyperparams = hyperparams;
  if (input.container) body.container = { ...input.container };
  if (input.outputUri) body.output_dest = input.outputUri;
  if (input.tags && input.tags.length > 0) body.tags = [...input.tags];
  return body;
}

/** The setup script text of `--docker_bash_setup_script`: a file's lines without a `#!` line, or the text. */
export async function setupScriptText(value: string | undefined): Promise<string | undefined> {
  if (value === undefined) return undefined;
  let text: string;
  try {
    if (!(await Deno.stat(value)).isFile) return value;
    text = await Deno.readTextFile(value);
  } catch {
    return value;
  }
  const lines = text.split("\n");
  if (lines[0]?.trim().startsWith("#!")) lines.shift();
  return lines.join("\n");
}
