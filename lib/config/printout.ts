/**
 * The configuration printout of `clearml-agent config` (and of `daemon`/`execute` start-up), in the reference's
 * ".properties" shape (§12.2): one `dotted.key = value` line per leaf, lists as `key.0 = ...`, booleans
 * `true`/`false`, `=`, `!`, `#` and newlines escaped with `\`, null values omitted; `env`,
 * `logging.loggers.urllib3.level` and `logging.version` left out. A key accepted for compatibility without effect
 * here (`key_uses.ts`) gets a `# no effect (accepted for compatibility): <reason>` comment line above it.
 *
 * @module
 */

import { type ConfigTree, isObject } from "./merge.ts";
import { VERSION } from "../version.ts";
import { noEffectReason } from "./key_uses.ts";

const DROPPED = new Set(["env", "logging.loggers.urllib3.level", "logging.version"]);

function escape(text: string): string {
  return text.replace(/[=!#]/g, (c) => `\\${c}`).replace(/\n/g, "\\\n");
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

/** The whole printout with its header. */
export function configPrintout(tree: ConfigTree, location: string | undefined): string {
  const header = `Current configuration (clearml_agent v${VERSION}, location: ${location ?? "None"}):`;
  return [header, "-".repeat(22), ...propertiesLines(tree), ""].join("\n");
}
