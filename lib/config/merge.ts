/**
 * Deep merge of configuration trees, the way HOCON and the reference merge configuration layers: objects merge
 * key by key, anything else (scalars, arrays, null) is replaced by the later value.
 *
 * @module
 */

/** A JSON-like configuration object. */
export type ConfigTree = Record<string, unknown>;

/** True for a plain object (not an array, not null). */
export function isObject(value: unknown): value is ConfigTree {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Merge `over` into a copy of `base` (neither input is modified). */
export function deepMerge(base: ConfigTree, over: ConfigTree): ConfigTree {
  const out: ConfigTree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isObject(prev) && isObject(value) ? deepMerge(prev, value) : structuredClone(value);
  }
  return out;
}

/** Every leaf of a tree as `[dottedPath, value]` (arrays and empty objects are leaves). */
export function leaves(tree: ConfigTree, prefix = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isObject(value) && Object.keys(value).length > 0) out.push(...leaves(value, path));
    else out.push([path, value]);
  }
  return out;
}
