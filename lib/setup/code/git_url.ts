/**
 * Repository URL handling (agent-reference §6.6): ssh ↔ https rewriting (`force_git_ssh_protocol`,
 * `translate_ssh`), credential stripping (credentials never live in a URL we store or log), and the cache name of
 * a repository.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** The git settings that shape URLs and credentials (`agent.git_*`, `agent.force_git_ssh_*`). */
export interface GitSettings {
  user?: string;
  pass?: string;
  /** Only send credentials to (and translate URLs of) this host. */
  host?: string;
  forceSsh?: boolean;
  forceSshPort?: number;
  forceSshUser?: string;
  translateSsh?: boolean;
}

const SCP_LIKE = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(?!\/\/)(.+)$/;

/** The host of a URL (https, ssh, or scp-like `git@host:path`); empty for local paths. */
export function urlHost(url: string): string {
  const scp = SCP_LIKE.exec(url);
  if (scp) return scp[2];
  try {
    const u = new URL(url);
    return u.protocol === "file:" ? "" : u.hostname;
  } catch {
    return "";
  }
}

function hostMatches(url: string, settings: GitSettings): boolean {
  return !settings.host || urlHost(url) === settings.host;
}

/** Remove `user:pass@` from an http(s) URL; returns the clean URL and what was removed. */
export function stripCredentials(url: string): { url: string; user?: string; pass?: string } {
  if (!/^https?:\/\//i.test(url)) return { url };
  try {
    const u = new URL(url);
    const user = u.username ? decodeURIComponent(u.username) : undefined;
    const pass = u.password ? decodeURIComponent(u.password) : undefined;
    u.username = "";
    u.password = "";
    return { url: u.toString().replace(/\/$/, url.endsWith("/") ? "/" : ""), user, pass };
  } catch {
    return { url };
  }
}

/** Apply `force_git_ssh_protocol` / `translate_ssh` to a repository URL, as the reference does. */
export function rewriteRepoUrl(url: string, settings: GitSettings): string {
  if (settings.forceSsh && hostMatches(url, settings)) {
    const user = settings.forceSshUser || "git";
    const port = settings.forceSshPort ? `:${settings.forceSshPort}` : "";
    const m = /^https?:\/\/(?:[^@/]*@)?([^/:]+)(?::\d+)?\/(.+)$/i.exec(url);
    if (m) return `ssh://${user}@${m[1]}${port}/${m[2]}`;
    return url;
  }
  if (settings.translateSsh !== false && settings.user && settings.pass && hostMatches(url, settings)) {
    const scp = SCP_LIKE.exec(url);
    if (scp) return `https://${scp[2]}/${scp[3]}`;
    const ssh = /^ssh:\/\/(?:([^@/]+)@)?([^/:]+)(?::\d+)?\/(.+)$/i.exec(url);
    if (ssh) {
      const keepUser = ssh[1] && !["git", "hg"].includes(ssh[1]) ? `${ssh[1]}@` : "";
      return `https://${keepUser}${ssh[2]}/${ssh[3]}`;
    }
  }
  return url;
}

/** True when configured credentials should be offered for `url` (http(s), host allowed, both set). */
export function credentialsFor(url: string, settings: GitSettings): { user: string; pass: string } | undefined {
  if (!/^https?:\/\//i.test(url) || !settings.user || !settings.pass || !hostMatches(url, settings)) return undefined;
  return { user: settings.user, pass: settings.pass };
}

/** The folder name of a repository in the cache: `<last path segment>.<md5(clean url)>`. */
export function repoCacheName(cleanUrl: string): string {
  const last = cleanUrl.replace(/\/+$/, "").split(/[/:]/).pop() || "repository";
  const safe = last.replace(/[^A-Za-z0-9._-]/g, "_");
  return `${safe}.${createHash("md5").update(cleanUrl).digest("hex")}`;
}

/** The checkout folder name of a repository: its last path segment without `.git`. */
export function repoFolderName(cleanUrl: string): string {
  const last = cleanUrl.replace(/\/+$/, "").split(/[/:]/).pop() || "repository";
  return last.replace(/\.git$/, "").replace(/[^A-Za-z0-9._-]/g, "_") || "repository";
}
