/**
 * `clearml-agent k8s-glue`: pull tasks from queues and run each in a Kubernetes pod (lib/k8s/glue.ts), through
 * the Kubernetes API (executors/kubernetes/). Runs in the foreground until SIGTERM/SIGINT.
 *
 * Before it takes any task it checks everything a pod needs, so bad input costs one line and no task: the
 * template and overrides are pod manifests, the cluster answers, the namespace exists, RBAC allows pods and
 * Secrets, and the server accepts a pod built from the template (server-side dry run). Then it writes the pods'
 * configuration Secret (`clearml-agent-glue-<agent label>`) and resolves the queues and the pending queue.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { parseHocon } from "../config/hocon.ts";
import type { GlobalOptions, K8sGlueOptions } from "./args_types.ts";
import { NotImplementedError, UsageError } from "./errors.ts";
import { apiClientFor, loadAgentConfig } from "./_agent_setup.ts";
import { consoleOutput, installStopSignals } from "../worker/daemon_process.ts";
import { resolveQueues } from "../worker/queue_poller.ts";
import { workerIdFor } from "../worker/worker_identity.ts";
import { agentLabel, podConfText, taskContainerInput } from "../k8s/pod_setup.ts";
import { QUEUE_LABEL, QUEUE_NAME_LABEL, runGlue, TASK_LABEL } from "../k8s/glue.ts";
import { pendingQueue } from "../k8s/task_moves.ts";
import { openCluster } from "../../executors/kubernetes/cluster.ts";
import { PodLauncher } from "../../executors/kubernetes/pod_launcher.ts";
import {
  buildPod,
  checkTemplate,
  CONF_MOUNT,
  labelValue,
  type Manifest,
  TemplateError,
} from "../../executors/kubernetes/pod_spec.ts";
import { envRaw } from "../clearml_env.ts";

function readYaml(path: string, flag: string): unknown {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    throw new UsageError(`argument ${flag}: cannot read "${path}": ${(err as Error).message}`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new TemplateError(`${flag} "${path}" is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
}

function readText(path: string, flag: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    throw new UsageError(`argument ${flag}: cannot read "${path}": ${(err as Error).message}`);
  }
}

/** Run `k8s-glue`; resolves to the exit code. */
export async function runK8sGlueCommand(global: GlobalOptions, options: K8sGlueOptions): Promise<number> {
  if (options.notImplemented.length > 0) throw new NotImplementedError(`k8s-glue ${options.notImplemented.join(" ")}`);
  const kind = envRaw("CLEARML_K8S_GLUE_KIND") ?? "pod";
  if (kind === "job") throw new NotImplementedError("CLEARML_K8S_GLUE_KIND=job (pods only for now)");
  if (kind !== "pod") throw new UsageError(`CLEARML_K8S_GLUE_KIND: expected "pod" or "job", not "${kind}"`);

  const template = options.templateYaml
    ? checkTemplate(readYaml(options.templateYaml, "--template-yaml"), options.templateYaml)
    : undefined;
  const overrides = options.overridesYaml
    ? checkTemplate(readYaml(options.overridesYaml, "--overrides-yaml"), options.overridesYaml)
    : undefined;
  const podConf = options.podClearmlConf
    ? parseHocon(readText(options.podClearmlConf, "--pod-clearml-conf"), { filename: options.podClearmlConf })
    : undefined;

  const loaded = loadAgentConfig(global.configFile);
  const config = loaded.typed;
  const workerId = workerIdFor(
    { workerName: config.agent.worker_name, workerId: config.agent.worker_id || undefined },
    0,
  );
  const selector = agentLabel(workerId);
  const namespace = (template?.metadata as { namespace?: string } | undefined)?.namespace ?? options.namespace;
  const secretName = `clearml-agent-glue-${selector.CLEARML.slice("agent-".length)}`;
  const terminal = consoleOutput();
  const say = terminal.say;
  const verbose = options.foreground || global.debug ? say : undefined;

  const podFor = (
    taskId: string,
    queue: { id: string; name: string },
    container: ReturnType<typeof taskContainerInput>,
  ) =>
    buildPod({
      template,
      overrides,
      taskId,
      namespace,
      labels: {
        ...selector,
        [QUEUE_LABEL]: labelValue(queue.id),
        [QUEUE_NAME_LABEL]: labelValue(queue.name),
        [TASK_LABEL]: labelValue(taskId),
      },
      secretName,
      agentImage: options.agentImage,
      ...container,
    });

  const cluster = openCluster();
  const launcher = new PodLauncher(cluster, namespace, selector);
  // Everything a pod needs, checked before any task is taken.
  await launcher.probe(podFor("probe", { id: "probe", name: "probe" }, {
    image: options.agentImage,
    env: { CLEARML_CONFIG_FILE: `${CONF_MOUNT.dir}/${CONF_MOUNT.file}` },
    args: ["--version"],
  }));
  await launcher.writeSecret(secretName, CONF_MOUNT.file, podConfText(podConf ?? loaded.tree, config), selector);

  const client = apiClientFor(config, workerId);
  const queues = await resolveQueues(client, options.queues, { create: options.createQueue, say });
  const pending = await pendingQueue(client, options.pendingQueue, say);
  if (queues.some((q) => q.id === pending.id)) {
    throw new UsageError(`argument --queue: the pending queue "${pending.name}" cannot also be a queue to pull from`);
  }
  say(
    `K8s glue ${workerId} (${selector.CLEARML}): queues ${queues.map((q) => `"${q.name}"`).join(", ")} → pods in ` +
      `namespace "${namespace}" on ${cluster.server} (${cluster.source}), pending queue "${pending.name}"` +
      (options.maxPods ? `, at most ${options.maxPods} pods` : ""),
  );
  const signals = installStopSignals(say);
  try {
    await runGlue({
      client,
      launcher,
      queues,
      pending,
      workerId,
      maxPods: options.maxPods,
      intervalMs: options.pollingInterval * 1000,
      stuckGraceMs: options.stuckTimeout * 1000,
      say,
      verbose,
      stop: signals.stop,
      podFor: (task, queue): Manifest => podFor(task.id, queue, taskContainerInput({ task, config, workerId, say })),
    });
  } finally {
    signals.dispose();
  }
  say("K8s glue stopped");
  return 0;
}
