/**
 * What every pod of a glue gets, decided once at start: the configuration text handed to pods as a Secret, the
 * glue's identity label, and the task container's image, variables and command for one task.
 *
 * Pod configuration (agent-reference §11 "run_one_task" 4): the text of `--pod-clearml-conf`, else the glue's own
 * configuration files followed by the server address and credentials the glue itself uses (so a glue configured by
 * `CLEARML_API_*` variables hands working credentials on); then `agent.package_manager.system_site_packages: true`
 * and the glue's git credentials, as the reference adds them.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Task } from "../api/types.ts";
import type { AgentConfig } from "../config/config_schema.ts";
import { shlexSplit } from "../config/shlex.ts";
import { chooseContainer } from "../job/container_select.ts";
import { CONF_MOUNT, type PodInput } from "../../executors/kubernetes/pod_spec.ts";
import { applyArgs, DockerArgsError, tokenize } from "../../executors/_docker_args.ts";

/** The glue's identity label: `CLEARML=agent-<first 8 hex of md5(worker id)>` (as the reference). */
export function agentLabel(workerId: string): Record<string, string> {
  return { CLEARML: `agent-${createHash("md5").update(workerId).digest("hex").slice(0, 8)}` };
}

/** The pods' configuration text (see the module documentation). */
export function podConfText(o: {
  podConf?: { path: string; text: string };
  files: { path: string; text: string }[];
  config: AgentConfig;
}): string {
  const q = (v: string) => JSON.stringify(v);
  const lines: string[] = [];
  if (o.podConf) lines.push(`# from ${o.podConf.path}`, o.podConf.text);
  else {
    for (const f of o.files) lines.push(`# from ${f.path}`, f.text);
    const api = o.config.api;
    lines.push("# the server and credentials of the glue");
    const server = api.api_server ?? api.host;
    if (server) lines.push(`api.api_server: ${q(server)}`);
    if (api.web_server) lines.push(`api.web_server: ${q(api.web_server)}`);
    if (api.files_server) lines.push(`api.files_server: ${q(api.files_server)}`);
    if (api.credentials.access_key) lines.push(`api.credentials.access_key: ${q(api.credentials.access_key)}`);
    if (api.credentials.secret_key) lines.push(`api.credentials.secret_key: ${q(api.credentials.secret_key)}`);
  }
  lines.push("agent.package_manager.system_site_packages: true");
  if (o.config.agent.git_user) lines.push(`agent.git_user: ${q(o.config.agent.git_user)}`);
  if (o.config.agent.git_pass) lines.push(`agent.git_pass: ${q(o.config.agent.git_pass)}`);
  return lines.join("\n") + "\n";
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
    const others = items.filter((i) => i.name !== "env").map((i) => i.flag);
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
