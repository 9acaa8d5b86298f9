/**
 * The configuration printout of `clearml-agent config` (and of `daemon`/`execute` start-up), in the reference's
 * ".properties" shape (§12.2): one `dotted.key = value` line per leaf, lists as `key.0 = ...`, booleans
 * `true`/`false`, null values omitted; `env`, `logging.loggers.urllib3.level` and `logging.version` left out.
 * Values are printed as written (the reference escapes `=`, `!` and `#` with `\`, which reads as part of the value:
 * `python_version >\= '3.10'`); only a newline is shown as `\n`, so that each key stays on one line. A key accepted
 * for compatibility without effect here (`key_uses.ts`) gets a `# no effect (accepted for compatibility): <reason>`
 * comment line above it.
 *
 * @module
 */

import { type ConfigTree, isObject } from "./merge.ts";
import { VERSION } from "../version.ts";
import { noEffectReason } from "./key_uses.ts";

const DROPPED = new Set(["env", "logging.loggers.urllib3.level", "logging.version"]);

function escape(text: string): string {
  return text.replace(/\n/g, "\\n");
}

function flatten(value: unknown, path: string, out: string[]): void {
  if (DROPPED.has(path) || value === null || value === undefined) return;
  const noEffect = isObject(value) ? undefined : noEffectReason(path);
  if (noEffect && !(Array.isArray(value) && value.length === 0)) {
    out.push(`# no effect (accepted for compatibility): ${noEffect}`);
  }
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, out);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${path}.${i}`, out));
  } else {
    out.push(`${path} = ${typeof value === "string" ? escape(value) : String(value)}`);
  }
}

/** The flattened `key = value` lines of a (masked) tree. */
export function propertiesLines(tree: ConfigTree): string[] {
  const out: string[] = [];
  flatten(tree, "", out);
  return out;
}

/**
 * The whole printout with its header. Without a configuration file, a line says so (and where it looked), and
 * one more when no server is set by any means.
 */
export function configPrintout(
  tree: ConfigTree,
  location: string | undefined,
  missing?: { lookedFor: readonly string[]; hasServer: boolean },
): string {
  const header = `Current configuration (clearml_agent v${VERSION}, location: ${location ?? "None"}):`;
  const notes: string[] = [];
  if (!location && missing) {
    notes.push(
      `No configuration file found (looked for ${missing.lookedFor.map((f) => `"${f}"`).join(" and ")}): ` +
        "built-in defaults and CLEARML_* variables only",
    );
    if (!missing.hasServer) {
      notes.push("No server configured (api.api_server): run `clearml-agent init` or set CLEARML_API_HOST");
    }
  }
  return [...notes, header, "-".repeat(22), ...propertiesLines(tree), ""].join("\n");
}
