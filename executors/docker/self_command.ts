/**
 * This agent inside a container, with nothing downloaded or installed: the compiled binary (`Deno.execPath()`)
 * bind-mounted read-only, or, from source, the Deno executable, the project folder and the Deno cache mounted
 * read-only with `DENO_DIR` pointing at the cache. Deno is a glibc program, so the image must have the glibc
 * loader (`glibcLoader()`); musl images (Alpine) cannot run it.
 *
 * For images (`build --docker`), `imageInstall()` gives the shell lines that copy the mounted agent into the
 * container's own file system (mounts are not part of a committed image) and the command that runs the copy.
 *
 * @module
 */

import { sourceLauncher } from "../../lib/process/self_command.ts";
import { join } from "node:path";
import { isCompiled, sourceRoot } from "../../lib/process/self_command.ts";
import { exists } from "../../lib/fs_exists.ts";

/** Where the agent is mounted in a container. */
export const MOUNT_ROOT = "/opt/clearml/mnt";
/** Where `imageInstall` copies the agent to. */
export const IMAGE_ROOT = "/opt/clearml";

/** A read-only bind mount of the agent. */
export interface SelfMount {
  source: string;
  target: string;
}

/** The agent as a container runs it. */
export interface ContainerSelf {
  /** `[program, ...args]` inside the container; append the subcommand. */
  argv: string[];
  mounts: SelfMount[];
  /** Variables the command needs (`DENO_DIR`). */
  env: Record<string, string>;
  compiled: boolean;
}

/** Deno's cache folder: `DENO_DIR`, else `$XDG_CACHE_HOME/deno`, else `~/.cache/deno`. */
export function denoCacheDir(env: Record<string, string | undefined> = Deno.env.toObject()): string {
  if (env.DENO_DIR) return env.DENO_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "deno");
  return join(env.HOME ?? "/root", ".cache", "deno");
}

/** Options of `containerSelf` (tests inject them). */
export interface ContainerSelfOptions {
  compiled?: boolean;
  execPath?: string;
  root?: string;
  denoDir?: string;
}

/** The mounts and command line that run this agent inside a container. */
export function containerSelf(options: ContainerSelfOptions = {}): ContainerSelf {
  const exec = Deno.realPathSync(options.execPath ?? Deno.execPath());
  if (options.compiled ?? isCompiled()) {
    const target = `${MOUNT_ROOT}/clearml-agent`;
    return { argv: [target], mounts: [{ source: exec, target }], env: {}, compiled: true };
  }
  const root = options.root ?? sourceRoot();
  const cache = options.denoDir ?? denoCacheDir();
  const mounts = [{ source: exec, target: `${MOUNT_ROOT}/deno` }, { source: root, target: `${MOUNT_ROOT}/src` }];
  const env: Record<string, string> = { DENO_NO_UPDATE_CHECK: "1" };
  if (exists(cache)) {
    mounts.push({ source: cache, target: `${MOUNT_ROOT}/deno-cache` });
    env.DENO_DIR = `${MOUNT_ROOT}/deno-cache`;
  }
  return { argv: sourceArgv(MOUNT_ROOT), mounts, env, compiled: false };
}

function sourceArgv(root: string): string[] {
  return sourceLauncher(`${root}/deno`, `${root}/src`);
}

/** The ELF loader a glibc build of Deno needs on this architecture. */
export function glibcLoader(arch: string = Deno.build.arch): string {
  return arch === "aarch64" ? "/lib/ld-linux-aarch64.so.1" : "/lib64/ld-linux-x86-64.so.2";
}

/** The musl loader of this architecture (to name the problem). */
export function muslLoader(arch: string = Deno.build.arch): string {
  return `/lib/ld-musl-${arch === "aarch64" ? "aarch64" : "x86_64"}.so.1`;
}

/**
 * Copy the mounted agent into the container (for a committed image): the shell lines, and the command line and
 * variables of the copy. From source, the project is copied without `.git` and without the npm copy of Deno
 * (the executable is copied once, on its own), and `DENO_DIR` is an empty writable folder in the image.
 */
export function imageInstall(self: ContainerSelf): { script: string; argv: string[]; env: Record<string, string> } {
  if (self.compiled) {
    const target = `${IMAGE_ROOT}/clearml-agent`;
    return {
      script: `mkdir -p ${IMAGE_ROOT} && cp ${MOUNT_ROOT}/clearml-agent ${target} && chmod 755 ${target}`,
      argv: [target],
      env: {},
    };
  }
  const lines = [
    `mkdir -p ${IMAGE_ROOT}/src ${IMAGE_ROOT}/deno-cache`,
    `cp ${MOUNT_ROOT}/deno ${IMAGE_ROOT}/deno && chmod 755 ${IMAGE_ROOT}/deno`,
    `(cd ${MOUNT_ROOT}/src && tar --exclude=./.git --exclude=./node_modules/deno -cf - .) | ` +
    `(cd ${IMAGE_ROOT}/src && tar -xf -)`,
  ];
  return {
    script: lines.join(" && "),
    argv: sourceArgv(IMAGE_ROOT),
    env: { DENO_DIR: `${IMAGE_ROOT}/deno-cache`, DENO_NO_UPDATE_CHECK: "1" },
  };
}
