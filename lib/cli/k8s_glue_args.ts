/**
 * The flags of `k8s-glue`: the queues, the pod template and overrides, limits and timeouts, and the reference's flags not implemented yet.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { VERSION } from "../version.ts";
import { addConfigFile, integer, type Subcommands } from "./args_shared.ts";
import { envRaw } from "../clearml_env.ts";

/** Declare `k8s-glue` on the program. */
export function addK8sGlueCommand(s: Subcommands): void {
  const { sub, global, onParsed } = s;
  const glue = addConfigFile(sub("k8s-glue", "Turn queued tasks into Kubernetes pods (one pod per task)"))
    .option("--queue <queues...>", "queues to pull from, in priority order (also comma-separated)")
    .option("--namespace <name>", "namespace of the pods (a template's metadata.namespace wins)", "clearml")
    .option("--template-yaml <file>", "pod manifest every task's pod starts from (CLEARML_K8S_GLUE_KIND=pod)")
    .option("--overrides-yaml <file>", "merged into the template; only containers[0].resources of its containers")
    .option("--max-pods <n>", "at most this many pods pending or running", integer("--max-pods"))
    .option("--pod-clearml-conf <file>", "configuration handed to pods (default: the glue's own)")
    .option("--create-queue", "create the queues if they do not exist", false)
    .option("--pending-queue <name>", "queue tasks wait in until their pod runs", "k8s_scheduler")
    .option(
      "--agent-image <image>",
      "image that carries the clearml-agent binary (copied into each pod by an init container)",
      envRaw("CLEARML_K8S_GLUE_AGENT_IMAGE") ?? `clearml-agent-deno:${VERSION}`,
    )
    .option(
      "--stuck-timeout <seconds>",
      "fail a task whose pod is unschedulable or cannot pull its image for this long",
      integer("--stuck-timeout"),
      0,
    )
    .option("--polling-interval <seconds>", "seconds between pod checks", integer("--polling-interval"), 1)
    .option("--foreground", "print progress (default: warnings and tasks only)", false)
    .option("--ports-mode", "not implemented yet: one service port per pod")
    .option("--num-of-services <n>", "not implemented yet (ports mode)")
    .option("--base-port <port>", "not implemented yet (ports mode)")
    .option("--base-pod-num <n>", "not implemented yet (ports mode)")
    .option("--gateway-address <address>", "not implemented yet (ports mode)")
    .option("--ssh-server-port <port>", "not implemented yet: SSH server in each pod")
    .option("--use-owner-token", "not implemented yet: run each task with its owner's token");
  glue.action(() => {
    const o = glue.opts();
    if (o.maxPods !== undefined && o.maxPods < 1) throw new UsageError(`argument --max-pods: must be 1 or more`);
    if (o.stuckTimeout < 0) throw new UsageError(`argument --stuck-timeout: must be 0 or more`);
    if (o.pollingInterval < 1) throw new UsageError(`argument --polling-interval: must be 1 or more`);
    const unimplemented: [string, string][] = [
      ["portsMode", "--ports-mode"],
      ["numOfServices", "--num-of-services"],
      ["basePort", "--base-port"],
      ["basePodNum", "--base-pod-num"],
      ["gatewayAddress", "--gateway-address"],
      ["sshServerPort", "--ssh-server-port"],
      ["useOwnerToken", "--use-owner-token"],
    ];
    onParsed({
      kind: "k8s-glue",
      global: global(glue),
      options: {
        queues: ((o.queue as string[] | undefined) ?? []).flatMap((q) => q.split(",")).map((q) => q.trim())
          .filter((q) => q !== ""),
        namespace: o.namespace,
        templateYaml: o.templateYaml,
        overridesYaml: o.overridesYaml,
        maxPods: o.maxPods,
        podClearmlConf: o.podClearmlConf,
        createQueue: o.createQueue,
        pendingQueue: o.pendingQueue,
        agentImage: o.agentImage,
        stuckTimeout: o.stuckTimeout,
        pollingInterval: o.pollingInterval,
        foreground: o.foreground,
        notImplemented: unimplemented.filter(([key]) => o[key] !== undefined).map(([, flag]) => flag),
      },
    });
  });
}
