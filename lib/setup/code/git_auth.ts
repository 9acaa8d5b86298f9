/**
 * Git credentials through `GIT_ASKPASS`: a helper script in a fresh 0700 folder answers git's username and
 * password prompts, so the secret is never part of a URL, a command line or a stored remote. The folder is
 * removed by `dispose()`.
 *
 * @module
 */

import { join } from "node:path";
import { registerSecret } from "../../secrets/redact.ts";

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** An askpass helper for one set of credentials. */
export class GitAuth {
  #dir: string;
  #script: string;

  private constructor(dir: string, script: string) {
    this.#dir = dir;
    this.#script = script;
  }

  /** Write the helper (0700 folder, 0700 script). */
  static async create(user: string, pass: string): Promise<GitAuth> {
    registerSecret(pass);
    const dir = await Deno.makeTempDir({ prefix: "clearml_git_" });
    await Deno.chmod(dir, 0o700);
    const script = join(dir, "askpass.sh");
    const text = [
      "#!/bin/sh",
      'case "$1" in',
      `  [Uu]sername*) printf '%s\\n' ${shellQuote(user)} ;;`,
      `  *) printf '%s\\n' ${shellQuote(pass)} ;;`,
      "esac",
      "",
    ].join("\n");
    await Deno.writeTextFile(script, text, { mode: 0o700 });
    return new GitAuth(dir, script);
  }

  /** Environment for git (and installers that run git): askpass helper, no terminal prompts. */
  env(): Record<string, string> {
    return { GIT_ASKPASS: this.#script, GIT_TERMINAL_PROMPT: "0" };
  }

  /** Remove the helper. Never throws. */
  async dispose(): Promise<void> {
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

/** Environment every git command gets: no prompts, ssh in batch mode (a host value wins), no pager. */
export function gitBaseEnv(hostEnv: Record<string, string | undefined> = Deno.env.toObject()): Record<string, string> {
  return {
    GIT_TERMINAL_PROMPT: "0",
    GIT_SSH_COMMAND: hostEnv.GIT_SSH_COMMAND ?? "ssh -oBatchMode=yes",
    GIT_PAGER: "cat",
    GIT_ASKPASS: hostEnv.GIT_ASKPASS ?? "/bin/false",
  };
}
