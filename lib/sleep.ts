/**
 * The one interruptible wait of the agent: polling loops, backoffs and grace periods sleep with it.
 *
 * @module
 */

/** Wait `ms` milliseconds, or less: resolves (never rejects) as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
