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
 * @module
 */

import { log } from "../logger.ts";
import { sleep as defaultSleep } from "../sleep.ts";

/** How often the daemon collects: about 200 API calls at the default polling and reporting rates. */
export const IDLE_GC_INTERVAL_MS = 5 * 60_000;

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
    const before = log.enabled("debug") ? Deno.memoryUsage().heapUsed : 0;
    const t0 = performance.now();
    gc();
    runs++;
    if (log.enabled("debug")) {
      const mb = (n: number) => (n / 1048576).toFixed(1);
      const ms = (performance.now() - t0).toFixed(1);
      log.debug(`periodic full GC: heap ${mb(before)} → ${mb(Deno.memoryUsage().heapUsed)} MiB in ${ms} ms`);
    }
  }
}
