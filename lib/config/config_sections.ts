/**
 * The top-level `environment {}` and `files {}` configuration sections (agent-reference §12.5), applied when a
 * worker starts (`daemon`, `execute`, and the agent inside a task container) as the reference does:
 *
 * - `environment { NAME: value }` (or a list of `[name, value]` pairs) sets each variable for this process and
 *   so for every task it runs; `null` becomes `""`. Only the names are printed (`agent.apply_environment`).
 * - `files { name { path, contents, format, target_format, overwrite, mode } }` writes each file, creating its
 *   folder: `format: base64` decodes `contents`; structured `contents` are written as JSON (`target_format:
 *   json`, and `yaml`/`yml`, JSON being YAML); `overwrite: false` keeps an existing file; `mode` is octal
 *   (`"0o600"`, `"600"`). The contents are never printed (`agent.apply_files`).
 *
 * Values never go on a command line: a task or container gets them through its environment (`task_secrets.ts`).
 *
 * @module
 */

import { dirname } from "node:path";
import type { AgentConfig } from "./config_schema.ts";
import { type ConfigTree, isObject } from "./merge.ts";

function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The variables of the `environment {}` section (empty when there is none). */
export function environmentSection(tree: ConfigTree): Record<string, string> {
  const section = tree.environment;
  const out: Record<string, string> = {};
  if (isObject(section)) {
    for (const [name, value] of Object.entries(section)) out[name] = text(value);
  } else if (Array.isArray(section)) {
    for (const pair of section) {
      if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === "string") out[pair[0]] = text(pair[1]);
    }
  }
  return out;
}

/** One `files {}` entry as it will be written, or the reason it is skipped. */
export type FilePlan = { name: string; path: string; bytes: Uint8Array; overwrite: boolean; mode?: number } | {
  name: string;
  skip: string;
};

function parseMode(value: unknown): number | undefined | null {
  if (value === undefined || value === null || value === "") return undefined;
  const digits = String(value).trim().replace(/^0o/i, "");
  return /^[0-7]{1,4}$/.test(digits) ? parseInt(digits, 8) : null;
}

function contentsBytes(entry: Record<string, unknown>): Uint8Array {
  const contents = entry.contents;
  if (String(entry.format ?? "").toLowerCase() === "base64") {
    return Uint8Array.from(atob(text(contents).replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  }
  const target = String(entry.target_format ?? "").toLowerCase();
  if (typeof contents === "string") return new TextEncoder().encode(contents);
  const pretty = target === "json" || target === "yaml" || target === "yml" || target === "";
  return new TextEncoder().encode(pretty ? JSON.stringify(contents ?? null, null, 2) : text(contents));
}

/** What the `files {}` section asks for, entry by entry. */
export function filesSection(tree: ConfigTree, expand: (path: string) => string): FilePlan[] {
  const section = tree.files;
  if (!isObject(section)) return [];
  return Object.entries(section).map(([name, entry]): FilePlan => {
    if (!isObject(entry)) return { name, skip: "not a section with path and contents" };
    if (typeof entry.path !== "string" || entry.path === "") return { name, skip: "no path" };
    const mode = parseMode(entry.mode);
    if (mode === null) return { name, skip: `mode "${text(entry.mode)}" is not an octal number` };
    let bytes: Uint8Array;
    try {
      bytes = contentsBytes(entry);
    } catch {
      return { name, skip: "contents are not valid base64" };
    }
    return { name, path: expand(entry.path), bytes, overwrite: entry.overwrite !== false, mode };
  });
}

/** Write the planned files; resolves to one message per entry (`Saved [name]: path` / `Skipped [name]: why`). */
export async function writeSectionFiles(plans: FilePlan[]): Promise<string[]> {
  const lines: string[] = [];
  for (const plan of plans) {
    if ("skip" in plan) {
      lines.push(`Skipped [${plan.name}]: ${plan.skip}`);
      continue;
    }
    const st = await Deno.stat(plan.path).catch(() => undefined);
    if (st?.isDirectory) {
      lines.push(`Skipped [${plan.name}]: "${plan.path}" is a directory`);
      continue;
    }
    if (st && !plan.overwrite) {
      lines.push(`Skipped [${plan.name}]: "${plan.path}" exists (overwrite: false)`);
      continue;
    }
    try {
      await Deno.mkdir(dirname(plan.path), { recursive: true });
      await Deno.writeFile(plan.path, plan.bytes, { mode: plan.mode ?? 0o600 });
      if (plan.mode !== undefined) await Deno.chmod(plan.path, plan.mode);
      lines.push(`Saved [${plan.name}]: ${plan.path}`);
    } catch (err) {
      lines.push(`Skipped [${plan.name}]: cannot write "${plan.path}": ${(err as Error).message}`);
    }
  }
  return lines;
}

/**
 * Apply both sections to this process (as a worker does when it starts): set the variables, write the files.
 * Resolves to the lines to print.
 */
export async function applyConfigSections(
  tree: ConfigTree,
  config: AgentConfig,
  expand: (path: string) => string,
): Promise<string[]> {
  const lines: string[] = [];
  if (config.agent.apply_environment) {
    const env = environmentSection(tree);
    for (const [name, value] of Object.entries(env)) Deno.env.set(name, value);
    if (Object.keys(env).length > 0) {
      lines.push(`Environment variables set from configuration: ${JSON.stringify(Object.keys(env))}`);
    }
  }
  if (config.agent.apply_files) lines.push(...await writeSectionFiles(filesSection(tree, expand)));
  return lines;
}
