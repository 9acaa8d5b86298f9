/**
 * Named retry policies for API calls. Each says how long a kind of call keeps trying and why; callers pick one by
 * name at the call site (`{ retry: RETRY.status }`). Only failures that `isRetriable()` accepts are retried
 * (network errors, 5xx, 429); a 4xx fails at once.
 *
 * @module
 */

import { isRetriable } from "./errors.ts";

/** How a call is retried. */
export interface RetryPolicy {
  /** Name shown in log lines. */
  name: string;
  /** Most attempts in all (1 = no retry). */
  maxAttempts: number;
  /** Stop retrying once this much time has passed since the first attempt (milliseconds). */
  maxElapsedMs: number;
  /** First backoff delay (milliseconds); doubles each attempt. */
  baseDelayMs: number;
  /** Longest backoff delay (milliseconds). */
  maxDelayMs: number;
}

/** The policies. */
export const RETRY: Readonly<Record<"none" | "call" | "login" | "status" | "logs", RetryPolicy>> = {
  /** No retry: probes and calls whose caller has its own loop. */
  none: { name: "none", maxAttempts: 1, maxElapsedMs: 0, baseDelayMs: 0, maxDelayMs: 0 },
  /**
   * Ordinary calls (reads, edits): the reference retries for a very long time (240 tries, backoff up to 120 s);
   * we keep trying for 5 minutes with backoff capped at 10 s, so a restarting server is ridden out but a dead
   * one ends the command with a clear error instead of hanging for hours.
   */
  call: { name: "call", maxAttempts: 1000, maxElapsedMs: 5 * 60_000, baseDelayMs: 250, maxDelayMs: 10_000 },
  /**
   * The first login: a wrong host should fail fast (the reference caps connect retries at 4 for daemons), but a
   * server that is still starting deserves a few seconds.
   */
  login: { name: "login", maxAttempts: 5, maxElapsedMs: 15_000, baseDelayMs: 250, maxDelayMs: 4_000 },
  /**
   * Final status changes (completed/failed/stopped) and requirement write-back: losing one leaves a task
   * `in_progress` forever, so they keep trying for 15 minutes.
   */
  status: { name: "status", maxAttempts: 10_000, maxElapsedMs: 15 * 60_000, baseDelayMs: 250, maxDelayMs: 10_000 },
  /**
   * Log uploads: the log streamer owns its own never-drop loop; one upload attempt inside it gets a short
   * retry so that a blip does not cost a full streamer backoff.
   */
  logs: { name: "logs", maxAttempts: 3, maxElapsedMs: 5_000, baseDelayMs: 200, maxDelayMs: 1_000 },
};

/** Hooks for tests and logging. */
export interface RetryOptions {
  signal?: AbortSignal;
  /** Sleep implementation (inject a fake clock in tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Milliseconds clock. */
  now?: () => number;
  /** Called before each wait with the failed attempt's error. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** Sleep that wakes early (rejecting) when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The delay before retry number `attempt` (1-based): exponential, capped, with ±20% jitter. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const raw = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/** Run `fn` under `policy`: retriable failures are retried with backoff until attempts or time run out. */
export async function withRetry<T>(
  policy: RetryPolicy,
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const start = now();
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.signal?.aborted || !isRetriable(err) || attempt >= policy.maxAttempts) throw err;
      const delay = backoffDelay(policy, attempt);
      if (now() - start + delay > policy.maxElapsedMs) throw err;
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
