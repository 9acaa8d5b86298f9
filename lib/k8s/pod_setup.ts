/**
 * What every pod of a glue gets, decided once at start: the configuration text handed to pods as a Secret, the
 * glue's identity label, and the task container's image, variables and command for one task.
 *
 * Pod configuration (agent-reference §11 "run_one_task" 4): the `--pod-clearml-conf` file, else the glue's own
 * configuration as loaded — files and variables merged, so a glue configured by `CLEARML_API_*` variables hands
 * its server and credentials on; then `agent.package_manager.system_site_packages: true` and the glue's git
 * credentials, as the reference adds them. Written as JSON, which every HOCON reader takes.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Task } from "../api/types.ts";
import type { AgentConfig } from "../config/config_schema.ts";
import { type ConfigTree, deepMerge } from "../config/merge.ts";
import { shlexSplit } from "../config/shlex.ts";
import { chooseContainer } from "../../executors/docker/image_select.ts";
import { CONF_MOUNT, type PodInput } from "../../executors/kubernetes/pod_spec.ts";
import { applyArgs, DockerArgsError, itemTokens, tokenize } from "../../executors/docker/args.ts";

/** The glue's identity label: `CLEARML=agent-<first 8 hex of md5(worker id)>` (as the reference). */
export function agentLabel(workerId: string): Record<string, string> {
  return { CLEARML: `agent-${createHash("md5").update(workerId).digest("hex").slice(0, 8)}` };
}

/**
 * The pods' configuration text (see the module documentation): `base` (the `--pod-clearml-conf` file's tree, else
 * the glue's own merged configuration, variables included) with the reference's additions, as JSON (valid HOCON).
 */
export function podConfText(base: ConfigTree, config: AgentConfig): string {
  const agent: ConfigTree = { package_manager: { system_site_packages: true } };
  if (config.agent.git_user) agent.git_user = config.agent.git_user;
  if (config.agent.git_pass) agent.git_pass = config.agent.git_pass;
  return JSON.stringify(deepMerge(base, { agent }), null, 2) + "\n";
}

/** The task-dependent part of a pod (image, variables, command), for `buildPod`. */
export function taskContainerInput(o: {
  task: Task;
  config: AgentConfig;
  workerId: string;
  say: (line: string) => void;
}): Pick<PodInput, "image" | "env" | "args" | "imagePullPolicy"> {
  const docker = o.config.agent.default_docker;
  const choice = chooseContainer(o.task, {
    cliArgs: [],
    defaultImage: docker.image,
    defaultArgs: docker.arguments,
    force: false,
  });
  const env: Record<string, string> = {};
  try {
    const items = tokenize(choice.args);
    for (const kv of applyArgs(items.filter((i) => i.name === "env")).env) {
      const at = kv.indexOf("=");
      if (at > 0) env[kv.slice(0, at)] = kv.slice(at + 1);
    }
    const others = itemTokens(items.filter((i) => i.name !== "env"));
    if (others.length > 0 && !choice.isDefault) {
      o.say(`Warning: task ${o.task.id}: docker arguments ${others.join(" ")} have no effect in a pod`);
    }
  } catch (err) {
    if (!(err instanceof DockerArgsError)) throw err;
    o.say(`Warning: task ${o.task.id}: docker arguments ignored: ${err.message}`);
  }
  env.CLEARML_CONFIG_FILE = `${CONF_MOUNT.dir}/${CONF_MOUNT.file}`;
  env.CLEARML_WORKER_ID = `${o.workerId}:${o.task.id}`;
  const execArgs = shlexSplit(Deno.env.get("K8S_GLUE_DEF_EXEC_AGENT_ARGS") ?? "--full-monitoring --require-queue");
  return {
    image: choice.image,
    env,
    args: ["execute", ...execArgs, "--id", o.task.id],
    imagePullPolicy: o.config.agent.docker_force_pull ? "Always" : undefined,
  };
}
