/**
 * A full garbage collection every few minutes in a long-lived agent process that is mostly idle (the daemon).
 *
 * Why: an idle daemon allocates a little with every API call (the `node:http` exchange, the JSON, the status
 * report) and V8 promotes that garbage into the old generation, which only a major GC empties. A busy process gets
 * major GCs from allocation pressure; an idle one gets almost none (measured with `--trace-gc`: two memory-reducer
 * GCs in the first minute, then none for the rest of a 6-minute run while the old generation crept from 9.6 to
 * 11.3 MiB), and the native memory that dies with those objects (socket and buffer bookkeeping, freed into malloc
 * arenas) is only given back then. The live heap itself does not grow: after a forced GC it stayed at 9.4–9.7 MiB,
 * and a heap snapshot diff over 1 000 polls showed only JIT code and Deno's lazily built op wrappers (bounded).
 * Measured with a daemon accelerated about tenfold (status reports every 0.2 s, polls every 1 s, a server without
 * long poll): RssAnon +0.4 to +0.8 MiB per minute without, flat (27.5 → 27.1 MiB over minutes 4–8) with a full GC
 * every ~200 calls. At the default rates (about 42 calls a minute) five minutes is about 200 calls; the full GC
 * of a 10 MiB heap costs 10–20 ms. A 60-minute idle soak at the defaults, beside the build without it in the same
 * hour: RssAnon 23.5 → 25.4 MiB, second-half slope −0.2 MiB/hour (without: 28.6 → 35.6 MiB, 2.7 MiB/hour).
 *
 * The `gc` function exists because `V8_FLAGS` (`self_command.ts`) carries `--expose-gc`; in a process started
 * without it (`deno run main.ts` by hand) the loop does nothing.
 *
 * After the collection, freed native memory goes back to the system: glibc's `malloc_trim(0)` through Deno's FFI
 * (`nativeTrim`). The native side of the process (buffers of file reads and HTTP bodies, socket bookkeeping)
 * allocates with `malloc`, whose arenas keep freed memory for reuse rather than return it: after five tasks of
 * 100 000 lines and a minute idle, a daemon kept RssAnon 33.6 MiB against 25.5 MiB for five one-line tasks, and
 * 26.5 MiB when glibc was told to return memory eagerly (`MALLOC_MMAP_THRESHOLD_`/`MALLOC_TRIM_THRESHOLD_`) — freed
 * memory held by the allocator, not live data. The trim takes well under a millisecond. It needs Linux with glibc
 * and the `ffi` permission (the daemon keeps it, `lib/cli/permissions.ts`); elsewhere it is skipped. A task's end
 * also schedules one collection `AFTER_TASK_MS` later (`collectAfterTask`), once V8's own memory reducer has
 * released the task's garbage, so a daemon is back to its idle size within a minute of a chatty task; short tasks
 * back to back collect every `TASKS_PER_COLLECTION`-th task instead.
 *
 * @module
 */

import { log } from "../logger.ts";
import { sleep as defaultSleep } from "../sleep.ts";

/** How often the daemon collects: about 200 API calls at the default polling and reporting rates. */
export const IDLE_GC_INTERVAL_MS = 5 * 60_000;

/** How long after a task's end its collection comes (V8's memory reducer runs within about 20 s). */
export const AFTER_TASK_MS = 30_000;

/** Returns freed native memory to the system; true when some was released. */
export type TrimFunction = () => boolean;

let trimFunction: TrimFunction | null | undefined;

/** glibc's `malloc_trim(0)`, or `null` where it cannot be called (not Linux/glibc, or no `ffi` permission). */
export function nativeTrim(): TrimFunction | null {
  if (trimFunction !== undefined) return trimFunction;
  trimFunction = null;
  if (Deno.build.os !== "linux") return trimFunction;
  try {
    const libc = Deno.dlopen("libc.so.6", { malloc_trim: { parameters: ["usize"], result: "i32" } });
    trimFunction = () => libc.symbols.malloc_trim(0n) === 1;
  } catch (err) {
    log.debug(`native memory trim: off (${err instanceof Error ? err.message : err})`);
  }
  return trimFunction;
}

/** One full collection, then the native trim, each where available; logged with --debug. */
export function collectNow(gc: GcFunction | null = exposedGc(), trim: TrimFunction | null = nativeTrim()): void {
  const debug = log.enabled("debug");
  const before = debug ? Deno.memoryUsage() : undefined;
  const t0 = performance.now();
  gc?.();
  const trimmed = trim?.() ?? false;
  if (before) {
    const after = Deno.memoryUsage();
    const mb = (n: number) => (n / 1048576).toFixed(1);
    log.debug(
      `full GC${trim ? (trimmed ? " and native trim" : " (native trim: nothing to give back)") : ""}: heap ` +
        `${mb(before.heapUsed)} → ${mb(after.heapUsed)} MiB, rss ${mb(before.rss)} → ${mb(after.rss)} MiB in ` +
        `${(performance.now() - t0).toFixed(1)} ms`,
    );
  }
}

/** Tasks in a row (each starting within `AFTER_TASK_MS` of the last's end) between collections. */
export const TASKS_PER_COLLECTION = 25;

let afterTaskTimer: ReturnType<typeof setTimeout> | undefined;
let tasksSinceCollection = 0;

/**
 * One `collect` `delayMs` after now, replacing one already scheduled, so that tasks in a row collect once, after the
 * last; but every `everyTasks`-th task end collects at once (a few milliseconds), so that a daemon running short
 * tasks back to back does not pile up their garbage either. The timer does not keep the process alive.
 */
export function collectAfterTask(
  delayMs = AFTER_TASK_MS,
  collect: () => void = () => collectNow(),
  everyTasks = TASKS_PER_COLLECTION,
): void {
  if (afterTaskTimer !== undefined) clearTimeout(afterTaskTimer);
  afterTaskTimer = undefined;
  const run = () => {
    afterTaskTimer = undefined;
    tasksSinceCollection = 0;
    collect();
  };
  if (++tasksSinceCollection >= everyTasks) return run();
  const timer = setTimeout(run, delayMs);
  Deno.unrefTimer(timer);
  afterTaskTimer = timer;
}

/** A full (major) garbage collection. */
export type GcFunction = () => void;

/** The `gc` that `--expose-gc` puts on the global object, or `null` when this process runs without the flag. */
export function exposedGc(global: object = globalThis): GcFunction | null {
  const gc = (global as { gc?: unknown }).gc;
  return typeof gc === "function" ? () => gc() : null;
}

/** Options of `periodicGc`. */
export interface PeriodicGcOptions {
  /** Ends the loop. */
  signal: AbortSignal;
  /** @default IDLE_GC_INTERVAL_MS */
  intervalMs?: number;
  /** @default exposedGc() */
  gc?: GcFunction | null;
  /** Run after each collection. @default nativeTrim() */
  trim?: TrimFunction | null;
  /** @default the agent's interruptible sleep */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Collect every `intervalMs` until `signal` aborts (the first one after one interval); resolves to the number of
 * collections once aborted, at once (0) when there is no `gc`.
 */
export async function periodicGc(options: PeriodicGcOptions): Promise<number> {
  const gc = options.gc === undefined ? exposedGc() : options.gc;
  if (!gc) {
    log.debug("periodic full GC: off (the process runs without --expose-gc)");
    return 0;
  }
  const sleep = options.sleep ?? defaultSleep;
  const every = options.intervalMs ?? IDLE_GC_INTERVAL_MS;
  let runs = 0;
  for (;;) {
    await sleep(every, options.signal);
    if (options.signal.aborted) return runs;
    collectNow(gc, options.trim === undefined ? nativeTrim() : options.trim);
    runs++;
  }
}
