/**
 * The shared `*.get_all` machinery (server-api.md §4.0) over JSON documents: filters (`query_filter.ts`), hidden
 * objects, `order_by` with empty values last, `page`/`page_size` (capped at 500), stateless `scroll_id`/`size`
 * scrolling, and `only_fields` projection.
 *
 * @module
 */

import { errors } from "../errors.ts";
import { clone, type Doc, getPath, isEmptyValue, isObject } from "../json.ts";
import { compileFilter, type FilterSpec } from "./query_filter.ts";
import type { Params } from "./params.ts";

/** Upstream's maximum (and default) page size. */
export const MAX_PAGE_SIZE = 500;

const collator = new Intl.Collator("en", { numeric: true });

/** What a `get_all` handler needs to describe its entity. */
export interface QuerySpec extends FilterSpec {
  /** Fields returned only when projected explicitly. */
  hiddenFields: readonly string[];
  /** Order paths compared with numeric-aware collation (`hyperparams.`, `last_metrics.`). */
  numericOrderPrefixes: readonly string[];
  /** Whether a document is hidden unless `search_hidden` (or an `id` filter) is given. */
  isHidden?: (doc: Doc, params: Params) => boolean;
}

/** The result of `runQuery`: the page of documents and, when scrolling, the next scroll id. */
export interface QueryResult {
  items: Doc[];
  scrollId?: string;
}

function compareValues(a: unknown, b: unknown, numeric: boolean): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = Array.isArray(a) ? a.join(",") : isObject(a) ? JSON.stringify(a) : String(a);
  const sb = Array.isArray(b) ? b.join(",") : isObject(b) ? JSON.stringify(b) : String(b);
  if (numeric) return collator.compare(sa, sb);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Sort by `order_by` (`-x` descending); empty values last in both directions; ties keep insertion order. */
export function sortDocs(docs: Doc[], orderBy: readonly string[], numericPrefixes: readonly string[]): Doc[] {
  const keys = orderBy.filter((f) => f !== "" && f !== "-").map((f) => {
    const desc = f.startsWith("-");
    const path = desc ? f.slice(1) : f.replace(/^\+/, "");
    return { path, desc, numeric: numericPrefixes.some((p) => path.startsWith(p)) };
  });
  if (keys.length === 0) return docs;
  return [...docs].sort((a, b) => {
    for (const k of keys) {
      const va = getPath(a, k.path);
      const vb = getPath(b, k.path);
      const ea = isEmptyValue(va);
      const eb = isEmptyValue(vb);
      if (ea && eb) continue;
      if (ea) return 1;
      if (eb) return -1;
      const c = compareValues(va, vb, k.numeric);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  });
}

function copyPath(src: unknown, dst: Doc, parts: string[]): void {
  if (!isObject(src)) return;
  const [head, ...rest] = parts;
  const value = src[head];
  if (value === undefined) return;
  if (rest.length === 0) {
    dst[head] = clone(value);
    return;
  }
  if (Array.isArray(value)) {
    // Project inside arrays of sub-documents, as Mongo does (`models.input.model`).
    const prev = Array.isArray(dst[head]) ? dst[head] as Doc[] : value.map(() => ({}));
    value.forEach((item, i) => copyPath(item, prev[i], rest));
    dst[head] = prev;
    return;
  }
  if (!isObject(value)) return;
  if (!isObject(dst[head])) dst[head] = {};
  copyPath(value, dst[head] as Doc, rest);
}

function removePath(doc: unknown, parts: string[]): void {
  if (!isObject(doc)) return;
  const [head, ...rest] = parts;
  if (rest.length === 0) delete doc[head];
  else if (Array.isArray(doc[head])) { for (const item of doc[head] as unknown[]) removePath(item, rest); }
  else removePath(doc[head], rest);
}

/**
 * Apply `only_fields`: include mode (always with `id`) when any entry is not `-x`; otherwise the whole document
 * minus the hidden fields; `-x` entries are removed in both modes. Internal `_x` keys never leave.
 */
export function project(doc: Doc, onlyFields: readonly string[] | undefined, hidden: readonly string[]): Doc {
  const fields = (onlyFields ?? []).filter((f) => f !== "");
  const includes = fields.filter((f) => !f.startsWith("-"));
  const excludes = fields.filter((f) => f.startsWith("-")).map((f) => f.slice(1));
  let out: Doc;
  if (includes.length > 0) {
    out = { id: doc.id };
    for (const f of includes) {
      if (f === "*") {
        Object.assign(out, clone(doc));
        for (const h of hidden) if (!includes.includes(h)) removePath(out, h.split("."));
      } else copyPath(doc, out, f.split("."));
    }
  } else {
    out = clone(doc);
    for (const h of hidden) removePath(out, h.split("."));
  }
  for (const key of Object.keys(out)) if (key.startsWith("_")) delete out[key];
  for (const e of excludes) removePath(out, e.split("."));
  return out;
}

interface ScrollState {
  o: number;
}

function decodeScroll(scrollId: unknown): ScrollState {
  if (scrollId === null || scrollId === undefined || scrollId === "") return { o: 0 };
  try {
    if (typeof scrollId !== "string") throw new TypeError("not a string");
    const state = JSON.parse(atob(scrollId.replaceAll("-", "+").replaceAll("_", "/")));
    if (!isObject(state) || !Number.isInteger(state.o) || (state.o as number) < 0) throw new TypeError("bad state");
    return { o: state.o as number };
  } catch {
    throw errors.invalidScrollId(undefined, { scroll_id: scrollId });
  }
}

function encodeScroll(state: ScrollState): string {
  return btoa(JSON.stringify(state)).replaceAll("+", "-").replaceAll("/", "_");
}

/** Filter, hide, order and page `docs` (already in insertion order) for a `get_all` request. */
export function runQuery(docs: Doc[], params: Params, spec: QuerySpec): QueryResult {
  const filter = compileFilter(params.body, spec);
  const searchHidden = params.bool("search_hidden", false) || params.has("id");
  let items = docs.filter((d) => filter(d) && (searchHidden || !spec.isHidden?.(d, params)));
  const orderBy = params.strList("order_by") ?? [];
  items = sortDocs(items, orderBy, spec.numericOrderPrefixes);
  if (params.hasKey("scroll_id")) {
    const size = params.int("size", { min: 1 });
    if (size === undefined) throw errors.validation("size is required when scrolling", { field: "size" });
    const state = decodeScroll(params.body.scroll_id);
    if (params.bool("refresh_scroll", false) && state.o > 0) {
      return { items: items.slice(0, state.o), scrollId: encodeScroll(state) };
    }
    const page = items.slice(state.o, state.o + size);
    return { items: page, scrollId: encodeScroll({ o: state.o + page.length }) };
  }
  const page = params.int("page", { min: 0 }) ?? 0;
  const pageSize = Math.min(params.int("page_size", { min: 1 }) ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  return { items: items.slice(page * pageSize, (page + 1) * pageSize) };
}
