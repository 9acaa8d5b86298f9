/**
 * The semantic level of the HOCON reader: value concatenation and substitution resolution.
 *
 * - Concatenation: strings join with the blanks written between them (numbers and booleans as Python prints them,
 *   `True`), arrays append, objects merge; mixing kinds is an error.
 * - `${path}` reads the final value at `path`; a path that starts with the key being defined reads that key's earlier
 *   value (`path: ${path} [x]`, `+=`). A path missing from the config falls back to the environment variable of
 *   the same name. `${?path}` that finds nothing (or null) vanishes: the key keeps its earlier value or is absent,
 *   an array element is dropped.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import { Scanner } from "./hocon_scanner.ts";
import {
  assign,
  Concat,
  HObject,
  mergeResolved,
  type Part,
  pythonStr,
  type Scalar,
  type Source,
  type SubstPart,
  type Value,
} from "./hocon_values.ts";

/** A concatenation piece after substitution: a string token, or a value with the blanks written after it. */
type Piece = { kind: "str"; text: string; ws: string; quoted: boolean } | { kind: "val"; value: Value; ws: string };

function kindOf(piece: Piece): "an object" | "an array" | "a string" {
  if (piece.kind === "str") return "a string";
  return piece.value instanceof HObject ? "an object" : Array.isArray(piece.value) ? "an array" : "a string";
}

/** Joins pieces into one value; throws a plain `Error` (the caller adds the position) when kinds are mixed. */
function combine(pieces: Piece[], merge: (a: HObject, b: HObject) => HObject): Value | undefined {
  if (pieces.length === 0) return undefined;
  if (pieces.length === 1) {
    const only = pieces[0];
    return only.kind === "val" ? only.value : only.quoted ? only.text : only.text + only.ws;
  }
  const kind = kindOf(pieces[0]);
  for (const piece of pieces) {
    if (kindOf(piece) !== kind) throw new Error(`cannot concatenate ${kind} and ${kindOf(piece)}`);
  }
  if (kind === "an object") {
    return pieces.map((p) => (p as { value: HObject }).value).reduce((a, b) => merge(a, b));
  }
  if (kind === "an array") return pieces.flatMap((p) => (p as { value: Value[] }).value);
  const last = pieces.length - 1;
  let out = "";
  pieces.forEach((piece, i) => {
    if (piece.kind === "str") out += i === last && piece.quoted ? piece.text : piece.text + piece.ws;
    else out += pythonStr(piece.value as Scalar) + piece.ws;
  });
  return out;
}

/** The value of a concatenation without substitutions, at parse time ("" when empty). */
export function combineStatic(parts: Part[], path: string[] | null): Value {
  const pieces = parts.map((p): Piece => p.kind === "value" ? { kind: "val", value: p.value, ws: "" } : p as Piece);
  const value = combine(pieces, (a, b) => assign(a, b, path) as HObject);
  return value === undefined ? "" : value;
}

/** Looks up environment variables for substitutions the config does not define. */
export type EnvLookup = (name: string) => string | undefined;

/** Resolves every substitution of a parsed document; the result holds no `Concat`. */
export function resolveDocument(root: HObject, env: EnvLookup): HObject {
  return new Resolver(root, env).deep(root) as HObject;
}

class Resolver {
  #root: HObject;
  #env: EnvLookup;
  #memo = new Map<object, Value | undefined>();
  #active = new Set<Concat>();
  /** The substitutions being looked up, innermost last (for cycle messages). */
  #lookups: { part: SubstPart; source: Source }[] = [];

  constructor(root: HObject, env: EnvLookup) {
    this.#root = root;
    this.#env = env;
  }

  /** The fully resolved form of `value`; undefined when it resolves to nothing. */
  deep(value: Value): Value | undefined {
    if (
      value === null || typeof value !== "object" ||
      !(value instanceof HObject || Array.isArray(value) || value instanceof Concat)
    ) {
      return value;
    }
    if (this.#memo.has(value)) return this.#memo.get(value);
    let out: Value | undefined;
    if (value instanceof Concat) {
      out = this.#concat(value);
    } else if (Array.isArray(value)) {
      const items: Value[] = [];
      for (const item of value) {
        const resolved = this.deep(item);
        if (resolved !== undefined) items.push(resolved);
      }
      out = items;
    } else {
      const object = new HObject();
      for (const [key, field] of value.fields) {
        const resolved = this.deep(field);
        if (resolved !== undefined) object.fields.set(key, resolved);
      }
      out = object;
    }
    this.#memo.set(value, out);
    return out;
  }

  #concat(c: Concat): Value | undefined {
    if (this.#active.has(c)) {
      const at = this.#lookups[this.#lookups.length - 1];
      const where = at ?? { part: { raw: "", offset: c.offset } as SubstPart, source: c.source };
      throw new Scanner(where.source).error(
        where.part.offset,
        `cannot resolve the substitution \${${where.part.raw}}: it refers back to itself (a cycle)`,
      );
    }
    this.#active.add(c);
    try {
      return this.#evaluate(c);
    } finally {
      this.#active.delete(c);
    }
  }

  #evaluate(c: Concat): Value | undefined {
    const pieces: Piece[] = [];
    for (const part of c.parts) {
      if (part.kind === "str") {
        pieces.push(part);
      } else if (part.kind === "value") {
        const value = this.deep(part.value);
        if (value !== undefined) pieces.push({ kind: "val", value, ws: "" });
      } else {
        const value = this.#substitute(c, part);
        if (value !== undefined && value !== null) pieces.push({ kind: "val", value, ws: part.ws });
      }
    }
    let result: Value | undefined;
    try {
      result = combine(pieces, mergeResolved);
    } catch (error) {
      throw new Scanner(c.source).error(c.offset, (error as Error).message);
    }
    if (result === undefined) {
      result = c.prev === undefined ? undefined : this.deep(c.prev);
    } else if (result instanceof HObject && c.prev !== undefined) {
      // An object merges onto an earlier object; an earlier value that cannot be resolved is simply replaced.
      const before = this.#resolvedOrNothing(c.prev);
      if (before instanceof HObject) result = mergeResolved(before, result);
    }
    return result;
  }

  #resolvedOrNothing(value: Value): Value | undefined {
    try {
      return this.deep(value);
    } catch (error) {
      if (error instanceof ConfigError) return undefined;
      throw error;
    }
  }

  #substitute(c: Concat, part: SubstPart): Value | undefined {
    if (part.self) return c.prev === undefined ? undefined : this.deep(c.prev);
    this.#lookups.push({ part, source: c.source });
    let found: Value | undefined;
    const own = c.path;
    try {
      if (own !== null && own.length <= part.path.length && own.every((key, i) => key === part.path[i])) {
        // A self reference reads the value this key had before this assignment.
        found = c.prev === undefined ? undefined : walk(this.deep(c.prev), part.path.slice(own.length));
      } else {
        found = this.#lookup(part.path);
      }
    } finally {
      this.#lookups.pop();
    }
    if (found !== undefined) return found;
    const fromEnv = this.#env(part.raw);
    if (fromEnv !== undefined) return fromEnv;
    if (part.optional) return undefined;
    throw new Scanner(c.source).error(
      part.offset,
      `cannot resolve the substitution \${${part.raw}}: no such key and no environment variable ${
        JSON.stringify(part.raw)
      }`,
    );
  }

  #lookup(path: string[]): Value | undefined {
    let node: Value | undefined = this.#root;
    for (const key of path) {
      if (node instanceof Concat) node = this.deep(node);
      if (!(node instanceof HObject)) return undefined;
      node = node.fields.get(key);
      if (node === undefined) return undefined;
    }
    return this.deep(node);
  }
}

function walk(value: Value | undefined, path: string[]): Value | undefined {
  for (const key of path) {
    if (!(value instanceof HObject)) return undefined;
    value = value.fields.get(key);
  }
  return value;
}
