/**
 * The filter part of `*.get_all` (server-api.md §4.0): regex pattern fields, list fields with `-x` exclusions,
 * `null` for "missing or empty" and the `__$all`/`__$any`/`__$not`/`__$nop` operators, `[min, max]` ranges,
 * datetime comparisons, `_any_`/`_all_` multi-field patterns and `search_text`. Compiles a request into one
 * predicate over stored documents.
 *
 * @module
 */

import { errors } from "../errors.ts";
import { type Doc, getPath, isEmptyValue, isObject } from "../json.ts";
import { compilePattern, escapeRegex } from "./query_regex.ts";
import { parseDate } from "../time.ts";

/** Which request keys filter which way, for one entity type. */
export interface FilterSpec {
  /** Regex fields (`name`, `comment`, ...). */
  pattern: readonly string[];
  /** List-semantics fields, exact names (`id`, `tags`, `status`, `execution.queue`, ...). */
  lists: readonly string[];
  /** Prefixes whose dotted keys get list semantics (`hyperparams.`, `runtime.`, `metadata.`). */
  listPrefixes: readonly string[];
  /** `[min, max]` fields. */
  ranges: readonly string[];
  /** Prefixes whose dotted keys are ranges (`last_metrics.`). */
  rangePrefixes: readonly string[];
  /** Datetime fields (`[from, to]` or `[">=2025-01-01", ...]`). */
  dates: readonly string[];
  /** Fields searched by `search_text`. */
  text: readonly string[];
}

/** A compiled predicate. */
export type Predicate = (doc: Doc) => boolean;

function asStrings(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(String);
  return isEmptyValue(value) ? [] : [String(value)];
}

/** A list filter (default "any of", `-x` = none of, `null` = missing/empty). */
export function listPredicate(field: string, raw: unknown): Predicate {
  const values = Array.isArray(raw) ? raw : [raw];
  let all = false;
  let negate = false;
  const include: string[] = [];
  const exclude: string[] = [];
  let includeEmpty = false;
  let excludeEmpty = false;
  for (const v of values) {
    if (v === "__$all" || v === "__$and") all = true;
    else if (v === "__$any" || v === "__$or") all = false;
    else if (v === "__$not") negate = true;
    else if (v === "__$nop") negate = false;
    else if (v === null || v === undefined) {
      if (negate) excludeEmpty = true;
      else includeEmpty = true;
      negate = false;
    } else {
      if (typeof v === "object") throw errors.validation("invalid list filter value", { field });
      const s = String(v);
      if (negate) exclude.push(s);
      else if (s.length > 1 && s.startsWith("-")) exclude.push(s.slice(1));
      else include.push(s);
      negate = false;
    }
  }
  return (doc) => {
    const have = asStrings(getPath(doc, field));
    if (excludeEmpty && have.length === 0) return false;
    if (exclude.some((e) => have.includes(e))) return false;
    if (include.length === 0 && !includeEmpty) return true;
    if (includeEmpty && have.length === 0) return true;
    if (include.length === 0) return false;
    return all ? include.every((i) => have.includes(i)) : include.some((i) => have.includes(i));
  };
}

/** A pattern (regex, search semantics) filter on one field. */
export function patternPredicate(field: string, raw: unknown, flags = ""): Predicate {
  if (typeof raw !== "string") throw errors.validation("invalid field type", { field, expected: "string" });
  const re = compilePattern(raw, field, flags);
  return (doc) => asStrings(getPath(doc, field)).some((s) => re.test(s));
}

function rangePredicate(field: string, raw: unknown): Predicate {
  if (!Array.isArray(raw) || raw.length > 2 || raw.some((v) => v !== null && typeof v !== "number")) {
    throw errors.validation("invalid range filter, expected [min, max]", { field });
  }
  const [min, max] = raw as (number | null)[];
  return (doc) => {
    const v = getPath(doc, field);
    if (typeof v !== "number") return (min === null || min === undefined) && (v === undefined || v === null);
    return (min === null || min === undefined || v >= min) && (max === null || max === undefined || v <= max);
  };
}

function datePredicate(field: string, raw: unknown): Predicate {
  const list = Array.isArray(raw) ? raw : [raw];
  const bad = () => errors.validation("invalid datetime filter", { field });
  const checks: ((ms: number) => boolean)[] = [];
  const prefixed = list.some((v) => typeof v === "string" && /^[<>]=?/.test(v));
  if (prefixed) {
    for (const v of list) {
      const m = typeof v === "string" ? /^(>=|<=|>|<)(.*)$/.exec(v) : null;
      const t = m ? parseDate(m[2]) : undefined;
      if (!m || t === undefined) throw bad();
      const op = m[1];
      checks.push((ms) => op === ">=" ? ms >= t : op === ">" ? ms > t : op === "<=" ? ms <= t : ms < t);
    }
  } else {
    if (list.length > 2) throw bad();
    const [from, to] = list.map((v) => (v === null || v === undefined ? undefined : parseDate(v)));
    if ((list[0] != null && from === undefined) || (list[1] != null && to === undefined)) throw bad();
    if (from !== undefined) checks.push((ms) => ms >= from);
    if (to !== undefined) checks.push((ms) => ms <= to);
  }
  return (doc) => {
    const ms = parseDate(getPath(doc, field));
    return ms !== undefined && checks.every((c) => c(ms));
  };
}

function multiFieldPredicate(key: string, raw: unknown, every: boolean): Predicate {
  if (!isObject(raw) || !Array.isArray(raw.fields) || typeof raw.pattern !== "string") {
    throw errors.validation("expected {fields: [...], pattern: ...}", { field: key });
  }
  const fields = raw.fields.map(String);
  const re = compilePattern(raw.pattern, key, "i");
  const one = (doc: Doc, f: string) => asStrings(getPath(doc, f)).some((s) => re.test(s));
  return (doc) => (every ? fields.every((f) => one(doc, f)) : fields.some((f) => one(doc, f)));
}

/** Compile every filter present in a request body into one predicate. */
export function compileFilter(body: Doc, spec: FilterSpec): Predicate {
  const preds: Predicate[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || value === null) continue;
    if (spec.pattern.includes(key)) preds.push(patternPredicate(key, value));
    else if (spec.lists.includes(key) || spec.listPrefixes.some((p) => key.startsWith(p))) {
      preds.push(listPredicate(key, value));
    } else if (spec.ranges.includes(key) || spec.rangePrefixes.some((p) => key.startsWith(p))) {
      preds.push(rangePredicate(key, value));
    } else if (spec.dates.includes(key)) preds.push(datePredicate(key, value));
    else if (key === "_any_" || key === "_all_") preds.push(multiFieldPredicate(key, value, key === "_all_"));
    else if (key === "search_text") {
      if (typeof value !== "string") throw errors.validation("invalid field type", { field: key, expected: "string" });
      if (value === "") continue;
      const re = new RegExp(escapeRegex(value), "i");
      preds.push((doc) => spec.text.some((f) => asStrings(getPath(doc, f)).some((s) => re.test(s))));
    }
  }
  return (doc) => preds.every((p) => p(doc));
}
