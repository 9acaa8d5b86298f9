/**
 * The task's code: the repository checked out through the repository cache with the uncommitted diff applied,
 * or, for a task without a repository, `script.diff` written as the script itself (single-script tasks).
 *
 * @module
 */

import { basename, join } from "node:path";
import { type Executor, SetupError } from "../../../executors/executor.ts";
import type { AgentConfig } from "../../config/config_schema.ts";
import { checkoutRepository } from "./checkout.ts";
import { applyDiff } from "./diff.ts";
import { GitAuth, gitBaseEnv } from "./git_auth.ts";
import { credentialsFor, type GitSettings, repoFolderName, rewriteRepoUrl, stripCredentials } from "./git_url.ts";
import type { ExecutionInfo } from "../task_info.ts";
import { isGitDiff } from "../task_info.ts";
import { ensureMirror } from "./vcs_cache.ts";
import type { PhaseTimer } from "../phases.ts";

/** Where the code ended up. */
export interface CodeResult {
  /** Root of the code: the repository checkout, or the single-script folder. */
  root: string;
  /** Checked-out commit (repositories only). */
  commit?: string;
  /** True when the code is a git checkout. */
  isRepository: boolean;
  /** Environment for tools that run git (installers with `git+https` requirements). */
  gitEnv: Record<string, string>;
}

/** What the task's setup steps (code, then Python environment) share. */
export interface SetupStep {
  info: ExecutionInfo;
  config: AgentConfig;
  executor: Executor;
  /** The run folder; the code goes to `<runDir>/code/...`. */
  runDir: string;
  /** Expand `~` in configured paths. */
  expand: (path: string) => string;
  phases: PhaseTimer;
  say: (line: string) => void;
  signal?: AbortSignal;
  /** Cleanups to run at the end (the askpass helper, the venv in-use marker). */
  cleanups: (() => Promise<void>)[];
}

/** Options of `setupCode`. */
export interface CodeSetupOptions extends SetupStep {
  /** `CLEARML_AGENT_FORCE_CODE_DIR`: the code is already in this folder (no clone, no diff). */
  forceCodeDir?: string;
}

function scriptName(info: ExecutionInfo): string {
  return info.entryPoint && !info.entryPoint.startsWith("-") ? basename(info.entryPoint) : "untitled.py";
}

function gitSettings(config: AgentConfig): GitSettings {
  const a = config.agent;
  return {
    user: a.git_user,
    pass: a.git_pass,
    host: a.git_host,
    forceSsh: a.force_git_ssh_protocol,
    forceSshPort: a.force_git_ssh_port,
    forceSshUser: a.force_git_ssh_user,
    translateSsh: a.translate_ssh,
  };
}

/** Check out (or write) the task's code. */
export async function setupCode(o: CodeSetupOptions): Promise<CodeResult> {
  const { info } = o;
  if (o.forceCodeDir) {
    o.say(`Using the code in "${o.forceCodeDir}" (CLEARML_AGENT_FORCE_CODE_DIR): no clone, no diff`);
    if (!info.repository) {
      info.entryPoint = info.entryPoint.startsWith("-") ? info.entryPoint : scriptName(info);
      info.workingDir = ".";
    }
    return { root: o.forceCodeDir, isRepository: Boolean(info.repository), gitEnv: {} };
  }
  const codeDir = join(o.runDir, "code");
  await Deno.mkdir(codeDir, { recursive: true });
  if (!info.repository) {
    if (!info.diff.trim()) {
      o.say("WARNING: running a task without repository or literal script in `script.diff`");
      return { root: codeDir, isRepository: false, gitEnv: {} };
    }
    const name = scriptName(info);
    await Deno.writeTextFile(join(codeDir, name), info.diff);
    o.say(`Task has no repository: running "script.diff" as "${name}"`);
    info.entryPoint = info.entryPoint.startsWith("-") ? info.entryPoint : name;
    info.workingDir = ".";
    return { root: codeDir, isRepository: false, gitEnv: {} };
  }

  const settings = gitSettings(o.config);
  const rewritten = rewriteRepoUrl(info.repository, settings);
  const { url, user, pass } = stripCredentials(rewritten);
  const creds = credentialsFor(url, settings) ??
    (user && pass ? { user, pass } : undefined);
  let gitEnv = gitBaseEnv();
  if (creds && o.config.agent.enable_git_ask_pass !== false) {
    const auth = await GitAuth.create(creds.user, creds.pass);
    o.cleanups.push(() => auth.dispose());
    gitEnv = { ...gitEnv, ...auth.env() };
  } else if (creds) {
    throw new SetupError("git", "agent.enable_git_ask_pass is false: embedding credentials in URLs is not supported");
  }
  const ctx = { executor: o.executor, env: gitEnv, signal: o.signal };
  const revision = { commit: info.commit, tag: info.tag, branch: info.branch };
  const dest = join(codeDir, repoFolderName(url));
  const result = await o.phases.run("git", async () => {
    const useCache = o.config.agent.vcs_cache.enabled !== false;
    const source = useCache
      ? await ensureMirror(ctx, {
        url,
        root: o.expand(o.config.agent.vcs_cache.path),
        revision,
        cloneOnPullFail: o.config.agent.vcs_cache.clone_on_pull_fail,
        say: o.say,
      })
      : url;
    if (!useCache) o.say(`cloning: ${url}`);
    return await checkoutRepository(ctx, { source, url, dest, revision, fromMirror: useCache, say: o.say });
  });
  if (isGitDiff(info.diff)) {
    await o.phases.run("git", async () => {
      o.say("Applying uncommitted changes");
      await applyDiff(ctx, dest, info.diff);
    });
  } else if (info.diff.trim()) {
    const name = info.entryPoint && !info.entryPoint.startsWith("-") ? info.entryPoint : "untitled.py";
    const target = join(dest, info.workingDir, name);
    try {
      await Deno.stat(target);
    } catch {
      await Deno.writeTextFile(target, info.diff);
    }
  }
  return { root: dest, commit: result.commit, isRepository: true, gitEnv };
}
