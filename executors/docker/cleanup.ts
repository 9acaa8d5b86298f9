/**
 * Containers are labelled with who runs them: the worker id, the task id, and the owner — this machine's host
 * name and the daemon process (boot id, pid and start time, so a reused pid is never mistaken for the owner). A
 * daemon that starts finds, by label, the containers of runs whose daemon is gone (or that held its own worker
 * id before it), removes them, and hands back their task ids for the caller to reconcile.
 *
 * @module
 */

import { bootId, isLive, readProcess } from "../../lib/process/proc_table.ts";
import { type Engine, engineMessage } from "./engine.ts";

/** Label names on every container the agent starts. */
export const LABELS = {
  worker: "clearml-worker-id",
  task: "clearml-task-id",
  owner: "clearml-agent-owner",
  host: "clearml-agent-host",
  role: "clearml-agent-role",
} as const;

/** This process as a container owner: `<boot id>/<pid>/<start ticks>`. */
export function ownerLabel(pid: number = Deno.pid): string {
  return `${bootId() ?? "-"}/${pid}/${readProcess(pid)?.startTicks ?? "-"}`;
}

/** This machine's name for the host label. */
export function hostLabel(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/** The labels of a container started for `taskId` by this process as `workerId`. */
export function runLabels(workerId: string, taskId: string, role: "task" | "build" = "task"): Record<string, string> {
  return {
    [LABELS.worker]: workerId,
    [LABELS.task]: taskId,
    [LABELS.owner]: ownerLabel(),
    [LABELS.host]: hostLabel(),
    [LABELS.role]: role,
  };
}

/** True when the owner label names a process that is not running any more. */
export function ownerGone(owner: string): boolean {
  const [boot, pidText, ticks] = owner.split("/");
  const pid = Number(pidText);
  if (!boot || !Number.isInteger(pid) || pid <= 0) return false;
  if (boot !== (bootId() ?? "-")) return true;
  const proc = readProcess(pid);
  if (!proc || !isLive(proc)) return true;
  return ticks !== "-" && String(proc.startTicks) !== ticks;
}

/** A container of a dead run, removed. */
export interface CleanedContainer {
  id: string;
  taskId?: string;
  workerId?: string;
  state?: string;
}

/** Options of `cleanDeadContainers`. */
export interface CleanupOptions {
  /** Our worker id: its containers belong to a predecessor (we hold the id now). */
  workerId: string;
  say: (line: string) => void;
}

/**
 * Remove the containers of dead runs on this host: those labelled with our worker id but another owner, and
 * those whose owner process is gone. Engine errors are reported, not thrown (the daemon goes on).
 */
export async function cleanDeadContainers(engine: Engine, o: CleanupOptions): Promise<CleanedContainer[]> {
  let list;
  try {
    list = await engine.listContainers({
      all: true,
      filters: { label: [LABELS.owner, `${LABELS.host}=${hostLabel()}`] },
    });
  } catch (err) {
    o.say(`Warning: cannot list containers of earlier runs: ${engineMessage(err)}`);
    return [];
  }
  const me = ownerLabel();
  const out: CleanedContainer[] = [];
  for (const c of list) {
    const labels = c.Labels ?? {};
    const owner = labels[LABELS.owner] ?? "";
    if (!owner || owner === me) continue;
    const predecessor = labels[LABELS.worker] === o.workerId;
    if (!predecessor && !ownerGone(owner)) continue;
    const name = c.Names?.[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12);
    o.say(`Removing container ${name} (${c.State ?? "?"}) of a dead run of task ${labels[LABELS.task] ?? "?"}`);
    try {
      await engine.getContainer(c.Id).remove({ force: true, v: true });
    } catch (err) {
      o.say(`Warning: cannot remove container ${name}: ${engineMessage(err)}`);
      continue;
    }
    out.push({ id: c.Id, taskId: labels[LABELS.task] || undefined, workerId: labels[LABELS.worker], state: c.State });
  }
  return out;
}
