/**
 * Doctor check: the local clock agrees with the server's. Tokens expire by the server's clock and storage
 * signatures (S3 and the like) are refused beyond about 15 minutes of skew.
 *
 * @module
 */

import type { CheckResult } from "./check.ts";

/** Inputs of `clockCheck`. */
export interface ClockCheckInput {
  /** The server's `Date` header (RFC 7231, one-second resolution). */
  serverDate?: string;
  /** Local time when the server answered (ms since epoch). */
  localMs: number;
  /** Largest tolerated difference in seconds (default 300). */
  maxSkewS?: number;
}

/** Compare the clocks. */
export function clockCheck(input: ClockCheckInput): CheckResult {
  const name = "clock";
  const max = input.maxSkewS ?? 300;
  const server = input.serverDate ? Date.parse(input.serverDate) : NaN;
  if (Number.isNaN(server)) {
    return { name, ok: false, required: false, detail: "the server sent no usable Date header" };
  }
  // The header is truncated to the second: up to 1 s of the difference is that truncation.
  const skew = (input.localMs - server) / 1000;
  const shown = `${skew >= 0 ? "+" : ""}${skew.toFixed(1)} s`;
  if (Math.abs(skew) > max) {
    return {
      name,
      ok: false,
      required: true,
      detail: `local clock is ${shown} off the server's (more than ${max} s): sync it (timedatectl set-ntp true)`,
    };
  }
  return { name, ok: true, required: true, detail: `${shown} from the server's clock` };
}
