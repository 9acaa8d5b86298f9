/**
 * `projects.*` (server-api.md §4.5): create with automatic ancestors, get_all with the shared query engine,
 * get_by_id and update (renames carry over to sub-projects).
 *
 * @module
 */

import { shaped } from "../default_shape.ts";
import { errors, ServerError } from "../errors.ts";
import { type Doc, newId } from "../json.ts";
import type { ProjectDoc } from "../storage/model.ts";
import { project as projectFields, type QuerySpec, runQuery } from "../queries/query.ts";
import { Params } from "../queries/params.ts";
import type { CallContext, Registry } from "../registry.ts";
import { isoDate } from "../time.ts";

const MAX_DEPTH = 10;

const SPEC: QuerySpec = {
  pattern: ["name", "basename", "description"],
  lists: ["id", "tags", "system_tags", "parent", "path", "user"],
  listPrefixes: [],
  ranges: [],
  rangePrefixes: [],
  dates: ["last_update", "created"],
  text: ["name", "description", "id"],
  hiddenFields: ["path", "logo_blob", "company_origin"],
  numericOrderPrefixes: [],
  isHidden: (doc) => ((doc.system_tags as string[] | undefined) ?? []).includes("hidden"),
};

/** Normalise a project path name: parts trimmed, empty parts dropped. */
export function normalizeProjectName(name: string): string[] {
  return name.split("/").map((p) => p.trim()).filter((p) => p !== "");
}

function view(doc: ProjectDoc): Doc {
  return shaped("project", doc);
}

/** The project, or `400/401`. */
export function getProject(ctx: CallContext, id: string): ProjectDoc {
  const p = ctx.db.projects.get(id);
  if (!p) throw errors.invalidProjectId(undefined, { id });
  return p;
}

/** The id of the project with this name, creating it (and its ancestors) when missing. */
export function ensureProject(ctx: CallContext, name: string): { id: string; name: string; created: boolean } {
  const normalized = normalizeProjectName(name).join("/");
  const row = ctx.db.store.get("SELECT id FROM projects WHERE name = ?", normalized);
  if (row) return { id: String(row.id), name: normalized, created: false };
  const { id } = createProject(ctx, { name });
  return { id: id as string, name: normalized, created: true };
}

function create(ctx: CallContext): Doc {
  const p = ctx.params;
  const rawName = p.str("name");
  if (rawName === undefined) throw errors.missingRequiredFields(undefined, { field: "name" });
  return createProject(ctx, {
    name: rawName,
    description: p.str("description"),
    tags: p.strList("tags"),
    system_tags: p.strList("system_tags"),
    default_output_destination: p.str("default_output_destination"),
  });
}

function createProject(
  ctx: CallContext,
  p: {
    name: string;
    description?: string;
    tags?: string[];
    system_tags?: string[];
    default_output_destination?: string;
  },
): Doc {
  const rawName = p.name;
  const parts = normalizeProjectName(rawName);
  if (parts.length === 0) throw errors.invalidProjectName("project name cannot be empty", { name: rawName });
  if (parts.length > MAX_DEPTH) throw errors.projectPathExceedsMaxDepth(undefined, { max_depth: MAX_DEPTH });
  const name = parts.join("/");
  if (name.length < 3) throw errors.dataValidation("name is shorter than 3 characters", { field: "name", name });
  if (ctx.db.store.get("SELECT 1 AS x FROM projects WHERE name = ?", name)) {
    throw new ServerError(400, 801, `Project with the same name already exists: name=${name}`);
  }
  const created = isoDate(ctx.now);
  const path: string[] = [];
  let parent: string | undefined;
  for (let i = 1; i < parts.length; i++) {
    const ancestorName = parts.slice(0, i).join("/");
    const row = ctx.db.store.get("SELECT id FROM projects WHERE name = ?", ancestorName);
    let ancestorId = row ? String(row.id) : undefined;
    if (!ancestorId) {
      ancestorId = newId();
      ctx.db.projects.insert({
        id: ancestorId,
        name: ancestorName,
        basename: parts[i - 1],
        description: "",
        company: ctx.identity.company,
        user: ctx.identity.user,
        created,
        last_update: created,
        tags: [],
        system_tags: [],
        path: [...path],
        ...(parent ? { parent } : {}),
      });
    }
    path.push(ancestorId);
    parent = ancestorId;
  }
  const doc: ProjectDoc = {
    id: newId(),
    name,
    basename: parts[parts.length - 1],
    description: p.description ?? "",
    company: ctx.identity.company,
    user: ctx.identity.user,
    created,
    last_update: created,
    tags: p.tags ?? [],
    system_tags: p.system_tags ?? [],
    path,
    ...(parent ? { parent } : {}),
  };
  const dest = p.default_output_destination;
  if (dest) doc.default_output_destination = dest;
  ctx.db.projects.insert(doc);
  return { id: doc.id };
}

function getAll(ctx: CallContext): Doc {
  const p = ctx.params;
  const body = { ...p.body };
  if (!p.bool("shallow_search", false) && body.parent !== undefined && body.parent !== null) {
    body.path = body.parent; // non-shallow: "parent" matches any ancestor
    delete body.parent;
  }
  let docs: ProjectDoc[] = p.has("id") ? ctx.db.projects.getMany(p.strList("id")!) : ctx.db.projects.all();
  if (p.bool("shallow_search", false) && !p.has("parent")) docs = docs.filter((d) => !d.parent);
  const res = runQuery(docs, new Params(body), SPEC);
  const only = p.strList("only_fields");
  const out: Doc = { projects: res.items.map((d) => projectFields(view(d as ProjectDoc), only, SPEC.hiddenFields)) };
  if (res.scrollId !== undefined) out.scroll_id = res.scrollId;
  return out;
}

function update(ctx: CallContext): Doc {
  const p = ctx.params;
  const doc = getProject(ctx, p.reqStr("project"));
  const fields: Doc = {};
  const rawName = p.str("name");
  if (rawName !== undefined) {
    const parts = normalizeProjectName(rawName);
    if (parts.length === 0) throw errors.invalidProjectName("project name cannot be empty", { name: rawName });
    const name = parts.join("/");
    if (name !== doc.name) {
      if (ctx.db.store.get("SELECT 1 AS x FROM projects WHERE name = ?", name)) {
        throw new ServerError(400, 801, `Project with the same name already exists: name=${name}`);
      }
      for (const child of ctx.db.projects.all()) {
        if (child.path?.includes(doc.id)) {
          child.name = name + child.name.slice(doc.name.length);
          ctx.db.projects.update(child);
        }
      }
      doc.name = name;
      doc.basename = parts[parts.length - 1];
      fields.name = name;
    }
  }
  for (const key of ["description", "default_output_destination"] as const) {
    const v = p.str(key);
    if (v !== undefined) fields[key] = doc[key] = v;
  }
  for (const key of ["tags", "system_tags"] as const) {
    const v = p.strList(key);
    if (v !== undefined) fields[key] = doc[key] = v;
  }
  if (Object.keys(fields).length === 0) return { updated: 0, fields: {} };
  doc.last_update = isoDate(ctx.now);
  fields.last_update = doc.last_update;
  ctx.db.projects.update(doc);
  return { updated: 1, fields };
}

/** Register the project endpoints. */
export function registerProjects(reg: Registry): void {
  reg.add(
    { name: "projects.create", minVersion: "1.0", handler: create },
    { name: "projects.get_all", minVersion: "1.0", handler: getAll },
    { name: "projects.get_all_ex", minVersion: "1.0", handler: getAll },
    {
      name: "projects.get_by_id",
      minVersion: "1.0",
      handler: (ctx) => ({
        project: projectFields(view(getProject(ctx, ctx.params.reqStr("project"))), [], SPEC.hiddenFields),
      }),
    },
    { name: "projects.update", minVersion: "1.0", handler: update },
  );
}
