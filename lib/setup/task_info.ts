/**
 * What a task asks to run, parsed from its `script` and `execution` fields (agent-reference §6.1): repository and
 * revision, entry point and working folder, uncommitted diff, requirements, interpreter.
 *
 * @module
 */

import { posix } from "node:path";
import type { Task, TaskRequirements } from "../api/types.ts";
import { scriptFieldProblem } from "../task/script_fields.ts";

/** The parsed execution fields of a task. */
export interface ExecutionInfo {
  repository: string;
  branch: string;
  tag: string;
  /** The commit (`script.version_num`). */
  commit: string;
  /** Entry point: `train.py`, `-m package.module args`, `run.sh`, `-c "..."`. */
  entryPoint: string;
  /** Working folder relative to the repository root (`.` when empty). */
  workingDir: string;
  /** `script.diff`: a git diff, or for tasks without a repository the script itself. */
  diff: string;
  /** `script.binary`, e.g. `python3.10`, `/usr/bin/python3`, `bash`. */
  binary: string;
  requirements: TaskRequirements;
  /** `execution.docker_cmd` or `container.image` (venv cache key input). */
  dockerImage: string;
}

function str(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}

function normalizeRelative(path: string): string {
  if (path === "") return "";
  const expanded = path.replace(/\$\{?(\w+)\}?/g, (m, name) => Deno.env.get(name) ?? m);
  return posix.normalize(expanded);
}

/** Parse a task's execution fields; throws `TypeError` naming the field when one is unusable. */
export function parseExecutionInfo(task: Task): ExecutionInfo {
  const problem = scriptFieldProblem(task.script);
  if (problem) {
    throw new TypeError(`task field ${problem.field}: expected ${problem.expected}, got ${problem.got}`);
  }
  const script = task.script ?? {};
  let entryPoint = normalizeRelative(str(script.entry_point));
  let workingDir = str(script.working_dir);
  if (!workingDir && entryPoint.includes(":") && !entryPoint.startsWith("-")) {
    const [entry, dir] = entryPoint.split(":", 2);
    entryPoint = entry;
    workingDir = dir;
  }
  if (entryPoint.startsWith("-m ") || entryPoint.startsWith("-c ")) entryPoint = str(script.entry_point);
  workingDir = normalizeRelative(workingDir) || ".";
  const requirements = script.requirements ?? {};
  const docker = str(task.execution?.docker_cmd) || str(task.container?.image);
  return {
    repository: str(script.repository),
    branch: str(script.branch),
    tag: str(script.tag),
    commit: str(script.version_num),
    entryPoint,
    workingDir,
    diff: typeof script.diff === "string" ? script.diff : "",
    binary: str(script.binary),
    requirements,
    dockerImage: docker.split(/\s+/)[0] ?? "",
  };
}

/**
 * The Python version a `script.binary` asks for: `python3.10` → `3.10`, `/usr/bin/python3.10.4` → `3.10`,
 * `python3` → `3`; `python`, empty or a non-python binary → undefined (no preference).
 */
export function requestedPythonVersion(binary: string): string | undefined {
  const name = binary.split("/").pop() ?? "";
  const m = /^python(\d+)(?:\.(\d+))?/.exec(name);
  if (!m) return undefined;
  return m[2] === undefined ? m[1] : `${m[1]}.${m[2]}`;
}

/** How the entry point runs: python (default) or a shell (`bash`, `sh`, `zsh`). */
export function binaryKind(binary: string): "python" | "shell" {
  const name = binary.split("/").pop() ?? "";
  if (["bash", "sh", "zsh"].includes(name)) return "shell";
  return "python";
}

/** True when `diff` is a git diff (starts with `diff ` or `submodule ` as the reference checks). */
export function isGitDiff(diff: string): boolean {
  const text = diff.trimStart();
  return text.startsWith("diff ") || /^submodule [\s\S]*?\ndiff /.test(text);
}

/** The pip requirement text of a task (`pip` as text or list of lines), or undefined when the task has none. */
export function pipRequirementsText(requirements: TaskRequirements, original = false): string | undefined {
  const value = original ? requirements.org_pip ?? requirements.pip : requirements.pip;
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value.join("\n") : String(value);
}

/** True when a task asks for its `Args` hyperparameters on the command line (`runtime._args_as_cli`). */
export function wantsArgsOnCommandLine(task: Task): boolean {
  const flag = task.runtime?._args_as_cli;
  return flag === true || flag === "true" || flag === "1" || flag === 1;
}

/**
 * The `Args` section as command-line arguments, in the section's order: `--name=value`, or `--name` for an empty
 * value.
 */
export function argsFromHyperparams(task: Task): string[] {
  const section = task.hyperparams?.Args ?? {};
  const out: string[] = [];
  for (const [key, item] of Object.entries(section)) {
    const name = item.name ?? key;
    const value = item.value ?? "";
    out.push(value === "" ? `--${name}` : `--${name}=${value}`);
  }
  return out;
}
