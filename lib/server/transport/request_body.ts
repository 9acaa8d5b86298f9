/**
 * The wire side of a call (server-api.md §1.1–1.2): the path grammar, reading the body on any method with a size
 * cap, JSON and json-lines parsing, and merging query-string parameters into the body.
 *
 * @module
 */

import { errors, ServerError } from "../errors.ts";
import { type Doc, isObject } from "../json.ts";

/** Largest request body accepted (bytes). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

const PATH_RE = /^\/?(?:v(\d+\.?\d+)\/)?([a-zA-Z_]\w+\.[a-zA-Z_]\w+)\/?$/;

/** A parsed request path. */
export interface ParsedPath {
  /** `service.action`. */
  name: string;
  /** The version text from the URL (`"2.5"`), or `undefined` when unversioned. */
  version?: string;
}

/** Parse `/v2.5/tasks.get_by_id`; `undefined` when the path does not match the grammar. */
export function parsePath(pathname: string): ParsedPath | undefined {
  const m = PATH_RE.exec(pathname);
  if (!m) return undefined;
  return { name: m[2], version: m[1] };
}

/** The body was over the cap. `drained`: the rest was read and discarded (the connection can be reused). */
export class BodyTooLargeError extends ServerError {
  readonly drained: boolean;
  constructor(cap: number, drained: boolean) {
    super(400, 0, `Bad request (request body too large): limit_bytes=${cap}`);
    this.drained = drained;
  }
}

/**
 * Read a request body (any method: clients send JSON bodies with GET), refusing more than `cap` bytes. A declared
 * `Content-Length` over the cap fails at once; a longer streamed body is drained and discarded, never buffered.
 */
export async function readBody(
  chunks: AsyncIterable<Uint8Array>,
  declaredLength: number | undefined,
  cap = MAX_BODY_BYTES,
): Promise<Uint8Array> {
  if (declaredLength !== undefined && declaredLength > cap) throw new BodyTooLargeError(cap, false);
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total <= cap) parts.push(chunk);
  }
  if (total > cap) throw new BodyTooLargeError(cap, true);
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of parts) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

const decoder = new TextDecoder();

/** The parsed request data: a body object, and for json-lines bodies the list of items. */
export interface RequestData {
  body: Doc;
  batch?: Doc[];
}

/** Parse a json-lines body: every non-empty line must be a JSON object. */
export function parseJsonLines(text: string): Doc[] {
  const items: Doc[] = [];
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw errors.badRequest("invalid json-lines body", { line: lineNo, error: jsonErrorWhere(err) });
    }
    if (!isObject(value)) {
      throw errors.badRequest("invalid json-lines body: line is not a JSON object", { line: lineNo });
    }
    items.push(value);
  }
  return items;
}

/**
 * Parse the body by content type: json-lines → items; form-encoded → merged like a query string; anything else
 * is JSON regardless of the declared type (empty → `{}`).
 */
export function parseBody(bytes: Uint8Array, contentType: string, wantBatch: boolean): RequestData {
  const text = decoder.decode(bytes);
  const type = contentType.split(";")[0].trim().toLowerCase();
  if (type === "application/json-lines" || type === "application/x-ndjson") {
    const batch = parseJsonLines(text);
    return { body: {}, batch };
  }
  if (type === "application/x-www-form-urlencoded" && !/^\s*[{[]/.test(text)) {
    // A real form; JSON sent with a form content type (curl -d) is parsed as JSON below.
    const body: Doc = {};
    mergeQuery(body, new URLSearchParams(text));
    return { body };
  }
  if (text.trim() === "") return { body: {}, batch: wantBatch ? [] : undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // The parser's message quotes the input, which may be anything (another request's headers): not echoed.
    throw new ServerError(400, 0, `Invalid JSON body: ${jsonErrorWhere(err)}`);
  }
  if (wantBatch && Array.isArray(value) && value.every(isObject)) return { body: {}, batch: value as Doc[] };
  if (!isObject(value)) throw new ServerError(400, 0, "Invalid JSON body: expected a JSON object");
  return { body: value, batch: wantBatch ? [value] : undefined };
}

/** Where a JSON text is broken (`position N` / `unexpected end`), without quoting any of it. */
function jsonErrorWhere(err: unknown): string {
  const message = err instanceof Error ? err.message : "";
  const at = /position (\d+)/.exec(message);
  if (at) return `syntax error at position ${at[1]}`;
  if (/end of (JSON )?input|Unterminated/i.test(message)) return "unexpected end of the body";
  return "not valid JSON";
}

/** Convert one query-string value like upstream: ints, floats, booleans, else the string. */
export function convertQueryValue(value: string): unknown {
  if (/^\d+$/.test(value)) return Number(value);
  if (/^\d+\.\d+$/.test(value)) return Number(value);
  if (value === "true" || value === "True" || value === "TRUE") return true;
  if (value === "false" || value === "False" || value === "FALSE") return false;
  return value;
}

/**
 * Merge query-string parameters into the body (they override): dotted keys nest, a `[]` suffix or a repeated key
 * makes a list.
 */
export function mergeQuery(body: Doc, params: URLSearchParams): void {
  const seen = new Set<string>();
  for (const rawKey of params.keys()) {
    if (seen.has(rawKey)) continue;
    seen.add(rawKey);
    const values = params.getAll(rawKey).map(convertQueryValue);
    const isList = rawKey.endsWith("[]") || values.length > 1;
    const key = rawKey.endsWith("[]") ? rawKey.slice(0, -2) : rawKey;
    if (key === "") continue;
    const value = isList ? values : values[0];
    const parts = key.split(".");
    let cur = body;
    for (const part of parts.slice(0, -1)) {
      if (!isObject(cur[part])) cur[part] = {};
      cur = cur[part] as Doc;
    }
    cur[parts[parts.length - 1]] = value;
  }
}

/** Value of a header in its ClearML spelling, falling back to the Trains spelling. */
export function clearmlHeader(headers: Headers, suffix: string): string | undefined {
  return headers.get(`x-clearml-${suffix}`) ?? headers.get(`x-trains-${suffix}`) ?? undefined;
}
