/**
 * The configuration schema: the single source of every configuration key the agent reads — its type, its
 * built-in default, the environment variables that override it and whether it is a secret.
 *
 * Built from small key builders (`str`, `bool`, `int`, `num`, `list`, `any`) grouped in sections; the TypeScript
 * type of the typed configuration (`AgentConfig`) is inferred from the same object, so a key cannot exist in one
 * place and not the other. The sections themselves live in `schema_api.ts`, `schema_agent.ts`, `schema_sdk.ts`.
 *
 * A key has:
 * - `packaged`: the value the reference's packaged default `.conf` files set (part of the defaults tree);
 * - `fallback`: the value code uses when the key is absent (not part of the defaults tree);
 * - `env`: variables that override it, first non-empty wins (§3.1 of the reference).
 *
 * @module
 */

/** The value kinds a key can hold. */
export type KeyKind = "string" | "boolean" | "integer" | "number" | "strings" | "any";

type KindType = {
  string: string;
  boolean: boolean;
  integer: number;
  number: number;
  strings: string[];
  any: unknown;
};

/** Options of a key. */
export interface KeyOptions<T> {
  /** Value set by the packaged defaults (appears in `config` output even when no file sets it). */
  packaged?: T;
  /** Value used by code when the key is absent. */
  fallback?: T;
  /** Environment variables overriding the key, first non-empty wins. */
  env?: readonly string[];
  /** A secret: masked in every printout. */
  secret?: boolean;
  /** Our own addition (not a key of the reference agent). */
  extension?: boolean;
}

/** One configuration key; `D` records (for the type system) whether it always has a value. */
export class Key<K extends KeyKind = KeyKind, D extends boolean = boolean> {
  readonly kind: K;
  readonly doc: string;
  readonly options: KeyOptions<KindType[K]>;
  declare readonly hasDefault: D;
  constructor(kind: K, doc: string, options: KeyOptions<KindType[K]> = {}) {
    this.kind = kind;
    this.doc = doc;
    this.options = options;
  }
}

/** A section: named keys and sub-sections. */
export type SectionShape = { readonly [name: string]: Key | SectionShape };

/** The typed value of a key or section; keys with neither packaged value nor fallback may be undefined. */
export type ConfigOf<S> = S extends Key<infer K, infer D> ? (D extends true ? KindType[K] : KindType[K] | undefined)
  : S extends SectionShape ? { readonly [P in keyof S]: ConfigOf<S[P]> }
  : never;

type HasDefault<O> = O extends { packaged: unknown } ? true : O extends { fallback: unknown } ? true : false;

function make<K extends KeyKind>(kind: K) {
  return <O extends KeyOptions<KindType[K]> = Record<never, never>>(doc: string, options?: O) =>
    new Key(kind, doc, options ?? {}) as Key<K, HasDefault<O>>;
}

/** Key builders. */
export const str = make("string");
export const bool = make("boolean");
export const int = make("integer");
export const num = make("number");
export const list = make("strings");
export const any = make("any");

/** One key found by walking a schema. */
export interface SchemaEntry {
  path: string;
  key: Key;
}

/** Every key of a schema with its dotted path, depth first, in declaration order. */
export function schemaEntries(shape: SectionShape, prefix = ""): SchemaEntry[] {
  const out: SchemaEntry[] = [];
  for (const [name, value] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (value instanceof Key) out.push({ path, key: value });
    else out.push(...schemaEntries(value, path));
  }
  return out;
}

/** Set `value` at dotted `path` in `tree`, creating objects on the way. */
export function setPath(tree: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

/** The value at dotted `path` in `tree`, or undefined. */
export function getPath(tree: unknown, path: string): unknown {
  let node = tree;
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** The packaged defaults of a schema as a configuration tree. */
export function packagedDefaults(shape: SectionShape): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  for (const { path, key } of schemaEntries(shape)) {
    if (key.options.packaged !== undefined) setPath(tree, path, structuredClone(key.options.packaged));
  }
  return tree;
}
