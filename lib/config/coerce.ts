/**
 * Value coercion for configuration keys: turns what a file or a variable holds into the key's kind, the lenient
 * way the reference reads them (`"true"`/`yes`/`1` for booleans, numeric strings for numbers, one string for a
 * list), and reports anything else as a `ConfigError` naming the key and where its value came from.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import type { KeyKind } from "./schema.ts";
import { shlexSplit } from "./shlex.ts";

const TRUE = new Set(["y", "yes", "t", "true", "on", "1"]);
const FALSE = new Set(["n", "no", "f", "false", "off", "0"]);

/** Parse a boolean the reference's way; undefined when the text is not a boolean. */
export function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  return undefined;
}

function describe(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value);
}

function fail(path: string, expected: string, value: unknown, source?: string): never {
  const where = source ? ` (from ${source})` : "";
  throw new ConfigError(`Invalid value for "${path}"${where}: expected ${expected}, got ${describe(value)}`);
}

/**
 * Coerce `value` to `kind`; `undefined` and `null` pass through unchanged (absent). Throws `ConfigError`.
 * `fromEnv` strings are split shell-style for list keys (as the reference's "list" variables).
 */
export function coerce(
  kind: KeyKind,
  value: unknown,
  ctx: { path: string; source?: string; fromEnv?: boolean },
): unknown {
  if (value === undefined || value === null) return value;
  switch (kind) {
    case "any":
      return value;
    case "string":
      if (typeof value === "string") return value;
      if (typeof value === "number" || typeof value === "boolean") return String(value);
      return fail(ctx.path, "a string", value, ctx.source);
    case "boolean": {
      if (typeof value === "boolean") return value;
      if (typeof value === "number" && (value === 0 || value === 1)) return value === 1;
      const b = typeof value === "string" ? parseBool(value) : undefined;
      return b ?? fail(ctx.path, "true or false", value, ctx.source);
    }
    case "integer":
    case "number": {
      const n = typeof value === "number"
        ? value
        : typeof value === "string" && value.trim() !== ""
        ? Number(value)
        : NaN;
      if (!Number.isFinite(n)) return fail(ctx.path, kind === "integer" ? "an integer" : "a number", value, ctx.source);
      if (kind === "integer" && !Number.isInteger(n)) return fail(ctx.path, "an integer", value, ctx.source);
      return n;
    }
    case "strings": {
      if (Array.isArray(value)) {
        return value.map((v) => typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v));
      }
      if (typeof value === "string") {
        if (!ctx.fromEnv) return value.trim() === "" ? [] : [value];
        try {
          return shlexSplit(value);
        } catch (err) {
          throw new ConfigError(`Invalid value for "${ctx.path}" (from ${ctx.source}): ${(err as Error).message}`);
        }
      }
      return fail(ctx.path, "a list of strings", value, ctx.source);
    }
  }
}
