/**
 * The clearml.conf reader: the HOCON dialect of the pyhocon that the reference agent vendors. Pure (text in, object
 * out); files for `include` and environment variables for substitutions come through injectable options.
 *
 * Supported: `key: value`, `key = value`, `key { }`, `key: { }`, dotted keys at any level, repeated keys (objects
 * merge deeply, other values replace), `#` and `//` comments (a `//` inside an unquoted word such as
 * `https://host` is part of the word; after a blank it starts a comment), quoted keys and strings (pyhocon's escapes:
 * `\n \t \r \\ \" \= \# \!`; other pairs such as `\u0041` stay as written), `"""triple-quoted"""` strings, unquoted
 * strings, value concatenation (`a b  c` keeps its blanks; arrays append; objects merge), `+=` (a list or string
 * appends to the previous value), `${path}` / `${?path}` with environment fallback and self references
 * (`path: ${path} [x]`), `include "f"`, `include file("f")`, `include required(...)` relative to the including file.
 * `true`/`false`/`null` in any case (`True`); `yes`, `on`, `10GB`, `1.2.3` are strings; `2.0` is a float.
 *
 * Differences from pyhocon, where pyhocon is plainly broken: `${?X}` that finds nothing drops an array element (pyhocon
 * puts null) and a self reference (`a: ${?a}`) then leaves the key absent; `a += "x"` without an earlier `a` is "x"
 * (not " x"); a key path set through an unresolved value (`a: ${x}`, then `a.b: 1`) merges; `null` in a string
 * concatenation reads "null"; tabs are kept (pyparsing expands them to spaces); `include url(...)` and
 * `include "http://..."` are errors; `include required(file(...))` works; a trailing `10s` is not turned into a
 * duration. Syntax and resolution errors throw `ConfigError` with a message starting `file:line:col:`.
 *
 * Numbers: `parseHocon` returns plain JS numbers, so `2.0` and `2` are the same there. `parseHoconTyped` keeps the
 * types (floats as `HoconFloat`, integers beyond 2^53 as `bigint`), and `toPythonJson` writes a typed tree exactly as
 * the reference's `json.dumps(sort_keys=True, indent=1)` does; the golden tests compare that text byte for byte.
 *
 * @module
 */

import { dirname } from "node:path";
import { ConfigError } from "./errors.ts";
import { parseDocument } from "./hocon_parser.ts";
import { resolveDocument } from "./hocon_resolve.ts";
import { toPlain } from "./hocon_json.ts";

export { toPythonJson } from "./hocon_json.ts";
export { HoconFloat } from "./hocon_values.ts";

/** Options of `parseHocon`. */
export interface HoconOptions {
  /** For error messages and relative includes. */
  filename?: string;
  /** Environment for unresolved substitutions; default `Deno.env.get` (no access means no variables). */
  env?: (name: string) => string | undefined;
  /** Reads an included file; default `Deno.readTextFileSync`. */
  readFile?: (path: string) => string;
}

function defaultEnv(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

function defaultReadFile(path: string): string {
  return Deno.readTextFileSync(path);
}

function parseTree(text: string, options: HoconOptions, typed: boolean): Record<string, unknown> {
  const name = options.filename ?? "<string>";
  const context = {
    readFile: options.readFile ?? defaultReadFile,
    including: options.filename === undefined ? [] : [options.filename],
  };
  try {
    const dir = options.filename === undefined ? undefined : dirname(options.filename);
    const root = parseDocument({ name, text, dir }, context, []);
    return toPlain(resolveDocument(root, options.env ?? defaultEnv), typed) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ConfigError(`${name}: cannot read the configuration: it is nested too deeply`, { cause: error });
  }
}

/** Parses clearml.conf text into a plain JSON-like object; throws `ConfigError` (`file:line:col: ...`). */
export function parseHocon(text: string, options: HoconOptions = {}): Record<string, unknown> {
  return parseTree(text, options, false);
}

/** As `parseHocon`, but floats stay `HoconFloat` (`2.0` is not `2`) and integers beyond 2^53 stay `bigint`. */
export function parseHoconTyped(text: string, options: HoconOptions = {}): Record<string, unknown> {
  return parseTree(text, options, true);
}
