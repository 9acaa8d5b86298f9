/**
 * Typed access to a call's request fields. Upstream request models are lenient (unknown keys ignored, explicit
 * `null` means "not provided") but strict about types: a wrong type is a `400/12` validation error that names the
 * field.
 *
 * @module
 */

import { errors } from "../errors.ts";
import { type Doc, isObject } from "../json.ts";

function typeName(value: unknown): string {
  if (Array.isArray(value)) return "list";
  if (value === null) return "null";
  if (typeof value === "object") return "object";
  return typeof value;
}

function invalid(field: string, expected: string, value: unknown) {
  return errors.validation("invalid field type", { field, expected, got: typeName(value) });
}

/** The request body of one call with typed, validating getters. */
export class Params {
  readonly body: Doc;

  constructor(body: Doc) {
    this.body = body;
  }

  /** True when the key is present with a non-null value. */
  has(field: string): boolean {
    return this.body[field] !== undefined && this.body[field] !== null;
  }

  /** True when the key is present at all (even `null`), e.g. `scroll_id`. */
  hasKey(field: string): boolean {
    return field in this.body;
  }

  /** The raw value, `undefined` for absent or `null`. */
  raw(field: string): unknown {
    const v = this.body[field];
    return v === null ? undefined : v;
  }

  /** An optional string. */
  str(field: string): string | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (typeof v !== "string") throw invalid(field, "string", v);
    return v;
  }

  /** A required string (missing or empty → `400/12` naming the field). */
  reqStr(field: string): string {
    const v = this.str(field);
    if (v === undefined || v === "") throw errors.validation("missing required field", { field });
    return v;
  }

  /** An optional boolean with a default. */
  bool(field: string, fallback = false): boolean {
    const v = this.raw(field);
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") throw invalid(field, "boolean", v);
    return v;
  }

  /** An optional integer, range-checked. */
  int(field: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v)) throw invalid(field, "integer", v);
    if (opts.min !== undefined && v < opts.min) {
      throw errors.validation("value out of range", { field, min: opts.min, value: v });
    }
    if (opts.max !== undefined && v > opts.max) {
      throw errors.validation("value out of range", { field, max: opts.max, value: v });
    }
    return v;
  }

  /** An optional number (int or float). */
  num(field: string): number | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) throw invalid(field, "number", v);
    return v;
  }

  /** An optional list of strings; a scalar string is wrapped into a one-item list. */
  strList(field: string): string[] | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    const list = Array.isArray(v) ? v : [v];
    for (const item of list) {
      if (typeof item !== "string") throw invalid(field, "list of strings", v);
    }
    return list as string[];
  }

  /** A required, non-empty list of strings. */
  reqStrList(field: string): string[] {
    const v = this.strList(field);
    if (v === undefined || v.length === 0) throw errors.validation("missing required field", { field });
    return v;
  }

  /** An optional list of anything. */
  list(field: string): unknown[] | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw invalid(field, "list", v);
    return v;
  }

  /** An optional list of objects. */
  objList(field: string): Doc[] | undefined {
    const v = this.list(field);
    if (v === undefined) return undefined;
    for (const item of v) if (!isObject(item)) throw invalid(field, "list of objects", v);
    return v as Doc[];
  }

  /** An optional JSON object. */
  obj(field: string): Doc | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (!isObject(v)) throw invalid(field, "object", v);
    return v;
  }

  /** An optional string restricted to a set of values. */
  oneOf<T extends string>(field: string, values: readonly T[]): T | undefined {
    const v = this.str(field);
    if (v === undefined) return undefined;
    if (!values.includes(v as T)) {
      throw errors.validation("invalid value", { field, value: v, allowed: [...values] });
    }
    return v as T;
  }
}
