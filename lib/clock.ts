/**
 * The one clock interface of the agent: a time source and an interruptible wait, injected wherever a loop waits so
 * that tests move time instead of sleeping (`tests/logs/_virtual_clock.ts`). Two real clocks: wall time, for what
 * is compared with the server's timestamps, and monotonic time, for measuring intervals.
 *
 * @module
 */

import { sleep } from "./sleep.ts";

/** Time source and sleeping, injectable for tests. */
export interface Clock {
  /** Milliseconds (wall or monotonic, as the instance says). */
  now(): number;
  /** Resolve after `ms` or once `signal` aborts (never reject). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Wall time (`Date.now()`). */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, signal),
};

/** Monotonic time (`performance.now()`): intervals that a changed system time cannot bend. */
export const monotonicClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, signal),
};
