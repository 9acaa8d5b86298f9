/**
 * The GPUs of a machine shared by its dynamic-GPU daemons (agent-reference §5.7, done locally): one ledger per
 * machine, `<tmp>/clearml-agent-gpus.json` = `{"<gpu>": {pid, worker, task, pgid?, since}}`, changed only under
 * an exclusive lock on `<tmp>/clearml-agent-gpus.lock` (written aside, then renamed into place), so that two
 * daemons on one machine never hand out the same GPU — whatever their `--gpus` lists, and with no server help.
 *
 * A GPU is taken when it has an entry whose holder is alive: the daemon process (pid, and its start time, so a
 * reused pid is not mistaken for it), or — after the daemon died — the task's process group still running on it.
 * Entries of dead holders are dropped on every change (a crashed daemon frees its GPUs).
 *
 * GPU ids are the `--gpus` items: indexes (`3`) or MIG slices (`0:1`).
 *
 * @module
 */

import { join } from "node:path";
import { groupAlive, isLive, readProcess } from "../process/proc_table.ts";

/** Who holds a GPU. */
export interface GpuHolder {
  /** The daemon that handed it out. */
  pid: number;
  /** Start time of that pid (clock ticks since boot), when known. */
  startTicks?: number | null;
  /** The worker id the task runs as (`host:gpu0,1`), or the daemon's while only reserved. */
  worker: string;
  /** The task, `null` while the GPU is reserved for a pop. */
  task: string | null;
  /** The task's process group, once it runs. */
  pgid?: number;
  /** ISO time of the hand-out. */
  since: string;
}

/** The ledger: GPU id → holder. */
export type GpuLedger = Record<string, GpuHolder>;

/** The ledger's file name in a folder. */
export const GPU_LEDGER_FILE = "clearml-agent-gpus.json";
const LOCK_FILE = "clearml-agent-gpus.lock";

/** True when the holder of an entry is still there. */
export function holderAlive(h: GpuHolder): boolean {
  const p = readProcess(h.pid);
  if (p && isLive(p) && (h.startTicks == null || p.startTicks == null || p.startTicks === h.startTicks)) return true;
  return h.pgid !== undefined && h.pgid > 1 && groupAlive(h.pgid);
}

/** Read a ledger (no lock needed: it is only ever replaced whole); `{}` when there is none. */
export function readLedger(dir: string): GpuLedger {
  try {
    const data = JSON.parse(Deno.readTextFileSync(join(dir, GPU_LEDGER_FILE)));
    return data && typeof data === "object" && !Array.isArray(data) ? data as GpuLedger : {};
  } catch {
    return {};
  }
}

/** Options of `GpuPool`. */
export interface GpuPoolOptions {
  /** Folder of the ledger and its lock (the agents' temp dir: one per machine). */
  dir: string;
  /** The GPUs this daemon may hand out (`--gpus`), in order of preference. */
  gpus: readonly string[];
  /** The daemon's worker id (holder of reservations). */
  owner: string;
  /** @default Deno.pid */
  pid?: number;
  /** @default holderAlive */
  alive?: (holder: GpuHolder) => boolean;
}

/** A daemon's share of the machine's GPU ledger. */
export class GpuPool {
  readonly gpus: readonly string[];
  #o: GpuPoolOptions;
  #pid: number;
  #startTicks: number | null;
  #alive: (holder: GpuHolder) => boolean;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: GpuPoolOptions) {
    this.#o = options;
    this.gpus = options.gpus;
    this.#pid = options.pid ?? Deno.pid;
    this.#startTicks = readProcess(this.#pid)?.startTicks ?? null;
    this.#alive = options.alive ?? holderAlive;
  }

  /** Run `fn` on the ledger under the machine-wide lock (serialised in this process too); writes it back. */
  #update<T>(fn: (ledger: GpuLedger) => T): Promise<T> {
    const run = async () => {
      await Deno.mkdir(this.#o.dir, { recursive: true });
      const lock = await Deno.open(join(this.#o.dir, LOCK_FILE), { create: true, write: true });
      try {
        await lock.lock(true);
        const ledger = readLedger(this.#o.dir);
        const before = JSON.stringify(ledger);
        for (const [gpu, holder] of Object.entries(ledger)) if (!this.#alive(holder)) delete ledger[gpu];
        const result = fn(ledger);
        if (JSON.stringify(ledger) !== before) {
          const path = join(this.#o.dir, GPU_LEDGER_FILE);
          const tmp = `${path}.${this.#pid}.tmp`;
          await Deno.writeTextFile(tmp, JSON.stringify(ledger, null, 1) + "\n");
          await Deno.rename(tmp, path);
        }
        return result;
      } finally {
        lock.close();
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => {});
    return next;
  }

  #free(ledger: GpuLedger): string[] {
    return this.gpus.filter((g) => !(g in ledger));
  }

  /** This daemon's GPUs that nobody holds. */
  free(): Promise<string[]> {
    return this.#update((ledger) => this.#free(ledger));
  }

  /** The ledger entries of this daemon's GPUs (held by anyone). */
  held(): Promise<GpuLedger> {
    return this.#update((ledger) =>
      Object.fromEntries(this.gpus.filter((g) => g in ledger).map((g) => [g, ledger[g]]))
    );
  }

  /**
   * Reserve `min(max, free)` GPUs when at least `min` are free (the first free ones, in `--gpus` order); `null`
   * when fewer are free. Fractions are not handed out here (`max` below 1 counts as 1).
   */
  reserve(min: number, max: number): Promise<string[] | null> {
    return this.#update((ledger) => {
      const free = this.#free(ledger);
      const want = Math.max(1, Math.ceil(min));
      if (free.length < want) return null;
      const take = free.slice(0, Math.max(want, Math.min(Math.floor(max), free.length)));
      const since = new Date().toISOString();
      for (const g of take) {
        ledger[g] = { pid: this.#pid, startTicks: this.#startTicks, worker: this.#o.owner, task: null, since };
      }
      return take;
    });
  }

  /** Record the task (and, once known, its process group) that holds reserved GPUs. */
  assign(gpus: readonly string[], holder: { task: string; worker: string; pgid?: number }): Promise<void> {
    return this.#update((ledger) => {
      for (const g of gpus) {
        const h = ledger[g];
        if (h && h.pid === this.#pid) ledger[g] = { ...h, ...holder };
      }
    });
  }

  /** Give GPUs back (only those this daemon holds). */
  release(gpus: readonly string[]): Promise<void> {
    return this.#update((ledger) => {
      for (const g of gpus) if (ledger[g]?.pid === this.#pid) delete ledger[g];
    });
  }

  /** Give back everything this daemon holds (on the way out). */
  releaseAll(): Promise<void> {
    return this.#update((ledger) => {
      for (const [g, h] of Object.entries(ledger)) if (h.pid === this.#pid) delete ledger[g];
    });
  }
}

/** The reference's `available_gpus` runtime property value: free full GPUs as `<gpu>_` joined by commas. */
export function availableGpusProperty(free: readonly string[]): string {
  return free.map((g) => `${g.replaceAll(":", ".")}_`).join(",");
}
