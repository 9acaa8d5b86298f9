/**
 * A virtual clock for `LogStreamer` tests: `sleep` never waits for real; `drive` advances time to the earliest
 * pending sleep whenever every promise chain has settled (one macrotask later), so outages of minutes take
 * milliseconds.
 *
 * @module
 */

import type { Clock } from "../../lib/clock.ts";

interface Timer {
  at: number;
  resolve: () => void;
}

export class VirtualClock implements Clock {
  t = 1_700_000_000_000;
  #timers: Timer[] = [];
  /** Every sleep requested, in order (ms). */
  readonly sleeps: number[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer: Timer = { at: this.t + ms, resolve };
      this.#timers.push(timer);
      signal.addEventListener("abort", () => {
        this.#timers = this.#timers.filter((x) => x !== timer);
        resolve();
      }, { once: true });
    });
  }

  /** Jump to the earliest pending sleep and end it; false when none is pending. */
  fireNext(): boolean {
    if (this.#timers.length === 0) return false;
    this.#timers.sort((a, b) => a.at - b.at);
    const timer = this.#timers.shift()!;
    this.t = Math.max(this.t, timer.at);
    timer.resolve();
    return true;
  }
}

/** Run virtual time until `until` settles (bounded: throws after `maxSteps` idle steps). */
export async function drive<T>(clock: VirtualClock, until: Promise<T>, maxSteps = 100_000): Promise<T> {
  let settled = false;
  until.then(() => (settled = true), () => (settled = true));
  for (let i = 0; i < maxSteps; i++) {
    await new Promise((r) => setTimeout(r, 0));
    if (settled) return await until;
    clock.fireNext();
  }
  throw new Error(`virtual clock: not settled after ${maxSteps} steps`);
}
