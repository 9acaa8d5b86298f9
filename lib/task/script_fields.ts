/**
 * The types of the task fields the agent reads, as the ClearML API schema declares them: `script` text fields are
 * strings, `script.requirements` is an object whose `pip`/`conda` entries are text or lists of lines, and
 * `container.{image,arguments,setup_shell_script}` and `execution.docker_cmd` are strings. The embedded server
 * refuses other types on `tasks.create`/`edit` (as the real one does), and `execute` refuses a stored task with
 * them, naming the field, instead of silently running without (say) its requirements.
 *
 * @module
 */

/** Fields of `script` that hold text. */
const TEXT_FIELDS = [
  "binary",
  "repository",
  "tag",
  "branch",
  "version_num",
  "entry_point",
  "working_dir",
  "diff",
] as const;

/** Entries of `script.requirements` that hold requirement text. */
const REQUIREMENT_FIELDS = ["pip", "conda", "org_pip", "org_conda"] as const;

function typeName(value: unknown): string {
  if (Array.isArray(value)) return "list";
  if (value === null) return "null";
  return typeof value === "object" ? "object" : typeof value;
}

/** A wrong-typed `script` field: its dotted name, what it must be, what it is. */
export interface ScriptFieldProblem {
  field: string;
  expected: string;
  got: string;
}

/** The first wrong-typed field of a `script` value (`null`/absent fields are fine), or `undefined`. */
export function scriptFieldProblem(script: unknown): ScriptFieldProblem | undefined {
  if (script === undefined || script === null) return undefined;
  if (typeof script !== "object" || Array.isArray(script)) {
    return { field: "script", expected: "object", got: typeName(script) };
  }
  const s = script as Record<string, unknown>;
  for (const key of TEXT_FIELDS) {
    const v = s[key];
    if (v !== undefined && v !== null && typeof v !== "string") {
      return { field: `script.${key}`, expected: "string", got: typeName(v) };
    }
  }
  const req = s.requirements;
  if (req === undefined || req === null) return undefined;
  if (typeof req !== "object" || Array.isArray(req)) {
    return { field: "script.requirements", expected: 'object like {pip: "..."}', got: typeName(req) };
  }
  for (const key of REQUIREMENT_FIELDS) {
    const v = (req as Record<string, unknown>)[key];
    const ok = v === undefined || v === null || typeof v === "string" ||
      (Array.isArray(v) && v.every((line) => typeof line === "string"));
    if (!ok) return { field: `script.requirements.${key}`, expected: "string or list of strings", got: typeName(v) };
  }
  return undefined;
}

/** The first wrong-typed container field (`container.*`, `execution.docker_cmd`) of a task, or `undefined`. */
export function containerFieldProblem(
  task: { container?: unknown; execution?: unknown },
): ScriptFieldProblem | undefined {
  const fields: [string, unknown][] = [];
  if (task.container && typeof task.container === "object") {
    const c = task.container as Record<string, unknown>;
    for (const key of ["image", "arguments", "setup_shell_script"]) fields.push([`container.${key}`, c[key]]);
  }
  if (task.execution && typeof task.execution === "object") {
    fields.push(["execution.docker_cmd", (task.execution as Record<string, unknown>).docker_cmd]);
  }
  for (const [field, v] of fields) {
    if (v !== undefined && v !== null && typeof v !== "string") return { field, expected: "string", got: typeName(v) };
  }
  return undefined;
}
