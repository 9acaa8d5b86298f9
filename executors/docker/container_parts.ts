/**
 * Pieces of a task container that `task_container.ts` assembles: the docker arguments screened and merged, the
 * `--env-file` files read, the printed command masked, the glibc check of an image, the extra labels and the
 * container name.
 *
 * @module
 */

import type { AgentConfig } from "../../lib/config/config_schema.ts";
import { sanitizeDockerArgs } from "../../lib/config/mask.ts";
import { SECRET_NAME } from "../../lib/secrets/secret_names.ts";
import { shlexSplit } from "../../lib/config/shlex.ts";
import { SetupError } from "../executor.ts";
import { type EngineContainer, engineStatus } from "./engine.ts";
import { applyArgs, type ArgItem, type ContainerArgs, DockerArgsError, tokenize } from "./args.ts";
import { expandEnvItems, mergeArgs, screenTaskArgs } from "./spec.ts";
import type { ContainerChoice } from "./image_select.ts";
import { withLoopbackNetwork } from "./network.ts";
import { glibcLoader, muslLoader } from "./self_command.ts";

export const PASSED_ENV = [
  "CLEARML_WORKER_TAGS",
  "CLEARML_AGENT_SKIP_PIP_VENV_INSTALL",
  "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL",
];

/** The glibc verdict per image id: `null` when the agent can run in it, else why not. */
const glibcVerdicts = new Map<string, string | null>();

export async function checkGlibc(container: EngineContainer, image: string, imageId: string): Promise<void> {
  let verdict = glibcVerdicts.get(imageId);
  if (verdict === undefined) {
    const has = (path: string) =>
      container.infoArchive({ path }).then(() => true, (err) => {
        if (engineStatus(err) === 404) return false;
        throw err;
      });
    verdict = null;
    if (!(await has(glibcLoader()))) {
      verdict = (await has(muslLoader()))
        ? `Docker image "${image}" is musl based (Alpine?): the agent needs a glibc image (Debian, Ubuntu...)`
        : `Docker image "${image}" has no glibc loader "${glibcLoader()}": the agent needs a glibc image (Debian, Ubuntu...)`;
    }
    glibcVerdicts.set(imageId, verdict);
  }
  if (verdict) throw new SetupError("image", verdict);
}

export function innerArgs(args: readonly string[], drop: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === drop) i++;
    else if (!args[i].startsWith(`${drop}=`)) out.push(args[i]);
  }
  return out;
}

/** Read `--env-file` files (docker's format: `NAME=value`, `NAME` alone, `#` comments). */
export async function envFileEntries(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      throw new DockerArgsError(`Cannot read docker --env-file "${path}": ${(err as Error).message}`);
    }
    out.push(...text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")));
  }
  return out;
}

export function maskedLine(config: AgentConfig, tokens: string[], hostEnv: Record<string, string | undefined>): string {
  const hide = config.agent.hide_docker_command_env_vars;
  const extra = shlexSplit(hostEnv.CLEARML_AGENT_DOCKER_ARGS_HIDE_ENV ?? "");
  if (!hide.enabled && extra.length === 0) return tokens.join(" ");
  const names = tokens.filter((t) => /^[A-Za-z_]\w*=/.test(t)).map((t) => t.split("=")[0]).filter((n) =>
    SECRET_NAME.test(n)
  );
  return sanitizeDockerArgs(tokens, [...(hide.extra_keys ?? []), ...extra, ...names]).join(" ");
}

/** Screened, merged and parsed docker arguments of the chosen container. */
export function dockerArgs(
  o: { config: AgentConfig; hostEnv: Record<string, string | undefined>; say: (line: string) => void },
  choice: ContainerChoice,
): { merged: ArgItem[]; parsed: ContainerArgs } {
  const a = o.config.agent;
  const rules = {
    allowlist: a.docker_args_filters ?? [],
    forbidden: a.forbidden_docker_args ?? [],
    extraPrecedesTask: a.docker_args_extra_precedes_task,
    protectedSwitches: a.protected_docker_extra_args ?? [],
  };
  const admin = expandEnvItems(
    tokenize((a.extra_docker_arguments ?? []).flatMap((x) => shlexSplit(x))),
    o.hostEnv,
  );
  let task = tokenize(choice.args);
  if (!choice.isDefault) {
    const screened = screenTaskArgs(task, rules);
    for (const d of screened.dropped) o.say(`Warning: docker argument "${d}" of the task is not allowed: ignored`);
    task = a.docker_allow_host_environ ? expandEnvItems(screened.kept, o.hostEnv) : screened.kept;
  } else task = expandEnvItems(task, o.hostEnv);
  const merged = withLoopbackNetwork(mergeArgs(admin, task, rules), o.config, o.say);
  return { merged, parsed: applyArgs(merged) };
}

export function extraLabels(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of shlexSplit(env.CLEARML_AGENT_EXTRA_DOCKER_LABELS ?? "")) {
    const at = label.indexOf("=");
    out[at < 0 ? label : label.slice(0, at)] = at < 0 ? "" : label.slice(at + 1);
  }
  return out;
}

/** `agent.docker_container_name_format` with `{task_id}`, `{worker_id}` and `{rand_string[:.N]}`; else none. */
export function containerName(
  format: string | undefined,
  o: { taskId: string; workerId: string },
  say: (line: string) => void,
): string | undefined {
  if (!format) return undefined;
  const safe = (s: string) => s.replace(/[^a-zA-Z0-9._-]/g, "-");
  const rand = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => String.fromCharCode(97 + (b % 26))).join(
    "",
  );
  let unknown = false;
  const name = format.replace(/\{(\w+)(?::\.(\d+))?\}/g, (_m, field: string, len?: string) => {
    const value = field === "task_id"
      ? safe(o.taskId)
      : field === "worker_id"
      ? safe(o.workerId)
      : field === "rand_string"
      ? rand
      : (unknown = true, "");
    return len ? value.slice(0, Number(len)) : value;
  });
  if (unknown || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
    say(`Warning: container name format "${format}" gives "${name}": not a valid name, the engine picks one`);
    return undefined;
  }
  return name;
}
