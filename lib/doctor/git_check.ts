/**
 * Doctor check: git is installed and credentials exist for the configured host: `agent.git_user` / `agent.git_pass`
 * (HTTPS, sent only to `agent.git_host` when set), else SSH keys or a git credential store in the home folder.
 *
 * @module
 */

import { join } from "node:path";
import type { CheckResult } from "./check.ts";
import { findExecutable } from "./_exec.ts";

/** Inputs of `gitCheck`. */
export interface GitCheckInput {
  path: string;
  home: string;
  gitUser?: string;
  gitPass?: string;
  gitHost?: string;
}

const SSH_KEYS = ["id_ed25519", "id_ecdsa", "id_rsa", "id_ed25519_sk", "id_ecdsa_sk"];

function present(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Check git and its credentials. */
export function gitCheck(input: GitCheckInput): CheckResult {
  const name = "git";
  const git = findExecutable("git", input.path);
  if (!git) return { name, ok: false, required: true, detail: "git not found on PATH: tasks cannot be cloned" };
  const host = input.gitHost ? `"${input.gitHost}"` : "every host";
  if (input.gitUser && !input.gitPass) {
    return { name, ok: false, required: true, detail: "agent.git_user is set but agent.git_pass is not" };
  }
  if (!input.gitUser && input.gitPass) {
    return { name, ok: false, required: true, detail: "agent.git_pass is set but agent.git_user is not" };
  }
  if (input.gitUser) {
    return { name, ok: true, required: true, detail: `${git}; HTTPS credentials of "${input.gitUser}" for ${host}` };
  }
  const keys = SSH_KEYS.filter((k) => present(join(input.home, ".ssh", k)));
  const store = present(join(input.home, ".git-credentials"));
  const have = [...(keys.length > 0 ? [`SSH keys ${keys.join(", ")}`] : []), ...(store ? ["~/.git-credentials"] : [])];
  if (have.length > 0) return { name, ok: true, required: true, detail: `${git}; ${have.join(", ")}` };
  const forHost = input.gitHost ? ` although agent.git_host is ${host}` : "";
  return {
    name,
    ok: false,
    required: false,
    detail: `no git credentials${forHost} (agent.git_user/git_pass, SSH keys): only public repositories can be cloned`,
  };
}
