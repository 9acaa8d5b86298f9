/**
 * Output forms of a resolved HOCON tree: plain JS objects (optionally keeping float and big-integer types), and the
 * JSON text that Python's `json.dumps(tree, sort_keys=True, indent=1)` writes for the reference reader's tree.
 *
 * @module
 */

import { HObject, HoconFloat, pythonFloatRepr, type Value } from "./hocon_values.ts";

/**
 * A plain JSON-like copy of a resolved tree. With `typed`, floats stay `HoconFloat` and integers beyond 2^53 stay
 * `bigint`; without, both become JS numbers.
 */
export function toPlain(value: Value, typed: boolean): unknown {
  if (value instanceof HObject) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of value.fields) {
      const plain = toPlain(field, typed);
      if (key === "__proto__") Object.defineProperty(out, key, { value: plain, enumerable: true, writable: true });
      else out[key] = plain;
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((item) => toPlain(item, typed));
  if (value instanceof HoconFloat) return typed ? value : value.value;
  if (typeof value === "bigint") return typed ? value : Number(value);
  return value;
}

/** Python's code-point order of `sort_keys` (JS `sort()` compares UTF-16 units). */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!, y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** A string as Python's `json.dumps` writes it (`ensure_ascii`: everything outside printable ASCII escaped). */
function pythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) out += '\\"';
    else if (c === 92) out += "\\\\";
    else if (c >= 32 && c < 127) out += text[i];
    else if (c === 10) out += "\\n";
    else if (c === 13) out += "\\r";
    else if (c === 9) out += "\\t";
    else if (c === 8) out += "\\b";
    else if (c === 12) out += "\\f";
    else out += `\\u${c.toString(16).padStart(4, "0")}`;
  }
  return out + '"';
}

function write(value: unknown, depth: number): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string") return pythonJsonString(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    return Number.isInteger(value) && Math.abs(value) < 2 ** 63 ? String(value + 0) : pythonFloatRepr(value);
  }
  if (value instanceof HoconFloat) return pythonFloatRepr(value.value);
  const inner = "\n" + " ".repeat(depth + 1);
  const close = "\n" + " ".repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return "[" + inner + value.map((item) => write(item, depth + 1)).join("," + inner) + close + "]";
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort(byCodePoint);
  if (keys.length === 0) return "{}";
  return "{" + inner + keys.map((k) => `${pythonJsonString(k)}: ${write(record[k], depth + 1)}`).join("," + inner) +
    close + "}";
}

/**
 * The JSON text of `json.dumps(value, sort_keys=True, indent=1)` in Python (no trailing newline). `value` is a typed
 * tree (`parseHoconTyped`): `HoconFloat` prints as a float (`2.0`), integers as integers. A plain JS number prints as
 * an integer when it is integral, so a plain tree loses `2.0`.
 */
export function toPythonJson(value: unknown): string {
  return write(value, 0);
}
