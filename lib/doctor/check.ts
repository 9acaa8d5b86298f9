/**
 * The shape of one `clearml-agent doctor` check and how a list of them is printed and judged. Each check lives in
 * its own file of `lib/doctor/` as a function of explicit inputs (PATH, paths, URLs, config values), so tests give
 * each one a passing and a failing machine.
 *
 * @module
 */

/** The outcome of one check. */
export interface CheckResult {
  /** Short name, e.g. `server`. */
  name: string;
  /** Whether the machine passes this check. */
  ok: boolean;
  /** One line: what was found, or what is wrong and what to do. */
  detail: string;
  /** A failing required check makes `doctor` exit 1; a failing optional one is a warning. */
  required: boolean;
  /** Not checked, because an earlier check failed or it does not apply. */
  skipped?: boolean;
}

/** The printed line of a result: `[ ok ] name: detail`, `[FAIL] ...`, `[warn] ...` or `[skip] ...`. */
export function formatCheck(result: CheckResult): string {
  const tag = result.skipped ? "skip" : result.ok ? " ok " : result.required ? "FAIL" : "warn";
  return `[${tag}] ${result.name}: ${result.detail}`;
}

/** 1 when any required check failed, else 0. */
export function doctorExitCode(results: readonly CheckResult[]): number {
  return results.some((r) => !r.ok && !r.skipped && r.required) ? 1 : 0;
}

/** A result for a check that did not run. */
export function skipped(name: string, why: string): CheckResult {
  return { name, ok: false, detail: why, required: false, skipped: true };
}

/** The first line of an error's message (with its cause), for a detail. */
export function errorLine(err: unknown): string {
  const parts: string[] = [];
  for (let cur: unknown = err, depth = 0; cur !== undefined && depth < 4; depth++) {
    const msg = cur instanceof Error ? cur.message : String(cur);
    if (msg && !parts.some((p) => p.includes(msg))) parts.push(msg);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join(": ").split("\n")[0];
}
