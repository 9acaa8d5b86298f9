/**
 * The order a requirement set is installed in (agent-reference §6.7, "Priority" and "Post" handlers):
 * requirements named in `priority_packages` / `priority_optional_packages` are installed one at a time first
 * (and stay in the main install; an optional one that fails is dropped from it), those named in `post_packages`
 * / `post_optional_packages` are taken out of the main install and installed one at a time after it (an optional
 * one's failure is logged, not fatal). Only packages the requirements name are installed.
 *
 * @module
 */

import { join } from "node:path";
import { type OutputSink, SetupError } from "../../../executors/executor.ts";
import type { AgentConfig } from "../../config/config_schema.ts";
import type { Installer } from "./installer.ts";
import { type RequirementSet, requirementsFileText } from "./requirements.ts";

/** One requirement installed on its own. */
export interface SingleInstall {
  line: string;
  /** Failure is logged and the package dropped, not fatal. */
  optional: boolean;
}

/** A set split into its install steps. */
export interface InstallPlan {
  priority: SingleInstall[];
  /** The main install (priority lines included, post lines removed). */
  main: RequirementSet;
  post: SingleInstall[];
}

/** The normalized project name a requirement line starts with (`Torch_Vision[x]>=1` → `torch-vision`). */
export function requirementName(line: string): string | undefined {
  if (line.startsWith("-")) return undefined;
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line.trim());
  return m ? m[1].toLowerCase().replace(/[._]+/g, "-") : undefined;
}

function names(list: readonly string[] | undefined): Set<string> {
  return new Set((list ?? []).map((n) => requirementName(n)).filter((n): n is string => !!n));
}

/** Split `set` into priority, main and post steps per `agent.package_manager`. */
export function planInstall(set: RequirementSet, config: AgentConfig): InstallPlan {
  const pm = config.agent.package_manager;
  const priority = names(pm.priority_packages);
  const priorityOptional = names(pm.priority_optional_packages);
  const post = names(pm.post_packages);
  const postOptional = names(pm.post_optional_packages);
  const plan: InstallPlan = { priority: [], main: { ...set, lines: [] }, post: [] };
  for (const line of set.lines) {
    const name = requirementName(line);
    if (name && (post.has(name) || postOptional.has(name))) {
      plan.post.push({ line, optional: !post.has(name) });
      continue;
    }
    if (name && (priority.has(name) || priorityOptional.has(name))) {
      plan.priority.push({ line, optional: !priority.has(name) });
    }
    plan.main.lines.push(line);
  }
  return plan;
}

/** Options of `installRequirementSet`. */
export interface InstallSetOptions {
  installer: Installer;
  /** The interpreter to install into. */
  python: string;
  set: RequirementSet;
  config: AgentConfig;
  /** Folder for the requirement files. */
  workDir: string;
  cwd: string;
  extraIndexUrls: string[];
  extraFlags: string[];
  env: Record<string, string>;
  output: OutputSink;
  say: (line: string) => void;
  signal?: AbortSignal;
}

/** Install `set` in plan order: priority packages one by one, the rest, then post packages one by one. */
export async function installRequirementSet(o: InstallSetOptions): Promise<void> {
  const plan = planInstall(o.set, o.config);
  let n = 0;
  const installFile = async (lines: string[]) => {
    const file = join(o.workDir, `requirements.${n++}.txt`);
    await Deno.writeTextFile(file, requirementsFileText({ ...o.set, lines }));
    await o.installer.install({
      python: o.python,
      file,
      cwd: o.cwd,
      extraIndexUrls: o.extraIndexUrls,
      extraFlags: o.extraFlags,
      env: o.env,
      output: o.output,
      signal: o.signal,
    });
  };
  const single = async (step: SingleInstall, kind: string): Promise<boolean> => {
    o.say(`Installing ${kind} package: ${step.line}`);
    try {
      await installFile([step.line]);
      return true;
    } catch (err) {
      if (!step.optional || !(err instanceof SetupError)) throw err;
      o.say(`Optional ${kind} package "${step.line}" failed, skipped: ${err.message}`);
      return false;
    }
  };
  for (const step of plan.priority) {
    if (!await single(step, "priority")) plan.main.lines = plan.main.lines.filter((l) => l !== step.line);
  }
  if (plan.main.lines.length > 0) {
    o.say(`Installing ${plan.main.lines.length} requirement(s) with ${o.installer.kind}`);
    await installFile(plan.main.lines);
  }
  for (const step of plan.post) await single(step, "post");
}
