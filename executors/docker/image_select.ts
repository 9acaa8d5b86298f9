/**
 * Which image and docker arguments a task runs with (agent-reference §8.1): the task's own `container.image` (or
 * the legacy `execution.docker_cmd`) with its arguments, unless the agent forces its own image
 * (`agent.disable_task_docker_override`, `build --force-docker`) or the task names none; then the agent's image:
 * `--docker IMAGE ARGS...` from the command line, else `CLEARML_DOCKER_IMAGE` / `agent.default_docker.image` with
 * `agent.default_docker.arguments`. The task's `setup_shell_script` is used either way.
 *
 * @module
 */

import { containerFieldProblem } from "../../lib/task/script_fields.ts";
import type { Task } from "../../lib/api/types.ts";
import { shlexSplit } from "../../lib/config/shlex.ts";

/** The agent's side of the choice. */
export interface AgentDocker {
  /** `--docker IMAGE`. */
  cliImage?: string;
  /** `--docker IMAGE ARGS...`. */
  cliArgs: string[];
  /** `agent.default_docker.image` (with `CLEARML_DOCKER_IMAGE` applied). */
  defaultImage?: string;
  /** `agent.default_docker.arguments`: a list, or one string (shell-split). */
  defaultArgs?: unknown;
  /** Ignore the task's image and arguments. */
  force: boolean;
}

/** The image a task runs in. */
export interface ContainerChoice {
  image: string;
  args: string[];
  /** The task's `container.setup_shell_script`. */
  setupScript: string;
  /** True when the agent's image is used (the reference writes it back to the task). */
  isDefault: boolean;
}

function argList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).flatMap((v) => shlexSplit(v));
  if (typeof value === "string") return shlexSplit(value);
  return [];
}

/** The task's own image and arguments (`container`, else the legacy `execution.docker_cmd`). */
export function taskContainer(task: Pick<Task, "container" | "execution">): { image: string; args: string[] } {
  const c = task.container ?? {};
  const image = typeof c.image === "string" ? c.image.trim() : "";
  if (image) return { image, args: argList(c.arguments ?? "") };
  const legacy = typeof task.execution?.docker_cmd === "string" ? shlexSplit(task.execution.docker_cmd) : [];
  return { image: legacy[0] ?? "", args: legacy.slice(1) };
}

/** Choose the image; throws when there is none at all. */
export function chooseContainer(task: Pick<Task, "container" | "execution">, agent: AgentDocker): ContainerChoice {
  const problem = containerFieldProblem(task);
  if (problem) throw new Error(`Task field ${problem.field}: expected ${problem.expected}, got ${problem.got}`);
  const setupScript = typeof task.container?.setup_shell_script === "string" ? task.container.setup_shell_script : "";
  const own = taskContainer(task);
  if (own.image && !agent.force) return { image: own.image, args: own.args, setupScript, isDefault: false };
  const image = agent.cliImage || agent.defaultImage?.trim() || "";
  if (!image) {
    throw new Error(
      "No docker image for the task: give one with --docker IMAGE, CLEARML_DOCKER_IMAGE or agent.default_docker.image",
    );
  }
  const args = agent.cliImage ? agent.cliArgs : argList(agent.defaultArgs);
  return { image, args, setupScript, isDefault: true };
}
