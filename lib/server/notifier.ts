/**
 * Wake-ups for long polls: a caller waits on a key (e.g. `queue:<id>`) until someone notifies it, a timeout
 * passes, or its signal aborts. Used by our `queues.get_next_task` `wait_ms` extension.
 *
 * @module
 */

/** Keyed one-shot wake-ups. */
export class Notifier {
  #waiters = new Map<string, Set<() => void>>();

  /** Number of callers currently waiting (tests, diagnostics). */
  get waiting(): number {
    let n = 0;
    for (const set of this.#waiters.values()) n += set.size;
    return n;
  }

  /** Wake every waiter of `key`. */
  notify(key: string): void {
    const set = this.#waiters.get(key);
    if (!set) return;
    this.#waiters.delete(key);
    for (const wake of set) wake();
  }

  /** Resolve `true` when `key` is notified, `false` on timeout or abort. Never rejects. */
  wait(key: string, ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let set = this.#waiters.get(key);
      if (!set) {
        set = new Set();
        this.#waiters.set(key, set);
      }
      const finish = (notified: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const current = this.#waiters.get(key);
        current?.delete(wake);
        if (current?.size === 0) this.#waiters.delete(key);
        resolve(notified);
      };
      const wake = () => finish(true);
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), ms);
      set.add(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
