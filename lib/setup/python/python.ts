/**
 * Choosing the task's interpreter (agent-reference §6.4): the task's requested version (`script.binary`), else
 * `agent.python_binary`, else `agent.default_python`, else `python3`. Candidates are looked up on PATH and in
 * pyenv's version folders, probed once, and remembered in a small cache file keyed by the candidate's path and
 * mtime, because a pyenv shim costs ~0.35 s per start: the venv is always built on the real binary.
 *
 * @module
 */

import { delimiter, join } from "node:path";
import { type Executor, SetupError } from "../../../executors/executor.ts";

/** A usable interpreter. */
export interface PythonInfo {
  /** Real path of the interpreter binary. */
  executable: string;
  /** Full version, e.g. `3.11.7`. */
  version: string;
  /** `X.Y`. */
  majorMinor: string;
}

/** Options of `findPython`. */
export interface FindPythonOptions {
  /** Version the task asks for (`3.10`, `3`), or undefined. */
  requested?: string;
  /** `agent.python_binary`: a path or a version. */
  pythonBinary?: string;
  /** `agent.default_python`. */
  defaultPython?: string;
  /** JSON file remembering probe results. */
  cacheFile?: string;
  executor: Executor;
  /** PATH to search (default: this process's). */
  path?: string;
  /** pyenv root (default: `$PYENV_ROOT` or `~/.pyenv`). */
  pyenvRoot?: string;
}

interface CacheEntry {
  mtime: number;
  executable: string;
  version: string;
}

function statMtime(path: string): number | undefined {
  try {
    const st = Deno.statSync(path);
    return st.isFile ? st.mtime?.getTime() ?? 0 : undefined;
  } catch {
    return undefined;
  }
}

function which(name: string, path: string): string | undefined {
  if (name.includes("/")) return statMtime(name) === undefined ? undefined : name;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (statMtime(candidate) !== undefined) return candidate;
  }
  return undefined;
}

function pyenvCandidates(root: string, version: string): string[] {
  const out: string[] = [];
  try {
    const names = [...Deno.readDirSync(join(root, "versions"))].map((e) => e.name)
      .filter((n) => n === version || n.startsWith(version + "."))
      .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
    const short = version.split(".").slice(0, 2).join(".");
    for (const n of names) out.push(join(root, "versions", n, "bin", `python${short.includes(".") ? short : "3"}`));
  } catch {
    // no pyenv
  }
  return out;
}

function readCache(file: string | undefined): Record<string, CacheEntry> {
  if (!file) return {};
  try {
    return JSON.parse(Deno.readTextFileSync(file));
  } catch {
    return {};
  }
}

function writeCache(file: string | undefined, cache: Record<string, CacheEntry>): void {
  if (!file) return;
  try {
    const tmp = `${file}.${Deno.pid}.tmp`;
    Deno.writeTextFileSync(tmp, JSON.stringify(cache));
    Deno.renameSync(tmp, file);
  } catch {
    // the cache is only an optimization
  }
}

const PROBE = "import os,sys;print(os.path.realpath(sys.executable));print('%d.%d.%d'%sys.version_info[:3])";

async function probe(executor: Executor, candidate: string): Promise<CacheEntry | undefined> {
  const res = await executor.capture({ argv: [candidate, "-c", PROBE] }).catch(() => undefined);
  if (!res || res.code !== 0) return undefined;
  const [executable, version] = res.stdout.trim().split("\n");
  if (!executable || !/^\d+\.\d+\.\d+$/.test(version ?? "")) return undefined;
  return { mtime: statMtime(candidate) ?? 0, executable, version };
}

function matches(version: string, wanted: string | undefined): boolean {
  return !wanted || version === wanted || version.startsWith(wanted + ".");
}

/** Find the interpreter; throws `SetupError("env")` when the wanted version is nowhere. */
export async function findPython(options: FindPythonOptions): Promise<PythonInfo> {
  const path = options.path ?? Deno.env.get("PATH") ?? "/usr/bin:/bin";
  const pyenvRoot = options.pyenvRoot ?? Deno.env.get("PYENV_ROOT") ?? join(Deno.env.get("HOME") ?? "/root", ".pyenv");
  const binary = options.pythonBinary?.trim() ?? "";
  const binaryIsPath = binary.includes("/");
  const wanted = options.requested ?? (binary && !binaryIsPath ? binary.replace(/^python/, "") : undefined) ??
    (options.defaultPython?.trim() || undefined);
  const names: string[] = [];
  if (!options.requested && binaryIsPath) names.push(binary);
  if (wanted && wanted.includes(".")) {
    const short = wanted.split(".").slice(0, 2).join(".");
    names.push(`python${short}`, ...pyenvCandidates(pyenvRoot, wanted));
  }
  if (!wanted || !wanted.includes(".")) names.push(`python${wanted ?? "3"}`, "python3", "python");

  const cache = readCache(options.cacheFile);
  let dirty = false;
  for (const name of [...new Set(names)]) {
    const candidate = which(name, path);
    if (!candidate) continue;
    const mtime = statMtime(candidate);
    let entry: CacheEntry | undefined = cache[candidate];
    if (!entry || entry.mtime !== mtime || statMtime(entry.executable) === undefined) {
      entry = await probe(options.executor, candidate);
      if (!entry) continue;
      cache[candidate] = entry;
      dirty = true;
    }
    if (!matches(entry.version, wanted)) continue;
    if (dirty) writeCache(options.cacheFile, cache);
    return {
      executable: entry.executable,
      version: entry.version,
      majorMinor: entry.version.split(".").slice(0, 2).join("."),
    };
  }
  if (dirty) writeCache(options.cacheFile, cache);
  const what = wanted ? `Python ${wanted}` : "A Python interpreter";
  const source = options.requested ? " requested by the task" : "";
  throw new SetupError("env", `${what}${source} was not found on this machine`);
}
