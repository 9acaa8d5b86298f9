/**
 * Doctor checks: the Python interpreters a task environment can be built from, and `uv`.
 *
 * @module
 */

import type { CheckResult } from "./check.ts";
import { errorLine } from "./check.ts";
import { findExecutable, runWithDeadline } from "./_exec.ts";

/** Interpreter names looked up on PATH, newest first. */
export const PYTHON_NAMES: readonly string[] = [
  ...Array.from({ length: 9 }, (_, i) => `python3.${14 - i}`),
  "python3",
  "python",
];

/** Inputs of `pythonCheck`. */
export interface PythonCheckInput {
  /** PATH to search. */
  path: string;
  /** `agent.python_binary`: when set, this interpreter must work. */
  pythonBinary?: string;
  /** False in docker mode, where tasks use the image's Python. */
  required: boolean;
}

async function version(program: string, path: string): Promise<string | undefined> {
  try {
    const out = await runWithDeadline(program, ["--version"], { path, timeoutMs: 10_000 });
    const m = `${out.stdout} ${out.stderr}`.match(/Python (\d+\.\d+(?:\.\d+)?)/);
    return out.code === 0 && m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

/** Find the interpreters and ask each for its version. */
export async function pythonCheck(input: PythonCheckInput): Promise<CheckResult> {
  const name = "python";
  const required = input.required;
  if (input.pythonBinary) {
    const program = input.pythonBinary.includes("/")
      ? input.pythonBinary
      : findExecutable(input.pythonBinary, input.path);
    const v = program ? await version(program, input.path) : undefined;
    return v
      ? { name, ok: true, required, detail: `agent.python_binary ${program}: Python ${v}` }
      : { name, ok: false, required, detail: `agent.python_binary "${input.pythonBinary}" does not run` };
  }
  const found: string[] = [];
  const seen = new Set<string>();
  for (const exe of PYTHON_NAMES) {
    const program = findExecutable(exe, input.path);
    if (!program) continue;
    let real = program;
    try {
      real = Deno.realPathSync(program);
    } catch {
      // keep the PATH entry
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const v = await version(program, input.path);
    if (v) found.push(`${exe} ${v}`);
  }
  if (found.length === 0) {
    return { name, ok: false, required, detail: "no Python interpreter on PATH (python3.x, python3, python)" };
  }
  return { name, ok: true, required, detail: found.join(", ") };
}

/** Inputs of `uvCheck`. */
export interface UvCheckInput {
  path: string;
  /** True when `agent.package_manager.type` is `uv`. */
  required: boolean;
}

/** Find `uv` and ask it for its version. */
export async function uvCheck(input: UvCheckInput): Promise<CheckResult> {
  const name = "uv";
  const program = findExecutable("uv", input.path);
  if (!program) {
    const why = input.required ? "agent.package_manager.type is uv" : "environments are built with pip (slower)";
    return { name, ok: false, required: input.required, detail: `uv not found on PATH: ${why}` };
  }
  try {
    const out = await runWithDeadline(program, ["--version"], { path: input.path });
    if (out.code !== 0) throw new Error(`exit ${out.code}: ${out.stderr.trim()}`);
    return { name, ok: true, required: input.required, detail: `${out.stdout.trim()} (${program})` };
  } catch (err) {
    return { name, ok: false, required: input.required, detail: `${program} does not run: ${errorLine(err)}` };
  }
}
