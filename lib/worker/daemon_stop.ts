/**
 * Which running daemons `daemon --stop` means (agent-reference §1.9: "the daemon started with the same set of
 * arguments").
 *
 * - With worker ids: the instance of each id (missing ones reported).
 * - Without: the candidates are the live instances whose worker id is this configuration's (its fixed id, or
 *   `<worker_name>:<slot>`), of the same server and user (instances without a side file, such as the Python agent's,
 *   are candidates too). The arguments given to `--stop` (`--queue`, `--gpus`, `--cpu-only`, `--docker`,
 *   `--services-mode`) must equal those the daemon was started with; with none given, every candidate matches.
 *   One match: it is stopped (the first one, by worker id, when several were started with the very same arguments).
 *   Several candidates and no arguments to tell them apart, or arguments that match none: nothing is stopped and
 *   the running daemons are listed.
 *
 * @module
 */

import { shlexQuote } from "../config/shlex.ts";
import { type AgentInstance, type DaemonLaunch, fixedWorkerId, type WorkerIdSpec } from "./worker_identity.ts";

/** What `daemon --stop` resolved to. */
export interface StopChoice {
  targets: AgentInstance[];
  /** Worker ids (or `<name>:*`) asked for and not found. */
  missing: string[];
  /** Set when nothing is stopped although daemons run: why, for the message. */
  refused?: "ambiguous" | "no-match";
  /** The candidates considered (listed when refused). */
  candidates: AgentInstance[];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");
}

/** The arguments of `want` that were given on the command line. */
function givenArgs(want: DaemonLaunch | undefined): Partial<DaemonLaunch> {
  if (!want) return {};
  const out: Partial<DaemonLaunch> = {};
  if (want.queues.length > 0) out.queues = want.queues;
  if (want.gpus !== undefined) out.gpus = want.gpus;
  if (want.docker !== undefined) out.docker = want.docker;
  if (want.services) out.services = true;
  if (want.cpuOnly) out.cpuOnly = true;
  return out;
}

function matches(have: DaemonLaunch | undefined, given: Partial<DaemonLaunch>): boolean {
  if (Object.keys(given).length === 0) return true;
  if (!have) return false;
  return (given.queues === undefined || sameSet(given.queues, have.queues)) &&
    (given.gpus === undefined || given.gpus === have.gpus) &&
    (given.docker === undefined || given.docker === have.docker) &&
    (given.services === undefined || Boolean(have.services)) &&
    (given.cpuOnly === undefined || Boolean(have.cpuOnly));
}

/** The instances `daemon --stop [ids]` targets. */
export function stopTargets(
  instances: readonly AgentInstance[],
  spec: WorkerIdSpec,
  ids: readonly string[],
): StopChoice {
  if (ids.length > 0) {
    const targets: AgentInstance[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const same = instances.filter((i) => i.workerId === id);
      const found = same.find((i) => i.launch?.server === spec.launch?.server) ?? same[0];
      if (found) targets.push(found);
      else missing.push(id);
    }
    return { targets, missing, candidates: [] };
  }
  const fixed = fixedWorkerId(spec);
  const want = spec.launch;
  const candidates = instances.filter((i) =>
    (fixed ? i.workerId === fixed : i.workerId.startsWith(`${spec.workerName}:`)) &&
    (!i.launch || !want || (i.launch.server === want.server && i.launch.uid === want.uid))
  );
  const missing = [fixed ?? `${spec.workerName}:*`];
  if (candidates.length === 0) return { targets: [], missing, candidates };
  const given = givenArgs(want);
  const matched = candidates.filter((c) => matches(c.launch, given));
  if (matched.length === 0) return { targets: [], missing: [], refused: "no-match", candidates };
  if (Object.keys(given).length === 0 && matched.length > 1) {
    return { targets: [], missing: [], refused: "ambiguous", candidates };
  }
  return { targets: [matched[0]], missing: [], candidates };
}

/** The command-line arguments of a launch, as a user would type them (`--queue a b --gpus 0 --docker`). */
export function launchArgs(launch: Partial<DaemonLaunch> | undefined): string {
  if (!launch) return "(arguments unknown)";
  const parts: string[] = [];
  if (launch.queues?.length) parts.push("--queue", ...launch.queues.map(shlexQuote));
  if (launch.gpus !== undefined) parts.push("--gpus", shlexQuote(launch.gpus));
  if (launch.cpuOnly) parts.push("--cpu-only");
  if (launch.docker !== undefined) parts.push("--docker", ...(launch.docker ? [shlexQuote(launch.docker)] : []));
  if (launch.services) parts.push("--services-mode");
  return parts.length > 0 ? parts.join(" ") : "(the default queue)";
}

/** One line per running daemon, for the refusal message. */
export function describeInstances(instances: readonly AgentInstance[]): string[] {
  return instances.map((i) =>
    `  worker_id=${i.workerId} pid=${i.pid}: ${launchArgs(i.launch)}${i.launch ? ` (server ${i.launch.server})` : ""}`
  );
}
