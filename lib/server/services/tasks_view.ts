/**
 * How a stored task is returned (server-api.md §4.2.1, §4.2.3): the task's default shape (`default_shape.ts`), and
 * the old-version views — `execution.parameters` / `model_desc` below 2.9,
 * `execution.docker_cmd`, `execution.model` and `output.model` below 2.13. Also the `get_all` query description
 * for tasks.
 *
 * @module
 */

import { shaped } from "../default_shape.ts";
import { clone, type Doc } from "../json.ts";
import type { TaskDoc } from "../storage/model.ts";
import { project, type QuerySpec } from "../queries/query.ts";
import { below, type Version } from "../registry.ts";

/** The `get_all` description of tasks. */
export const TASK_SPEC: QuerySpec = {
  pattern: ["name", "comment", "report"],
  lists: [
    "id",
    "user",
    "tags",
    "system_tags",
    "type",
    "status",
    "project",
    "parent",
    "last_worker",
    "execution.queue",
    "models.input.model",
    "models.output.model",
  ],
  listPrefixes: ["hyperparams.", "runtime.", "container.", "script.", "configuration.", "execution.", "output."],
  ranges: ["active_duration", "last_iteration"],
  rangePrefixes: ["last_metrics."],
  dates: ["status_changed", "last_update", "last_change", "created", "started", "completed", "published"],
  text: ["name", "comment", "id", "report"],
  hiddenFields: ["unique_metrics", "company_origin", "enqueue_status"],
  numericOrderPrefixes: ["hyperparams.", "last_metrics."],
  isHidden: (doc) => ((doc.system_tags as string[] | undefined) ?? []).includes("hidden"),
};

/** Map a legacy path (`execution.parameters.lr`) to where the value is stored (`hyperparams.Args.lr.value`). */
export function mapLegacyPath(path: string): string {
  const neg = path.startsWith("-") ? "-" : "";
  const bare = neg ? path.slice(1) : path;
  if (bare.startsWith("execution.parameters.")) {
    return `${neg}hyperparams.Args.${bare.slice("execution.parameters.".length)}.value`;
  }
  return path;
}

/** Apply the read conversions and defaults; returns a new object. */
export function taskView(task: TaskDoc, version: Version): Doc {
  const out = shaped("task", clone(task) as Doc);
  const exec = out.execution as Doc;
  if (below(version, 2, 9)) {
    const params: Doc = {};
    for (const [section, items] of Object.entries(task.hyperparams ?? {})) {
      for (const [name, item] of Object.entries(items)) {
        if (item.type !== "legacy") continue;
        params[section === "TF_DEFINE" ? `TF_DEFINE/${name}` : name] = item.value ?? "";
      }
    }
    exec.parameters = params;
    const desc: Doc = {};
    for (const [name, item] of Object.entries(task.configuration ?? {})) {
      if (item.type === "legacy") desc[name] = item.value ?? "";
    }
    exec.model_desc = desc;
  }
  if (below(version, 2, 13)) {
    const image = task.container?.image;
    if (typeof image === "string" && image !== "") {
      const args = task.container?.arguments;
      exec.docker_cmd = typeof args === "string" && args !== "" ? `${image} ${args}` : image;
    }
    const input = task.models?.input ?? [];
    if (input.length > 0) exec.model = input[0].model;
    const output = task.models?.output ?? [];
    if (output.length > 0) (out.output as Doc).model = output[output.length - 1].model;
  }
  return out;
}

/** `taskView` plus `only_fields` projection (legacy paths mapped). */
export function taskOut(task: TaskDoc, version: Version, onlyFields?: readonly string[]): Doc {
  return project(taskView(task, version), onlyFields, TASK_SPEC.hiddenFields);
}
