/**
 * PyTorch matched to the machine's CUDA (agent-reference §6.7, "PyTorch" handler, `pytorch_resolve`):
 * - `pip` (the default): when the requirements name a torch-family package that no local version (`+cu121`),
 *   direct URL or index option of the task pins, the first reachable of the CUDA indexes
 *   (`extra_index_url_template`, or `nightly_extra_index_url_template` with `torch_nightly`; `{}` is the CUDA
 *   version as digits, probed from the machine's version downward, at most 15 steps; `cpu` on a machine without
 *   CUDA) is added as an extra index, and `torch==X.Y.Z` becomes `torch==X.Y.Z.*` so that CUDA builds
 *   (`X.Y.Z+cu121`) match;
 * - `none`, or `agent.cpu_only`: no handling;
 * - `direct`: the same index is found, then each torch-family requirement is pointed at its exact wheel on it
 *   (`pytorch_direct.ts`); a requirement without a fitting wheel there is left to the extra index as with `pip`.
 *
 * @module
 */

import { SetupError } from "../../../executors/executor.ts";
import type { AgentConfig } from "../../config/config_schema.ts";
import { requirementName } from "./install_plan.ts";
import { directWheelLine, type FetchText } from "./pytorch_direct.ts";
import type { RequirementSet } from "./requirements.ts";

/** The torch family (the reference's list). */
export const TORCH_PACKAGES = new Set(["torch", "torchvision", "torchaudio", "torchcsprng", "torchtext"]);

/** Whether an index URL answers (a 2xx to GET). */
export type IndexProbe = (url: string) => Promise<boolean>;

async function httpProbe(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Options of `resolveTorchIndex`. */
export interface TorchIndexOptions {
  set: RequirementSet;
  config: AgentConfig;
  /** The machine's CUDA version as digits (`122`), `0` without CUDA. */
  cuda: string;
  say: (line: string) => void;
  /** Interpreter version (`3.11.7`): `direct` picks wheels for it. */
  python: string;
  probe?: IndexProbe;
  fetchText?: FetchText;
}

/** The set to install and the extra index to add (if any). */
export interface TorchIndexResult {
  set: RequirementSet;
  extraIndexUrl?: string;
}

function pinnedByTask(set: RequirementSet, torchLines: string[]): boolean {
  if (torchLines.some((l) => /@|\+[A-Za-z0-9]/.test(l))) return true;
  return set.options.some((o) => /^(-i|--index-url|-f|--find-links|--no-index)\b/.test(o) || /pytorch/.test(o));
}

/** Candidate index URLs for `cuda`, best first. */
export function torchIndexCandidates(template: string, cuda: string): string[] {
  const n = Number(cuda);
  if (!Number.isFinite(n) || n <= 0) return [template.replace("cu{}", "cpu").replace("{}", "cpu")];
  const out: string[] = [];
  for (let v = n; v > n - 15 && v > 0; v--) out.push(template.replace("{}", String(v)));
  return out;
}

/** Apply `pytorch_resolve` to a requirement set. */
export async function resolveTorchIndex(o: TorchIndexOptions): Promise<TorchIndexResult> {
  const pm = o.config.agent.package_manager;
  const mode = (pm.pytorch_resolve || "pip").toLowerCase();
  const torchLines = o.set.lines.filter((l) => TORCH_PACKAGES.has(requirementName(l) ?? ""));
  if (torchLines.length === 0 || mode === "none" || o.config.agent.cpu_only) return { set: o.set };
  if (mode !== "pip" && mode !== "direct") {
    throw new SetupError(
      "install",
      `Unknown agent.package_manager.pytorch_resolve "${pm.pytorch_resolve}": use pip, direct or none`,
    );
  }
  if (pinnedByTask(o.set, torchLines)) {
    o.say("PyTorch: the requirements pin the build (local version, URL or index): no CUDA index added");
    return { set: o.set };
  }
  const template = pm.torch_nightly ? pm.nightly_extra_index_url_template : pm.extra_index_url_template;
  const probe = o.probe ?? httpProbe;
  const candidates = torchIndexCandidates(template, o.cuda);
  for (const url of candidates) {
    if (!await probe(url)) continue;
    o.say(`PyTorch: CUDA ${o.cuda === "0" ? "none (CPU)" : o.cuda}, using extra index ${url}`);
    const lines: string[] = [];
    for (const l of o.set.lines) {
      if (!TORCH_PACKAGES.has(requirementName(l) ?? "")) {
        lines.push(l);
        continue;
      }
      const direct = mode === "direct"
        ? await directWheelLine({ line: l, indexUrl: url, python: o.python, fetchText: o.fetchText })
        : undefined;
      if (mode === "direct") o.say(direct ? `PyTorch: ${direct}` : `PyTorch: no wheel for "${l}" on ${url}`);
      lines.push(direct ?? l.replace(/==\s*(\d+(?:\.\d+)*)(?=\s*(;|$))/, "==$1.*"));
    }
    return { set: { ...o.set, lines }, extraIndexUrl: url };
  }
  o.say(`PyTorch: no CUDA index answered (${candidates[0]} and below): installing from the configured indexes`);
  return { set: o.set };
}
