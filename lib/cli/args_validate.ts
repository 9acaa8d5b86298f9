/**
 * Cross-flag validation of the parsed command line: the mutual exclusions and value grammars that the reference
 * checks in code rather than in argparse. Every failure is a `UsageError` (exit 2) naming the flag.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import type { BuildOptions, DaemonOptions, DynamicQueueSpec, ExecuteOptions, WorkerOptions } from "./args_types.ts";
import { parseGpuSpec } from "../gpus/spec.ts";
import { parseSchedule } from "../worker/schedule_spans.ts";

function checkGpus(o: WorkerOptions): void {
  if (o.gpus === undefined) return;
  if (o.cpuOnly) throw new UsageError("argument --gpus: not allowed with argument --cpu-only");
  try {
    parseGpuSpec(o.gpus);
  } catch (err) {
    throw new UsageError(`argument --gpus: ${(err as Error).message}`);
  }
}

/** Parse `name=N` / `name=min-max` (fractions below 1 allowed, whole numbers above 1). */
export function parseDynamicQueue(spec: string): DynamicQueueSpec {
  const eq = spec.lastIndexOf("=");
  if (eq <= 0) {
    throw new UsageError(`argument --queue: "${spec}" needs a GPU count with --dynamic-gpus, e.g. "${spec}=1"`);
  }
  const queue = spec.slice(0, eq);
  const value = spec.slice(eq + 1);
  const num = (text: string): number => {
    const n = Number(text);
    if (text === "" || !Number.isFinite(n) || n <= 0) {
      throw new UsageError(`argument --queue: invalid GPU count "${text}" in "${spec}": expected a number above 0`);
    }
    if (n > 1 && !Number.isInteger(n)) {
      throw new UsageError(`argument --queue: GPU count "${text}" in "${spec}" above 1 must be a whole number`);
    }
    return n;
  };
  const range = /^([^-]*)-(.+)$/.exec(value);
  if (range) {
    const min = range[1] === "" ? 1 : num(range[1]);
    const max = num(range[2]);
    if (min > max) throw new UsageError(`argument --queue: invalid range "${value}" in "${spec}": min above max`);
    return { queue, min, max };
  }
  const n = num(value);
  return { queue, min: n, max: n };
}

function checkSchedule(flag: string, spans: string[] | undefined): void {
  if (spans === undefined) return;
  if (spans.length === 0) throw new UsageError(`argument ${flag}: expected at least one span, e.g. "17-20 MON-FRI"`);
  try {
    parseSchedule(joinSpanWords(spans));
  } catch (err) {
    throw new UsageError(`argument ${flag}: ${(err as Error).message}`);
  }
}

/**
 * `--uptime 17-20 MON-FRI 9 SAT` arrives as words; each span is "<hours> <days>". Values given quoted
 * (`"17-20 MON-FRI"`) arrive whole. Rejoin words pairwise when they were split.
 */
export function joinSpanWords(words: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i].trim();
    if (/\s/.test(w)) out.push(w);
    else if (i + 1 < words.length && !/\s/.test(words[i + 1])) out.push(`${w} ${words[++i].trim()}`);
    else out.push(w);
  }
  return out;
}

/** Validate `daemon` options; returns them with `dynamicQueues` filled and spans normalised. */
export function validateDaemon(o: DaemonOptions): DaemonOptions {
  checkGpus(o);
  if (o.pollingInterval !== undefined && o.pollingInterval < 0) {
    throw new UsageError(`argument --polling-interval: must not be negative: ${o.pollingInterval}`);
  }
  if (o.servicesMode !== undefined && o.servicesMode !== -1 && o.servicesMode < 1) {
    throw new UsageError(`argument --services-mode: expected a positive number of instances: ${o.servicesMode}`);
  }
  if (o.servicesMode !== undefined && o.dynamicGpus) {
    throw new UsageError("argument --services-mode: not allowed with argument --dynamic-gpus");
  }
  if (o.uptime !== undefined && o.downtime !== undefined) {
    throw new UsageError("argument --uptime: not allowed with argument --downtime (give one of them)");
  }
  checkSchedule("--uptime", o.uptime);
  checkSchedule("--downtime", o.downtime);
  if (o.drain && o.stop === undefined) throw new UsageError("argument --drain: only allowed with --stop");
  if (o.detached && o.foreground) throw new UsageError("argument --detached: not allowed with argument --foreground");
  const result: DaemonOptions = {
    ...o,
    uptime: o.uptime && joinSpanWords(o.uptime),
    downtime: o.downtime && joinSpanWords(o.downtime),
  };
  if (o.dynamicGpus) {
    if (o.gpus === undefined) throw new UsageError("argument --dynamic-gpus: requires --gpus, e.g. --gpus 0-3");
    if (o.gpus.includes(",") && /\d-\d/.test(o.gpus)) {
      throw new UsageError(
        `argument --gpus: "${o.gpus}" mixes ranges and lists; with --dynamic-gpus use 0-3 or 0,1,2,3`,
      );
    }
    const spec = parseGpuSpec(o.gpus);
    if (spec.kind !== "list") {
      throw new UsageError(`argument --gpus: --dynamic-gpus needs explicit GPU ids, not "${o.gpus}"`);
    }
    if (o.queues.length === 0) throw new UsageError("argument --dynamic-gpus: requires --queue name=N ...");
    result.dynamicQueues = o.queues.map(parseDynamicQueue);
    result.queues = result.dynamicQueues.map((q) => q.queue);
    for (const q of result.dynamicQueues) {
      if (q.min > spec.ids.length) {
        throw new UsageError(
          `argument --queue: "${q.queue}" needs ${q.min} GPUs but --gpus "${o.gpus}" lists ${spec.ids.length}`,
        );
      }
    }
    const fractional = result.dynamicQueues.some((q) => q.min < 1 || q.max < 1);
    if (fractional && !o.docker) {
      throw new UsageError("argument --queue: fractional GPU counts (below 1) need --docker");
    }
  }
  return result;
}

/** Validate `execute` options. */
export function validateExecute(o: ExecuteOptions): ExecuteOptions {
  checkGpus(o);
  if (o.id.trim() === "") throw new UsageError("argument --id: expected a task id");
  if (o.disableMonitoring && o.fullMonitoring) {
    throw new UsageError("argument --full-monitoring: not allowed with argument --disable-monitoring");
  }
  return o;
}

/** Validate `build` options. */
export function validateBuild(o: BuildOptions): BuildOptions {
  checkGpus(o);
  if (o.id.trim() === "") throw new UsageError("argument --id: expected a task id");
  if (o.entryPoint && !o.docker) throw new UsageError("argument --entry-point: only allowed with --docker");
  if (o.pythonVersion !== undefined && !/^\d+(\.\d+){0,2}$/.test(o.pythonVersion)) {
    throw new UsageError(`argument --python-version: expected X.Y, got "${o.pythonVersion}"`);
  }
  return o;
}
