/**
 * Ordered phases of a task's setup and run (`git`, `env`, `install`, `start`, `run`) with their durations, for the
 * task log and the task's `runtime`.
 *
 * @module
 */

/** Measures named phases. */
export class PhaseTimer {
  #timings = new Map<string, number>();
  #now: () => number;
  #current: string | undefined;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** The phase running now (for failure reasons). */
  get current(): string | undefined {
    return this.#current;
  }

  /** Run `fn` as phase `name`, adding its duration to the phase's total. */
  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = this.#now();
    const previous = this.#current;
    this.#current = name;
    try {
      return await fn();
    } finally {
      this.#timings.set(name, (this.#timings.get(name) ?? 0) + (this.#now() - start));
      this.#current = previous;
    }
  }

  /** Durations in seconds, rounded to milliseconds, in phase order. */
  seconds(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, ms] of this.#timings) out[name] = Math.round(ms) / 1000;
    return out;
  }

  /** `git 0.120s, env 0.004s, ...`. */
  summary(): string {
    return Object.entries(this.seconds()).map(([n, s]) => `${n} ${s.toFixed(3)}s`).join(", ");
  }
}
