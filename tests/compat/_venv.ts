/**
 * The Python venv with the real ClearML clients (`clearml` SDK and the Python `clearml-agent`, pinned in
 * `tests/compat/requirements.txt`), created once per machine and reused: under `$CLEARML_AGENT_COMPAT_VENV`, or
 * `~/.cache/clearml-agent-compat/venv-<hash of the pins and the interpreter>`. It is built aside, its paths
 * rewritten, and renamed into place, so an interrupted build never leaves a half venv behind. A failed install
 * (no PyPI) is an error: the compatibility tests fail, they never skip.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { rewritePaths } from "../../lib/setup/python/venv_cache.ts";

/** This folder (`tests/compat`). */
export const COMPAT_DIR = dirname(fileURLToPath(import.meta.url));
const REQUIREMENTS = join(COMPAT_DIR, "requirements.txt");
const MARKER = ".compat-complete";
const INSTALL_TIMEOUT_MS = 600_000;

/** A ready venv. */
export interface CompatVenv {
  dir: string;
  /** The venv's interpreter. */
  python: string;
  /** The real interpreter it was made from (not a pyenv shim). */
  basePython: string;
  /** `major.minor` of the interpreter. */
  pythonVersion: string;
  /** Path of a console script in the venv (`clearml-task`, `clearml-agent`). */
  bin(name: string): string;
}

async function run(cmd: string, args: string[], what: string, timeoutMs = 120_000): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
  } catch (err) {
    throw new Error(`Cannot ${what}: ${(err as Error).message}`, { cause: err });
  }
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`Cannot ${what} (exit ${out.code}):\n${text.slice(-3000)}`);
  return text;
}

/** The real interpreter behind `python3` (resolves a pyenv shim) and its version. */
async function realPython(): Promise<{ path: string; version: string }> {
  const text = await run(
    "python3",
    ["-c", "import os, sys; print(os.path.realpath(sys.executable)); print('%d.%d.%d' % sys.version_info[:3])"],
    "find python3",
  );
  const [path, version] = text.trim().split("\n");
  return { path, version };
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function venvOf(dir: string, base: { path: string; version: string }): CompatVenv {
  return {
    dir,
    python: join(dir, "bin", "python"),
    basePython: base.path,
    pythonVersion: base.version.split(".").slice(0, 2).join("."),
    bin: (name) => join(dir, "bin", name),
  };
}

async function build(target: string, base: { path: string; version: string }): Promise<void> {
  await Deno.mkdir(dirname(target), { recursive: true });
  const aside = `${target}.build-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await run(base.path, ["-m", "venv", aside], "create the compatibility venv");
    await run(
      join(aside, "bin", "python"),
      ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS],
      `install the pinned ClearML clients from ${REQUIREMENTS} (is PyPI reachable?)`,
      INSTALL_TIMEOUT_MS,
    );
    await rewritePaths(aside, aside, target);
    await Deno.writeTextFile(join(aside, MARKER), "ok\n");
    try {
      await Deno.rename(aside, target);
    } catch (err) {
      if (!exists(join(target, MARKER))) throw err; // another run finished first: use its venv
    }
  } finally {
    await Deno.remove(aside, { recursive: true }).catch(() => {});
  }
}

let pending: Promise<CompatVenv> | undefined;

/** The venv with the pinned clients, built on first use (a minute or two on a fresh machine). */
export function compatVenv(): Promise<CompatVenv> {
  pending ??= (async () => {
    const base = await realPython();
    const pins = await Deno.readTextFile(REQUIREMENTS);
    const home = Deno.env.get("HOME") ?? "/root";
    const cacheRoot = Deno.env.get("XDG_CACHE_HOME") || join(home, ".cache");
    const hash = (await sha256(`${pins}\n${base.path}\n${base.version}`)).slice(0, 12);
    const given = Deno.env.get("CLEARML_AGENT_COMPAT_VENV");
    const dir = given || join(cacheRoot, "clearml-agent-compat", `venv-${hash}`);
    if (given && exists(join(given, "bin", "python"))) return venvOf(given, base); // the caller's own venv, as is
    if (!exists(join(dir, MARKER))) {
      if (exists(dir)) await Deno.remove(dir, { recursive: true }); // an incomplete venv from a foreign build
      await build(dir, base);
    }
    return venvOf(dir, base);
  })();
  pending.catch(() => (pending = undefined));
  return pending;
}

/** The folder the compatibility suite keeps caches in (agent venv caches), next to the venv. */
export async function compatCacheDir(name: string): Promise<string> {
  const home = Deno.env.get("HOME") ?? "/root";
  const cacheRoot = Deno.env.get("XDG_CACHE_HOME") || join(home, ".cache");
  const dir = join(cacheRoot, "clearml-agent-compat", name);
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}
