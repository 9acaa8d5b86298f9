/**
 * pip requirement text: parsing (comments, continuations, options, `-r` includes, `-e`, VCS URLs, markers) and
 * the normalized form used for the venv cache key.
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";

/** A parsed requirement set. */
export interface RequirementSet {
  /** Requirement lines as written (comments removed), in order, includes inlined. */
  lines: string[];
  /** Index/install options (`--extra-index-url U`, `--index-url U`, `--find-links F`, `--pre`, ...). */
  options: string[];
  /** True when the set depends on local files (`-e`, local paths, constraints): not cacheable. */
  local: boolean;
}

const OPTION_WITH_VALUE = new Set([
  "-i",
  "--index-url",
  "--extra-index-url",
  "-f",
  "--find-links",
  "--trusted-host",
  "-c",
  "--constraint",
]);
const FLAG_OPTIONS = new Set(["--pre", "--no-index", "--prefer-binary"]);

/** Join continuation lines and drop comments (a `#` at line start or after whitespace). */
export function logicalLines(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, "");
  const out: string[] = [];
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (line) out.push(line);
  }
  return out;
}

/** Options of `parseRequirements`. */
export interface ParseOptions {
  /** Folder relative `-r` files and local paths resolve against (the repository root). */
  baseDir?: string;
  /** Read an included file (default: `Deno.readTextFileSync`). */
  readFile?: (path: string) => string;
  /** Check a local path (default: `Deno.statSync`). */
  exists?: (path: string) => boolean;
}

function defaultExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Parse pip requirement text; `-r FILE` includes are inlined (resolved against `baseDir`, at most 8 deep). */
export function parseRequirements(text: string, options: ParseOptions = {}, depth = 0): RequirementSet {
  const readFile = options.readFile ?? Deno.readTextFileSync;
  const exists = options.exists ?? defaultExists;
  const set: RequirementSet = { lines: [], options: [], local: false };
  for (const line of logicalLines(text)) {
    const [first, ...rest] = line.split(/\s+/);
    const eq = first.indexOf("=");
    const flag = first.startsWith("--") && eq > 0 ? first.slice(0, eq) : first;
    const value = first.startsWith("--") && eq > 0 ? first.slice(eq + 1) : rest.join(" ");
    if (flag === "-r" || flag === "--requirement") {
      if (depth >= 8) throw new TypeError(`Requirements include "${value}" is nested too deep`);
      if (!options.baseDir && !isAbsolute(value)) {
        throw new TypeError(`Requirements include "-r ${value}" needs a repository to resolve against`);
      }
      const path = isAbsolute(value) ? value : join(options.baseDir!, value);
      let included: string;
      try {
        included = readFile(path);
      } catch (err) {
        throw new TypeError(`Requirements file "${value}" (from "-r") not found in the repository`, { cause: err });
      }
      const sub = parseRequirements(included, { ...options, baseDir: dirname(path) }, depth + 1);
      set.lines.push(...sub.lines);
      set.options.push(...sub.options);
      set.local ||= sub.local;
    } else if (flag === "-e" || flag === "--editable") {
      set.lines.push(`-e ${value}`);
      if (!/^[a-z+]+:\/\//i.test(value)) set.local = true;
    } else if (OPTION_WITH_VALUE.has(flag)) {
      set.options.push(`${flag} ${value}`);
      if (flag === "-c" || flag === "--constraint") set.local = true;
    } else if (FLAG_OPTIONS.has(flag)) {
      set.options.push(flag);
    } else if (first.startsWith("-")) {
      throw new TypeError(`Unsupported requirements option "${first}"`);
    } else {
      const fixed = dropMissingFileUrl(line, exists);
      set.lines.push(fixed);
      if (isLocalPath(fixed)) set.local = true;
    }
  }
  return set;
}

/** `pkg @ file:///missing/path` → `pkg` (the SDK records conda-built packages this way; the reference does too). */
function dropMissingFileUrl(line: string, exists: (path: string) => boolean): string {
  const m = /^([A-Za-z0-9._-]+(?:\[[^\]]*\])?)\s*@\s*file:\/\/(\S+)/.exec(line);
  if (!m) return line;
  return exists(decodeURIComponent(m[2])) ? line : m[1];
}

function isLocalPath(line: string): boolean {
  return /^(\.{1,2}\/|\/|file:)/.test(line) || /@\s*file:/.test(line);
}

/**
 * One requirement line in a canonical form for hashing: the project name lower-cased with `_`/`.` → `-`,
 * whitespace around operators removed.
 */
export function normalizeLine(line: string): string {
  const compact = line.replace(/\s*(===|==|>=|<=|!=|~=|<|>|;|,|@)\s*/g, "$1").replace(/\s+/g, " ").trim();
  return compact.replace(/^([A-Za-z0-9][A-Za-z0-9._-]*)/, (name) => name.toLowerCase().replace(/[._]+/g, "-"));
}

/** The normalized, sorted, de-duplicated form of a set (the venv cache key's requirement part). */
export function normalizedSet(set: RequirementSet): { lines: string[]; options: string[] } {
  return {
    lines: [...new Set(set.lines.map(normalizeLine))].sort(),
    options: [...new Set(set.options.map((o) => o.replace(/\s+/g, " ")))].sort(),
  };
}

/** The text given to the installer: options first, then requirements, one per line. */
export function requirementsFileText(set: RequirementSet): string {
  return [...set.options, ...set.lines].join("\n") + "\n";
}

/** Find `requirements.txt` files from the repository root down to the entry point's folder (the reference's walk). */
export function repoRequirementsFiles(repoRoot: string, workingDir: string): string[] {
  const found: string[] = [];
  const target = resolve(repoRoot, workingDir);
  let dir = repoRoot;
  const parts = target === repoRoot ? [] : target.slice(repoRoot.length + 1).split("/");
  for (let i = 0; i <= parts.length; i++) {
    const file = join(dir, "requirements.txt");
    if (defaultExists(file)) return [file];
    if (i < parts.length) dir = join(dir, parts[i]);
  }
  return found;
}
