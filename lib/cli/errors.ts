/**
 * Errors that belong to the command line, and the one function that turns any error into what the user sees.
 *
 * @module
 */

import { PROGRAM_NAME } from "../version.ts";
import { redact } from "../secrets/redact.ts";

/** A command-line usage error (bad flag, bad value, wrong combination): exit code 2, as argparse does. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A feature whose behaviour is not built yet: one line `not implemented yet: <what>` and exit 1. */
export class NotImplementedError extends Error {
  override name = "NotImplementedError";
  constructor(what: string) {
    super(`not implemented yet: ${what}`);
  }
}

/** The exit code an error maps to (the Exit codes contract). */
export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError ? 2 : 1;
}

function chain(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    const msg = cur instanceof Error ? cur.message : String(cur);
    if (msg && !parts.some((p) => p.includes(msg))) parts.push(msg);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join(": ");
}

/**
 * Format an error for the terminal: one line `clearml-agent: error: <message>: <cause>...`; with `debug` the
 * stack of each error in the chain follows.
 */
export function formatError(err: unknown, debug = false): string {
  const line = `${PROGRAM_NAME}: error: ${chain(err)}`;
  if (!debug) return redact(line);
  const stacks: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur instanceof Error && depth < 8; depth++) {
    if (cur.stack) stacks.push(cur.stack);
    cur = cur.cause;
  }
  return redact([line, ...stacks].join("\n"));
}
