/**
 * Typed `projects.*` calls, as the SDK sends them (server-api §4.5): exact-name lookup with an anchored,
 * escaped pattern, creation (missing parents are created by the server), and reads by id.
 *
 * @module
 */

import type { ApiClient, CallOptions } from "./client.ts";

/** A project (the fields the tools read). */
export interface Project {
  id: string;
  name?: string;
  [key: string]: unknown;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `projects.get_all` by exact name (`^name$`, hidden included). */
export async function findProjectsByName(
  client: ApiClient,
  name: string,
  options: CallOptions = {},
): Promise<Project[]> {
  const data = await client.call<{ projects?: Project[] }>("projects.get_all", {
    name: `^${escapeRegExp(name)}$`,
    only_fields: ["id", "name"],
    search_hidden: true,
  }, options);
  return (data.projects ?? []).filter((p) => p.name === name);
}

/** `projects.get_all` by ids. */
export async function getProjects(client: ApiClient, ids: string[], options: CallOptions = {}): Promise<Project[]> {
  if (ids.length === 0) return [];
  const data = await client.call<{ projects?: Project[] }>("projects.get_all", {
    id: ids,
    only_fields: ["id", "name"],
    search_hidden: true,
  }, options);
  return data.projects ?? [];
}

/** `projects.create`; resolves to the new project's id. */
export async function createProject(client: ApiClient, name: string, options: CallOptions = {}): Promise<string> {
  const data = await client.call<{ id: string }>("projects.create", { name, description: "" }, options);
  return data.id;
}
