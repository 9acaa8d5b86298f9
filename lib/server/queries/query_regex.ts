/**
 * Name filters are regular expressions written for Python/PCRE (clients build them with `re.escape`). JavaScript
 * accepts Python's identity escapes (`\ `, `\-`, `\#`) only without the `u` flag, so patterns compile without it,
 * after translating the few Python-only constructs: `(?P<n>...)`, `(?P=n)`, `\A`, `\Z` and leading inline flags.
 *
 * @module
 */

import { errors } from "../errors.ts";

const cache = new Map<string, RegExp>();

/** Translate Python regex syntax to JavaScript (outside character classes). */
export function translatePythonRegex(pattern: string): { source: string; flags: string } {
  let flags = "";
  let src = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    for (const f of inline[1]) {
      if (f === "i" || f === "m" || f === "s") flags += f;
      else if (f === "x" || f === "L") throw new SyntaxError(`unsupported inline flag "${f}"`);
    }
    src = src.slice(inline[0].length);
  }
  let out = "";
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "\\" && i + 1 < src.length) {
      const n = src[i + 1];
      if (!inClass && n === "A") out += "^";
      else if (!inClass && n === "Z") out += "$";
      else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      if (src[i + 1] === "]") { // a leading "]" is literal in Python
        out += "\\]";
        i++;
      }
      continue;
    }
    if (src.startsWith("(?P<", i)) {
      out += "(?<";
      i += 3;
      continue;
    }
    const backref = /^\(\?P=(\w+)\)/.exec(src.slice(i));
    if (backref) {
      out += `\\k<${backref[1]}>`;
      i += backref[0].length - 1;
      continue;
    }
    out += c;
  }
  return { source: out, flags };
}

/**
 * Compile a filter pattern (unanchored, "search" semantics); an invalid pattern is a `400/21` error naming the
 * field.
 */
export function compilePattern(pattern: string, field: string, extraFlags = ""): RegExp {
  const key = `${extraFlags}\u0000${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let re: RegExp;
  try {
    const { source, flags } = translatePythonRegex(pattern);
    re = new RegExp(source, [...new Set(flags + extraFlags)].join(""));
  } catch (err) {
    throw errors.invalidRegex(undefined, { field, pattern, error: (err as Error).message });
  }
  if (cache.size > 256) cache.clear();
  cache.set(key, re);
  return re;
}

/** Escape text for use as a literal inside a pattern. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
