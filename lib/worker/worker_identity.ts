/**
 * Worker ids and the per-machine singleton (agent-reference §1.9, §5.4).
 *
 * Worker id, first rule that applies:
 * - `agent.worker_id` / `CLEARML_WORKER_ID` → that value (it must be unique on the machine);
 * - `--dynamic-gpus --gpus G` → `<worker_name>:dgpu<G>` as given (`host:dgpu0-7`); its tasks run as
 *   `<worker_name>:gpu<ids>`;
 * - GPUs given (`--gpus`, or `NVIDIA_VISIBLE_DEVICES` / `CUDA_VISIBLE_DEVICES` set, not `none`) →
 *   `<worker_name>:gpu<devices>` (MIG `0:1` written `0.1`, as the reference), e.g. `host:gpu0,1`;
 * - CPU only (`--cpu-only`, `NVIDIA_VISIBLE_DEVICES=none`) → `<worker_name>:cpu:<slot>`;
 * - otherwise `<worker_name>:<slot>`, the slot being the lowest one no live agent on this machine holds.
 *
 * Each running daemon (and `execute --full-monitoring`) owns a pid file `<tmp>/.clearmlagent_<pid>_<random>.tmp`
 * holding `<worker_id>\n<slot>` — the reference's format, so that Python and Deno agents on one machine see each
 * other. Files of dead pids are removed on sight. Registration is serialised by the global lock file
 * `<tmp>/_.clearmlagent_global.lock` (a stale lock is broken after 10 s). The temp dir is the system's
 * (`TMPDIR`), or the container side of `CLEARML_AGENT_K8S_HOST_MOUNT` / `CLEARML_AGENT_DOCKER_HOST_MOUNT`.
 *
 * @module
 */

import { join } from "node:path";
import { pidAlive } from "../process/proc_table.ts";

/** What decides a worker id. */
export interface WorkerIdSpec {
  /** `agent.worker_name` (default: the host name). */
  workerName: string;
  /** `agent.worker_id` / `CLEARML_WORKER_ID`, if set. */
  workerId?: string;
  /** The `NVIDIA_VISIBLE_DEVICES` value the worker runs with: `none`, `all`, `0,1`, `0:1`, or unset. */
  visibleDevices?: string;
  /** `--dynamic-gpus`: the `--gpus` value as given. */
  dynamicGpus?: string;
}

/** The temp dir of pid files, daemon logs and lock (reference: `tempfile.gettempdir()` or the host mount). */
export function agentTempDir(env: (name: string) => string | undefined = (n) => Deno.env.get(n)): string {
  for (
    const name of [
      "CLEARML_AGENT_K8S_HOST_MOUNT",
      "CLEARML_AGENT_DOCKER_HOST_MOUNT",
      "TRAINS_AGENT_K8S_HOST_MOUNT",
      "TRAINS_AGENT_DOCKER_HOST_MOUNT",
    ]
  ) {
    const value = env(name);
    if (value) return value.slice(value.lastIndexOf(":") + 1);
  }
  return env("TMPDIR") || env("TEMP") || env("TMP") || "/tmp";
}

/** The worker id that does not depend on a slot (explicit or GPU-based), or `undefined`. */
export function fixedWorkerId(spec: WorkerIdSpec): string | undefined {
  if (spec.workerId) return spec.workerId;
  if (spec.dynamicGpus) return `${spec.workerName}:dgpu${spec.dynamicGpus.trim().replaceAll(":", ".")}`;
  const devices = spec.visibleDevices?.trim();
  if (devices && devices.toLowerCase() !== "none" && devices.toLowerCase() !== "void") {
    return `${spec.workerName}:gpu${devices.replaceAll(":", ".")}`;
  }
  return undefined;
}

/** The worker id for `slot`. */
export function workerIdFor(spec: WorkerIdSpec, slot: number): string {
  const fixed = fixedWorkerId(spec);
  if (fixed) return fixed;
  const devices = spec.visibleDevices?.trim().toLowerCase();
  if (devices === "none" || devices === "void") return `${spec.workerName}:cpu:${slot}`;
  return `${spec.workerName}:${slot}`;
}

/** One live agent instance, from its pid file. */
export interface AgentInstance {
  pid: number;
  workerId: string;
  slot: number;
  pidFile: string;
}

const PID_FILE = /^\.clearmlagent_(\d+)_[^.]*\.tmp$/;

/** Live instances on this machine (sorted by worker id); pid files of dead processes are removed. */
export function listInstances(tmpDir: string, options: { prune?: boolean } = {}): AgentInstance[] {
  const out: AgentInstance[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(tmpDir)];
  } catch {
    return [];
  }
  for (const entry of entries) {
    const m = PID_FILE.exec(entry.name);
    if (!m || !entry.isFile) continue;
    const path = join(tmpDir, entry.name);
    const pid = Number(m[1]);
    if (!pidAlive(pid)) {
      if (options.prune !== false) {
        try {
          Deno.removeSync(path);
        } catch {
          // removed by another agent meanwhile
        }
      }
      continue;
    }
    let text = "";
    try {
      text = Deno.readTextFileSync(path);
    } catch {
      continue;
    }
    const [workerId = "", slotText = ""] = text.split("\n");
    const slot = Number(slotText.trim());
    out.push({ pid, workerId: workerId.trim(), slot: Number.isInteger(slot) ? slot : -1, pidFile: path });
  }
  return out.sort((a, b) => a.workerId.localeCompare(b.workerId));
}

/** Another live agent on this machine already uses the worker id. */
export class WorkerIdInUseError extends Error {
  override name = "WorkerIdInUseError";
}

async function withGlobalLock<T>(tmpDir: string, fn: () => T): Promise<T> {
  const lock = join(tmpDir, "_.clearmlagent_global.lock");
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      Deno.openSync(lock, { createNew: true, write: true }).close();
      break;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      // Wait policy: the reference waits up to 10 s for the lock, then breaks it (its holder died).
      if (Date.now() > deadline) {
        Deno.removeSync(lock);
        continue;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return fn();
  } finally {
    try {
      Deno.removeSync(lock);
    } catch {
      // someone broke it already
    }
  }
}

/** This process's registration as a local agent instance: worker id, slot and pid file. */
export class WorkerSlot {
  readonly workerId: string;
  readonly slot: number;
  readonly pidFile: string;
  #released = false;

  private constructor(workerId: string, slot: number, pidFile: string) {
    this.workerId = workerId;
    this.slot = slot;
    this.pidFile = pidFile;
  }

  /**
   * Take the lowest free slot and write the pid file. Throws `WorkerIdInUseError` when a live instance has the
   * same worker id (allowed with a host mount, as the reference).
   */
  static acquire(tmpDir: string, spec: WorkerIdSpec, options: { pid?: number } = {}): Promise<WorkerSlot> {
    const pid = options.pid ?? Deno.pid;
    Deno.mkdirSync(tmpDir, { recursive: true });
    return withGlobalLock(tmpDir, () => {
      const live = listInstances(tmpDir).filter((i) => i.pid !== pid);
      const used = new Set(live.map((i) => i.slot));
      let slot = 0;
      while (used.has(slot)) slot++;
      const workerId = workerIdFor(spec, slot);
      const clash = live.find((i) => i.workerId === workerId);
      if (clash && !hostMounted()) {
        throw new WorkerIdInUseError(
          `Worker id "${workerId}" is already used by another clearml-agent on this machine (pid ${clash.pid}): ` +
            "stop it, or give this one another id (CLEARML_WORKER_ID, agent.worker_id, --gpus)",
        );
      }
      const pidFile = join(tmpDir, `.clearmlagent_${pid}_${crypto.randomUUID().slice(0, 8)}.tmp`);
      Deno.writeTextFileSync(`${pidFile}.part`, `${workerId}\n${slot}`);
      Deno.renameSync(`${pidFile}.part`, pidFile);
      return new WorkerSlot(workerId, slot, pidFile);
    });
  }

  /** Remove the pid file (idempotent). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      Deno.removeSync(this.pidFile);
    } catch {
      // already gone
    }
  }
}

function hostMounted(): boolean {
  return ["CLEARML_AGENT_K8S_HOST_MOUNT", "CLEARML_AGENT_DOCKER_HOST_MOUNT"].some((n) => Boolean(Deno.env.get(n)));
}

/**
 * The instances `daemon --stop` targets: with ids, the instance of each id (missing ones reported); without, the
 * first instance (by worker id) whose id equals this configuration's fixed id, or else starts with `<name>:`.
 */
export function stopTargets(
  instances: readonly AgentInstance[],
  spec: WorkerIdSpec,
  ids: readonly string[],
): { targets: AgentInstance[]; missing: string[] } {
  if (ids.length > 0) {
    const targets: AgentInstance[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const found = instances.find((i) => i.workerId === id);
      if (found) targets.push(found);
      else missing.push(id);
    }
    return { targets, missing };
  }
  const fixed = fixedWorkerId(spec);
  const match = fixed
    ? instances.find((i) => i.workerId === fixed)
    : instances.find((i) => i.workerId.startsWith(`${spec.workerName}:`));
  return { targets: match ? [match] : [], missing: match ? [] : [fixed ?? `${spec.workerName}:*`] };
}
