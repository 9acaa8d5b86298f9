/**
 * The value model of the HOCON reader: the tree the parser builds (objects, arrays, scalars and not yet resolved
 * concatenations) and the assignment rule used when a key is set again (objects merge, anything else replaces).
 *
 * Numbers keep their HOCON type: an integer is a JS `number` (a `bigint` beyond 2^53), a float is a `HoconFloat`,
 * so `2.0` stays a float all the way to the Python-style JSON output.
 *
 * @module
 */

/** A float from the config text (`2.0`, `1e5`); plain JS numbers cannot tell `2.0` from `2`. */
export class HoconFloat {
  constructor(readonly value: number) {}
}

/** An object: ordered fields. Parse-time objects may hold `Concat` values; resolved ones never do. */
export class HObject {
  readonly fields: Map<string, Value> = new Map();
}

/** A leaf value. */
export type Scalar = string | number | bigint | boolean | null | HoconFloat;

/** Any value of the tree. */
export type Value = Scalar | HObject | Value[] | Concat;

/** The text a value came from, for error positions. */
export interface Source {
  /** File name (or `<string>`) used in messages. */
  name: string;
  text: string;
  /** The folder that relative includes start from; absent for text that is not from a file. */
  dir?: string;
}

/** A string piece of a concatenation: `text` plus the blanks that followed it (`ws`), kept between pieces. */
export interface StrPart {
  kind: "str";
  text: string;
  ws: string;
  /** A quoted string drops its `ws` when it ends the result. */
  quoted: boolean;
}

/** `${path}` / `${?path}`; `self` is the hidden reference of `+=` to the key's previous value. */
export interface SubstPart {
  kind: "subst";
  path: string[];
  raw: string;
  optional: boolean;
  self: boolean;
  ws: string;
  offset: number;
}

/** A number, boolean, null, triple-quoted string, object or array inside a concatenation. */
export interface ValuePart {
  kind: "value";
  value: Value;
}

/** One piece of a value concatenation. */
export type Part = StrPart | SubstPart | ValuePart;

/**
 * A value that holds substitutions, resolved after the whole document is read. `path` is the absolute key path it is
 * assigned to (null inside arrays); `prev` is the value it replaced, which self references (`a: ${a} [x]`) and `+=`
 * read, and which it falls back to when it resolves to nothing (`a: ${?UNSET}`).
 */
export class Concat {
  prev: Value | undefined = undefined;
  constructor(
    readonly parts: Part[],
    readonly source: Source,
    readonly offset: number,
    public path: string[] | null,
  ) {}
}

/** `path` + `key`, or null when the position in the tree is not known. */
export function childPath(path: string[] | null, key: string): string[] | null {
  return path === null ? null : [...path, key];
}

/**
 * The value of a key after assigning `next` over `old`: an object merges into an object (deeply, in place), a value
 * with substitutions remembers what it replaced, anything else replaces.
 */
export function assign(old: Value | undefined, next: Value, path: string[] | null): Value {
  if (next instanceof HObject) {
    if (old instanceof HObject) {
      for (const [key, value] of next.fields) {
        old.fields.set(key, assign(old.fields.get(key), value, childPath(path, key)));
      }
      return old;
    }
    if (old instanceof Concat) {
      // The earlier value is known only after resolution: merge then (an object result merges onto `prev`).
      const wrapped = new Concat([{ kind: "value", value: next }], old.source, old.offset, path);
      wrapped.prev = old;
      return wrapped;
    }
    return next;
  }
  if (next instanceof Concat) {
    next.path = path;
    if (next.prev === undefined) next.prev = old;
    else if (old !== undefined) next.prev = assign(old, next.prev, path);
    return next;
  }
  return next;
}

/** Sets the dotted key `keys` of `target` to `value` (`a.b.c: 1` is `a { b { c: 1 } }`). */
export function putPath(target: HObject, keys: string[], value: Value, base: string[] | null): void {
  let nested = value;
  for (let i = keys.length - 1; i > 0; i--) {
    const wrapper = new HObject();
    wrapper.fields.set(keys[i], nested);
    nested = wrapper;
  }
  const first = keys[0];
  target.fields.set(first, assign(target.fields.get(first), nested, childPath(base, first)));
}

/** A deep merge of two resolved objects into a new one (`b` wins; nested objects merge). */
export function mergeResolved(a: HObject, b: HObject): HObject {
  const out = new HObject();
  for (const [key, value] of a.fields) out.fields.set(key, value);
  for (const [key, value] of b.fields) {
    const before = out.fields.get(key);
    out.fields.set(key, before instanceof HObject && value instanceof HObject ? mergeResolved(before, value) : value);
  }
  return out;
}

/** Python's `repr` of a float, which is also its `str` and its JSON form (`2.0`, `1e-05`, `1e+16`). */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, expText] = x.toExponential().split("e");
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  const exp = Number(expText);
  let body: string;
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      const whole = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, "0");
      const frac = digits.length > exp + 1 ? digits.slice(exp + 1) : "0";
      body = `${whole}.${frac}`;
    } else {
      body = `0.${"0".repeat(-exp - 1)}${digits}`;
    }
  } else {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : "";
    body = `${digits[0]}${frac}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return negative ? `-${body}` : body;
}

/** Python's `str()` of a scalar, as the reference reader uses when it joins values into one string. */
export function pythonStr(value: Scalar): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (value === null) return "null";
  if (value instanceof HoconFloat) {
    const repr = pythonFloatRepr(value.value);
    return repr === "Infinity" ? "inf" : repr === "-Infinity" ? "-inf" : repr === "NaN" ? "nan" : repr;
  }
  return String(value);
}
