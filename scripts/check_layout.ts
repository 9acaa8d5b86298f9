/**
 * Layout rules checked by `deno task ok`:
 * - no source file over 500 lines (`lib/`, `executors/`, `main.ts`);
 * - `Deno.exit` only in `main.ts`;
 * - a `_name.ts` file is private to its folder: only files in the same folder import it;
 * - dependencies point one way: cli → worker → setup (the task child) → job (the daemon side) → executors (where
 *   a task runs: the host, docker with its launcher and image build, kubernetes) → process, with `api`, `config`,
 *   `logs`, `stats`, `gpus` as leaves, `lib/secrets` and `lib/wire` (the wire vocabulary: task statuses and types,
 *   log events) below all of them, and the embedded server (`lib/server`) independent of the agent.
 *
 * Prints one line per violation and exits 1 if there is any.
 *
 * @module
 */

import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MAX_LINES = 500;

/** For each area, the areas it must never import. */
const FORBIDDEN: Record<string, string[]> = {
  "lib/wire": [
    "lib/cli",
    "lib/worker",
    "lib/job",
    "lib/setup",
    "executors",
    "lib/server",
    "lib/api",
    "lib/config",
    "lib/logs",
    "lib/task",
  ],
  "lib/secrets": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/server", "lib/api", "lib/config", "lib/logs"],
  "lib/api": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/server", "lib/process"],
  "lib/config": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/server", "lib/api", "lib/process"],
  "lib/logs": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/server", "lib/api", "lib/config"],
  "lib/task": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/server"],
  "lib/doctor": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/server"],
  "lib/init": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/server"],
  "lib/service": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/server"],
  "lib/stats": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/server", "lib/api", "lib/config"],
  "lib/gpus": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/server", "lib/api", "lib/config"],
  "lib/process": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/server", "lib/api"],
  "executors": ["lib/cli", "lib/worker", "lib/job", "lib/setup", "lib/k8s", "lib/server"],
  "lib/job": ["lib/cli", "lib/worker", "lib/server", "lib/setup"],
  "lib/setup": ["lib/cli", "lib/worker", "lib/server", "lib/k8s"],
  "lib/worker": ["lib/cli", "lib/server"],
  "lib/k8s": ["lib/cli", "lib/server"],
  "lib/server": ["lib/cli", "lib/worker", "lib/job", "executors", "lib/api", "lib/process"],
};

function* sources(dir: string): Generator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

function areaOf(rel: string): string | undefined {
  return Object.keys(FORBIDDEN).find((area) => rel === area || rel.startsWith(area + "/"));
}

const problems: string[] = [];
const files = [join(ROOT, "main.ts"), ...sources(join(ROOT, "lib")), ...sources(join(ROOT, "executors"))];
for (const file of files) {
  const rel = relative(ROOT, file);
  const text = Deno.readTextFileSync(file);
  const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  if (lines > MAX_LINES) problems.push(`${rel}: ${lines} lines (at most ${MAX_LINES}); split it by concern`);
  if (rel !== "main.ts" && /\bDeno\.exit\s*\(/.test(text)) problems.push(`${rel}: Deno.exit outside main.ts`);
  const area = areaOf(rel);
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    const target = relative(ROOT, resolve(dirname(file), match[1]));
    if (/(^|\/)_[^/]*$/.test(target) && dirname(target) !== dirname(rel)) {
      problems.push(`${rel}: imports "${target}", private to ${dirname(target)}/`);
    }
    const bad = area && FORBIDDEN[area].find((f) => target === f || target.startsWith(f + "/"));
    if (bad) problems.push(`${rel}: imports "${target}" (${area} must not depend on ${bad})`);
  }
}

for (const p of problems) console.error(p);
if (problems.length > 0) {
  console.error(`${problems.length} layout problem(s)`);
  Deno.exit(1);
}
console.log(`layout ok: ${files.length} files`);
