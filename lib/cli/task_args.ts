/**
 * The flags of each `task` verb, one small commander program per verb (the top-level parser hands `task` its
 * raw arguments). `create` takes the Python `clearml-task` CLI's flags (`--docker_args` keeps its underscore).
 * A verb's task is given as the first positional argument or `--id`.
 *
 * @module
 */

import { Command, CommanderError, Option } from "commander";
import { UsageError } from "./errors.ts";
import { TASK_TYPES } from "../task/create_spec.ts";
import { PROGRAM_NAME } from "../version.ts";

/** The verbs, in help order. */
export const TASK_VERBS = [
  "create",
  "enqueue",
  "dequeue",
  "list",
  "show",
  "logs",
  "abort",
  "reset",
  "clone",
  "delete",
] as const;

/** A verb name. */
export type TaskVerb = typeof TASK_VERBS[number];

/** Parsed flags of one verb: commander's option values plus the task (positional or `--id`). */
export interface VerbArgs {
  verb: TaskVerb;
  /** The task id or name, for verbs that act on one task. */
  task?: string;
  opts: Record<string, unknown>;
}

const TASKED: ReadonlySet<TaskVerb> = new Set([
  "enqueue",
  "dequeue",
  "show",
  "logs",
  "abort",
  "reset",
  "clone",
  "delete",
]);

function base(verb: TaskVerb, description: string): Command {
  const cmd = new Command(`${PROGRAM_NAME} task ${verb}`)
    .description(description)
    .exitOverride()
    .helpOption(false)
    .allowExcessArguments(false)
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  if (TASKED.has(verb)) cmd.argument("[task]", "task id or name").option("--id <task>", "task id or name");
  return cmd;
}

function program(verb: TaskVerb): Command {
  switch (verb) {
    case "create":
      return base(verb, "Create a task from a repository, a local checkout or a script (clearml-task flags)")
        .option("--project <name>", "project name (created if missing; optional with --base-task-id)")
        .option("--name <name>", "task name")
        .option("--repo <url_or_path>", "git repository URL, or a local git checkout")
        .option("--branch <branch>", "branch (the latest commit of it)")
        .option("--commit <commit>", "commit id")
        .option("--folder <path>", "a local folder or git checkout with the code")
        .option("--script <file>", "entry point script (relative to the repository, or a local file)")
        .option("--module <module>", "run a python module (-m MODULE) instead of a script")
        .option("--binary <binary>", "interpreter of the entry point (default python3; bash for .sh)")
        .option("--cwd <dir>", "working folder, relative to the repository root")
        .option("--args <pairs...>", "arguments as name=value (stored in the Args section)")
        .option("--base-task-id <task>", "clone this task instead of using code flags, then apply overrides")
        .option("--output-uri <uri>", "output destination of models and artifacts")
        .option("--requirements <file>", "requirements.txt to install (default: the repository's)")
        .option("--packages <packages...>", 'packages to install, e.g. "tqdm>=2.1" scikit-learn')
        .option("--docker <image>", "container image (docker mode)")
        .option("--docker_args <args>", "container arguments, one string")
        .option("--docker_bash_setup_script <script>", "bash script (or file) run in the container before setup")
        .option("--queue <queue>", "enqueue the task at once")
        .option("--tags <tags...>", "task tags")
        .addOption(new Option("--task-type <type>", "task type").choices(TASK_TYPES))
        .option("--no-args-as-cli", "pass Args only through the ClearML SDK, not as --name=value arguments")
        .option("--json", "print JSON", false);
    case "enqueue":
      return base(verb, "Put a task in a queue").option(
        "--queue <queue>",
        "queue id or name (default: the default queue)",
      )
        .option("--json", "print JSON", false);
    case "dequeue":
      return base(verb, "Take a queued task out of its queue").option("--json", "print JSON", false);
    case "list":
      return base(verb, "List tasks")
        .option("--project <name>", "only tasks of this project")
        .option("--status <statuses...>", "only tasks in these statuses")
        .option("--queue <queue>", "only tasks sent to this queue")
        .option("--tags <tags...>", "only tasks with these tags")
        .option("--limit <n>", "at most this many tasks (newest first)", positive("--limit"), 50)
        .option("--json", "print JSON", false);
    case "show":
      return base(verb, "Show a task").option("--json", "print the whole task document as JSON", false);
    case "logs":
      return base(verb, "Print a task's log")
        .option("-f, --follow", "keep printing new lines until the task ends", false)
        .addOption(
          new Option("--poll-interval <ms>", "milliseconds between polls with --follow").argParser(
            positive("--poll-interval"),
          )
            .default(1000).hideHelp(),
        );
    case "abort":
      return base(verb, "Abort a task (tasks.stop): a running task is stopped by its worker")
        .option("--json", "print JSON", false);
    case "reset":
      return base(verb, "Reset a task to draft: out of every queue, log and results deleted")
        .option("--force", "also reset a task that is running or published", false)
        .option("--json", "print JSON", false);
    case "clone":
      return base(verb, "Clone a task, optionally overriding Args and packages, and enqueue the clone")
        .option("--name <name>", "name of the clone (default: Clone of <name>)")
        .option("--project <name>", "project of the clone (default: the task's)")
        .option("--args <pairs...>", "Args overrides as name=value")
        .option("--packages <packages...>", "replace the requirements with these packages")
        .option("--requirements <file>", "replace the requirements with this file's")
        .option("--queue <queue>", "enqueue the clone at once")
        .option("--json", "print JSON", false);
    case "delete":
      return base(verb, "Delete a task with its log")
        .option("--force", "also delete a task that is not a draft", false)
        .option("--json", "print JSON", false);
  }
}

function positive(flag: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
      throw new UsageError(`argument ${flag}: expected a positive whole number: '${value}'`);
    }
    return Number(value);
  };
}

/** True when `word` names a verb. */
export function isTaskVerb(word: string | undefined): word is TaskVerb {
  return (TASK_VERBS as readonly string[]).includes(word ?? "");
}

/** Help of `task` (no verb) or of one verb. */
export function taskHelp(verb?: TaskVerb): string {
  if (verb) return program(verb).helpInformation().replace(/^Usage: /, "usage: ").trimEnd() + "\n";
  const lines = [`usage: ${PROGRAM_NAME} task <verb> [options]`, "", "verbs:"];
  for (const v of TASK_VERBS) lines.push(`  ${v.padEnd(10)} ${program(v).description()}`);
  lines.push("", `Run "${PROGRAM_NAME} task <verb> --help" for the options of a verb.`);
  return lines.join("\n") + "\n";
}

/** Parse the arguments of `verb`; throws `UsageError` (exit 2) for bad flags. */
export function parseVerbArgs(verb: TaskVerb, args: readonly string[]): VerbArgs {
  const cmd = program(verb);
  try {
    cmd.parse([...args], { from: "user" });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (err instanceof CommanderError) throw new UsageError(`task ${verb}: ${err.message.replace(/^error: /, "")}`);
    throw err;
  }
  const opts = cmd.opts();
  const positional = cmd.args[0];
  if (positional !== undefined && opts.id !== undefined && positional !== opts.id) {
    throw new UsageError(`task ${verb}: give the task once (as an argument or with --id)`);
  }
  const task = (opts.id as string | undefined) ?? positional;
  if (TASKED.has(verb) && !task) throw new UsageError(`task ${verb}: expected a task id or name`);
  return { verb, task, opts };
}
