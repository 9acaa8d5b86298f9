/**
 * The venv cache (`agent.venvs_cache`): one complete venv per key, where the key hashes the package manager, the
 * interpreter version, the CUDA version, the docker image, the index URLs, the lock file (poetry / uv projects)
 * and the normalized requirement set. A hit is used in
 * place (no copy: the fast path). A miss is built aside in `_temp.*` and renamed in when complete, so the cache
 * never holds a half-built entry; scripts that name the temporary path are rewritten after the rename. Entries
 * are evicted least-recently-used beyond `max_entries`, or while free space is under `free_space_threshold_gb`;
 * entries in use by a running task (a pid marker) are never evicted.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";

/** Inputs of the cache key. */
export interface VenvKeyInput {
  packageManager: string;
  /** Full interpreter version (`3.11.7`). */
  python: string;
  cuda: string;
  dockerImage: string;
  requirements: { lines: string[]; options: string[] };
  systemSitePackages: boolean;
  /** Index URLs and index-related settings that change what gets installed (configured and from variables). */
  indexes: string[];
  /** sha256 of `pyproject.toml` + lock file of a poetry / uv project ("" for a requirement set). */
  lockHash: string;
}

/** The key of a requirement set and environment (hex). */
export function venvCacheKey(input: VenvKeyInput): string {
  const text = [
    `pm=${input.packageManager}`,
    `python=${input.python}`,
    `cuda=${input.cuda}`,
    `docker=${input.dockerImage}`,
    `system_site_packages=${input.systemSitePackages}`,
    `lock=${input.lockHash}`,
    ...input.indexes.map((i) => `index=${i}`),
    ...input.requirements.options.map((o) => `option=${o}`),
    ...input.requirements.lines.map((l) => `req=${l}`),
  ].join("\n");
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/** Options of `VenvCache`. */
export interface VenvCacheOptions {
  root: string;
  maxEntries: number;
  /** Least free space (GB) to keep on the cache's file system; ≤ 0 disables the check. */
  freeSpaceThresholdGb: number;
  /** Free bytes on the file system holding `root` (tests inject it). */
  freeBytes?: (path: string) => Promise<number | undefined>;
  say?: (line: string) => void;
}

async function dfFreeBytes(path: string): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("df", { args: ["-Pk", path], stdout: "piped", stderr: "null" }).output();
    const fields = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)?.split(/\s+/) ?? [];
    const kb = Number(fields[3]);
    return Number.isFinite(kb) ? kb * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** The venv cache folder. */
export class VenvCache {
  readonly root: string;
  #options: VenvCacheOptions;

  constructor(options: VenvCacheOptions) {
    this.root = options.root;
    this.#options = options;
  }

  /** Where the entry for `key` lives. */
  entryPath(key: string): string {
    return join(this.root, key);
  }

  /** The entry for `key` if it exists and is complete; marks it used (LRU). */
  async lookup(key: string): Promise<string | undefined> {
    let dir: string;
    try {
      dir = await Deno.realPath(this.entryPath(key));
      await Deno.stat(join(dir, "pyvenv.cfg"));
    } catch {
      return undefined;
    }
    const now = new Date();
    await Deno.utime(dir, now, now).catch(() => {});
    return dir;
  }

  /** A fresh folder (inside the cache, same file system) to build a new entry in. */
  async buildDir(): Promise<string> {
    await Deno.mkdir(this.root, { recursive: true });
    return join(this.root, `_temp.${Date.now()}.${crypto.randomUUID().slice(0, 8)}`);
  }

  /**
   * Move a complete venv from `tmp` into the cache under `key`; resolves to its final path. When another agent
   * added the same key meanwhile, its entry is kept and `tmp` removed.
   */
  async commit(tmp: string, key: string): Promise<string> {
    const dir = this.entryPath(key);
    try {
      await Deno.rename(tmp, dir);
    } catch {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      return dir;
    }
    await rewritePaths(dir, tmp, dir);
    return dir;
  }

  /** Make `alias` (another key of the same environment, e.g. the frozen set's) point at `key`'s entry. */
  async addAlias(alias: string, key: string): Promise<void> {
    if (alias === key) return;
    await Deno.symlink(key, this.entryPath(alias)).catch(() => {});
  }

  /** Record that this process uses the entry for `key` (eviction skips it); returns the release function. */
  async markInUse(key: string): Promise<() => Promise<void>> {
    const dir = join(this.root, ".inuse");
    await Deno.mkdir(dir, { recursive: true });
    const marker = join(dir, `${key}.${Deno.pid}`);
    await Deno.writeTextFile(marker, "");
    return () => Deno.remove(marker).catch(() => {});
  }

  #inUse(): Set<string> {
    const keys = new Set<string>();
    try {
      for (const e of Deno.readDirSync(join(this.root, ".inuse"))) {
        const [key, pid] = e.name.split(".");
        if (pidAlive(Number(pid))) keys.add(key);
        else Deno.removeSync(join(this.root, ".inuse", e.name));
      }
    } catch {
      // no markers
    }
    return keys;
  }

  /** Entries by last use, newest first. */
  async entries(): Promise<{ key: string; mtime: number }[]> {
    const out: { key: string; mtime: number }[] = [];
    for await (const e of Deno.readDir(this.root)) {
      if (!e.isDirectory || e.name.startsWith("_temp.") || e.name.startsWith(".")) continue;
      const st = await Deno.stat(join(this.root, e.name)).catch(() => undefined);
      out.push({ key: e.name, mtime: st?.mtime?.getTime() ?? 0 });
    }
    return out.sort((a, b) => b.mtime - a.mtime);
  }

  /**
   * Make room before adding an entry: drop the least recently used entries beyond `max_entries - 1`, then while
   * free space is under the threshold. Resolves to false when space is still short (do not add).
   */
  async makeRoom(): Promise<boolean> {
    const say = this.#options.say ?? (() => {});
    const inUse = this.#inUse();
    await this.#removeStaleTemps();
    const entries = await this.entries();
    const keep = Math.max(0, this.#options.maxEntries - 1);
    const victims = entries.slice(keep).filter((e) => !inUse.has(e.key));
    const survivors = entries.slice(0, keep).filter((e) => !inUse.has(e.key)).reverse();
    for (const v of victims) {
      say(`venv cache: evicting ${v.key} (least recently used)`);
      await Deno.remove(this.entryPath(v.key), { recursive: true }).catch(() => {});
    }
    const threshold = this.#options.freeSpaceThresholdGb * 1024 ** 3;
    if (threshold <= 0) return true;
    const free = this.#options.freeBytes ?? dfFreeBytes;
    for (;;) {
      const bytes = await free(this.root);
      if (bytes === undefined || bytes > threshold) return true;
      const next = survivors.shift();
      if (!next) {
        say(`venv cache: free space under ${this.#options.freeSpaceThresholdGb} GB, not adding`);
        return false;
      }
      say(`venv cache: evicting ${next.key} (free space under ${this.#options.freeSpaceThresholdGb} GB)`);
      await Deno.remove(this.entryPath(next.key), { recursive: true }).catch(() => {});
    }
  }

  async #removeStaleTemps(): Promise<void> {
    const dayAgo = Date.now() - 24 * 3600_000;
    for await (const e of Deno.readDir(this.root)) {
      if (!e.name.startsWith("_temp.")) continue;
      const born = Number(e.name.split(".")[1]);
      if (born < dayAgo) await Deno.remove(join(this.root, e.name), { recursive: true }).catch(() => {});
    }
  }
}

/** Rewrite `from` → `to` in the venv's scripts and config (shebangs, activate scripts). */
export async function rewritePaths(venv: string, from: string, to: string): Promise<void> {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const needle = enc.encode(from);
  const files: string[] = [join(venv, "pyvenv.cfg")];
  try {
    for await (const e of Deno.readDir(join(venv, "bin"))) if (e.isFile) files.push(join(venv, "bin", e.name));
  } catch {
    // no bin folder
  }
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      const st = await Deno.stat(file);
      if (st.size > 1_000_000) continue;
      bytes = await Deno.readFile(file);
    } catch {
      continue;
    }
    if (!includes(bytes, needle) || bytes.includes(0)) continue;
    const st = await Deno.stat(file);
    await Deno.writeTextFile(file, dec.decode(bytes).split(from).join(to), { mode: st.mode ?? 0o755 });
  }
}

function includes(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
