/**
 * Helpers for the JSON documents the server stores (tasks, queues, projects, workers): dotted-path access, deep
 * copies, and fresh ids.
 *
 * @module
 */

/** A JSON object as stored and returned. */
export type Doc = Record<string, unknown>;

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Doc {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deep copy of a JSON value. */
export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/** A new entity id: 32 lowercase hex characters, as upstream's `uuid4().hex`. */
export function newId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/** The value at a dotted path (`execution.queue`), or `undefined`. */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split(".")) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Set the value at a dotted path, creating intermediate objects. */
export function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur: Doc = doc;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (!isObject(next)) cur[part] = {};
    cur = cur[part] as Doc;
  }
  cur[parts[parts.length - 1]] = value;
}

/** Remove the value at a dotted path (no-op when absent). */
export function deletePath(doc: Doc, path: string): void {
  const parts = path.split(".");
  let cur: unknown = doc;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(cur)) return;
    cur = cur[part];
  }
  if (isObject(cur)) delete cur[parts[parts.length - 1]];
}

/** True when a value counts as "missing or empty" for filters and ordering (upstream's `null`/`[]`/`{}`/`""`). */
export function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  return false;
}

/** Sorted, de-duplicated copy of a string list. */
export function sortedTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) return [];
  return [...new Set(tags.map(String))].sort();
}
