/**
 * The shape every answer gives an entity, whatever was stored: the values the real server's database models
 * default to (allegroai/clearml-server `apiserver/database/model`), so that no client has to guard against a
 * missing list or object. The `clearml` SDK iterates `execution.artifacts` and `models.input` unguarded (its
 * decorator pipelines crash on `None`), reads `output` as an object, and compares `last_iteration`. (`script`
 * gets its defaults when a task is created, as upstream stores them; a `reset` with `clear_all` removes it, as
 * upstream does, so it is not filled in here.)
 *
 * The rule is written once, here, per entity; every view of a task, model, project or queue applies it before
 * any `only_fields` projection. Tags are also returned sorted and without duplicates, as upstream stores them.
 *
 * @module
 */

import { clone, type Doc, isObject, sortedTags } from "./json.ts";

/** The entities whose answers are shaped. */
export type Entity = "task" | "model" | "project" | "queue";

const TAGS = { tags: [], system_tags: [] };

/** Per entity: field → the value returned when none is stored; nested objects are filled field by field. */
export const DEFAULT_SHAPES: Readonly<Record<Entity, Doc>> = {
  task: {
    ...TAGS,
    execution: { artifacts: [] },
    output: {},
    models: { input: [], output: [] },
    hyperparams: {},
    configuration: {},
    runtime: {},
    last_iteration: 0,
    last_metrics: {},
  },
  model: {
    ...TAGS,
    uri: "",
    design: {},
    labels: {},
    metadata: {},
    last_iteration: 0,
    last_metrics: {},
  },
  project: { ...TAGS },
  queue: { ...TAGS, entries: [], metadata: {} },
};

function fill(doc: Doc, shape: Doc): void {
  for (const [key, value] of Object.entries(shape)) {
    const have = doc[key];
    if (have === undefined || have === null) doc[key] = clone(value);
    else if (isObject(value) && isObject(have)) {
      const own = { ...have };
      fill(own, value);
      doc[key] = own;
    }
  }
}

/** `doc` (not modified) with the entity's defaults filled in and its tags sorted; a shallow-copied new object. */
export function shaped(entity: Entity, doc: Doc): Doc {
  const out: Doc = { ...doc };
  fill(out, DEFAULT_SHAPES[entity]);
  out.tags = sortedTags(out.tags);
  out.system_tags = sortedTags(out.system_tags);
  return out;
}
