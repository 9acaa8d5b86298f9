/**
 * The host folders a task container mounts (agent-reference §8.2 step 13, §8.9, §8.10): the agent itself
 * (read-only), the run's files, the caches at their `agent.docker_internal_mounts` paths (venvs, repositories,
 * pip, uv, apt, pip downloads, the SDK cache, the uv tools folder; host folders are created when missing), and
 * SSH access: the `SSH_AUTH_SOCK` socket when an agent is running, otherwise `~/.ssh` read-only at
 * `ssh_ro_folder` (copied into `ssh_folder` by the entry script), unless `agent.disable_ssh_mount` /
 * `CLEARML_AGENT_DISABLE_SSH_MOUNT`; `~/.gitconfig` and `~/.git-credentials` read-only when they exist.
 *
 * When the agent itself runs in a container next to the engine (`CLEARML_AGENT_K8S_HOST_MOUNT` /
 * `CLEARML_AGENT_DOCKER_HOST_MOUNT` = `<node path>:<pod path>`), every host path must lie under the pod path and
 * is rewritten to the node path; caches outside it are left out with a warning, and the agent's own files are
 * copied under it once (`.clearml_agent_self/`).
 *
 * @module
 */

import { basename, join } from "node:path";
import type { AgentConfig } from "../../lib/config/config_schema.ts";
import type { BindMount } from "./spec.ts";
import { CONTAINER_PATHS, type RunFiles } from "./files.ts";
import type { ContainerSelf } from "./self_command.ts";
import { exists } from "../../lib/fs_exists.ts";

/** `<node path>:<pod path>` of the host-mount variables, or null. */
export interface HostMountTranslation {
  node: string;
  pod: string;
}

/** Read `CLEARML_AGENT_K8S_HOST_MOUNT` (or its aliases); null when unset. Throws for a value without `:`. */
export function hostMountTranslation(env: Record<string, string | undefined>): HostMountTranslation | null {
  const names = [
    "CLEARML_AGENT_K8S_HOST_MOUNT",
    "CLEARML_AGENT_DOCKER_HOST_MOUNT",
    "TRAINS_AGENT_K8S_HOST_MOUNT",
    "TRAINS_AGENT_DOCKER_HOST_MOUNT",
  ];
  const name = names.find((n) => env[n]);
  if (!name) return null;
  const value = env[name]!;
  const at = value.indexOf(":");
  if (at <= 0 || at === value.length - 1) {
    throw new Error(`Bad ${name} "${value}": expected "<node path>:<pod path>"`);
  }
  return { node: value.slice(0, at).replace(/\/+$/, ""), pod: value.slice(at + 1).replace(/\/+$/, "") };
}

/** A host path as the engine sees it: rewritten to the node path, or null when it is not under the pod path. */
export function translatePath(path: string, t: HostMountTranslation | null): string | null {
  if (!t) return path;
  if (path === t.pod) return t.node;
  if (path.startsWith(`${t.pod}/`)) return t.node + path.slice(t.pod.length);
  return null;
}

function absoluteInContainer(path: string): string {
  return path === "~" ? "/root" : path.startsWith("~/") ? `/root/${path.slice(2)}` : path;
}

/** Copy the agent's files under the pod path (once per version of them) so the engine can mount them. */
export async function stageSelf(self: ContainerSelf, t: HostMountTranslation): Promise<ContainerSelf> {
  const mounts = [];
  for (const m of self.mounts) {
    if (translatePath(m.source, t) !== null) {
      mounts.push(m);
      continue;
    }
    const st = await Deno.stat(m.source);
    const key = `${basename(m.source)}.${st.size}.${st.mtime?.getTime() ?? 0}`;
    const dest = join(t.pod, ".clearml_agent_self", key);
    if (!exists(dest)) {
      const tmp = `${dest}.tmp.${Deno.pid}`;
      await Deno.mkdir(join(t.pod, ".clearml_agent_self"), { recursive: true });
      const out = await new Deno.Command("cp", { args: ["-a", m.source, tmp], stderr: "piped" }).output();
      if (!out.success) {
        throw new Error(`Cannot copy "${m.source}" under "${t.pod}": ${new TextDecoder().decode(out.stderr).trim()}`);
      }
      await Deno.rename(tmp, dest).catch(() => Deno.remove(tmp, { recursive: true }).catch(() => {}));
    }
    mounts.push({ source: dest, target: m.target });
  }
  return { ...self, mounts };
}

/** Inputs of `taskMounts`. */
export interface TaskMountOptions {
  config: AgentConfig;
  expand: (path: string) => string;
  hostEnv: Record<string, string | undefined>;
  self: ContainerSelf;
  files: RunFiles;
  /** Host folder of the uv tools (`CLEARML_AGENT_TOOLS_DIR`). */
  toolsDir: string;
  translation: HostMountTranslation | null;
  say: (line: string) => void;
}

/** What `taskMounts` decided. */
export interface MountPlan {
  binds: BindMount[];
  /** Variables the mounts need inside (`SSH_AUTH_SOCK`, `CLEARML_AGENT_TOOLS_DIR`). */
  env: Record<string, string>;
  /** Where the entry script copies the read-only `~/.ssh` from and to. */
  sshCopy?: { from: string; to: string };
}

/** The bind mounts of a task container. */
export async function taskMounts(o: TaskMountOptions): Promise<MountPlan> {
  const a = o.config.agent;
  const m = a.docker_internal_mounts;
  const t = o.translation;
  const binds: BindMount[] = [];
  const env: Record<string, string> = {};
  const bind = (source: string, target: string, readOnly: boolean, required: boolean) => {
    const node = translatePath(source, t);
    if (node === null) {
      if (required) throw new Error(`Host path "${source}" is not under the host-mount pod path "${t!.pod}"`);
      o.say(`Warning: K8S mount missing, ignoring cached folder ${source}`);
      return false;
    }
    binds.push({ source: node, target: absoluteInContainer(target), readOnly });
    return true;
  };
  for (const s of o.self.mounts) bind(s.source, s.target, true, true);
  bind(o.files.config, CONTAINER_PATHS.config, true, true);
  bind(o.files.envFile, CONTAINER_PATHS.envFile, true, true);
  bind(o.files.runDir, CONTAINER_PATHS.runDir, false, true);

  const caches: [string | undefined, string][] = [
    [a.venvs_cache.path || undefined, m.venvs_cache],
    [a.vcs_cache.enabled !== false ? a.vcs_cache.path || undefined : undefined, m.vcs_cache],
    [a.docker_pip_cache || undefined, m.pip_cache],
    [a.docker_uv_cache || undefined, m.uv_cache],
    // Poetry's cache only for poetry (the reference mounts it only then).
    [
      (a.package_manager.type ?? "").toLowerCase() === "poetry" ? a.docker_poetry_cache || undefined : undefined,
      m.poetry_cache,
    ],
    [a.docker_apt_cache || undefined, m.apt_cache],
    [a.pip_download_cache.enabled !== false ? a.pip_download_cache.path || undefined : undefined, m.pip_download],
    [o.config.sdk.storage.cache.default_base_dir || undefined, m.sdk_cache],
  ];
  for (const [hostPath, target] of caches) {
    if (!hostPath || !target) continue;
    const dir = o.expand(hostPath);
    await Deno.mkdir(dir, { recursive: true });
    bind(dir, target, false, false);
  }
  await Deno.mkdir(o.toolsDir, { recursive: true });
  if (bind(o.toolsDir, CONTAINER_PATHS.tools, false, false)) env.CLEARML_AGENT_TOOLS_DIR = CONTAINER_PATHS.tools;

  const home = o.hostEnv.HOME ?? "/root";
  let sshCopy: MountPlan["sshCopy"];
  const sock = o.hostEnv.SSH_AUTH_SOCK;
  if (sock && exists(sock)) {
    if (bind(sock, sock, false, false)) env.SSH_AUTH_SOCK = sock;
  } else if (!a.disable_ssh_mount && exists(join(home, ".ssh"))) {
    if (bind(join(home, ".ssh"), m.ssh_ro_folder, true, false)) sshCopy = { from: m.ssh_ro_folder, to: m.ssh_folder };
  }
  for (const name of [".gitconfig", ".git-credentials"]) {
    if (exists(join(home, name))) bind(join(home, name), `/root/${name}`, true, false);
  }
  return { binds, env, sshCopy };
}
