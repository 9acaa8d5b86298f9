/**
 * An environment for `k8s-glue` tests: a real control plane (kube_cluster.ts), a test node that runs pods as
 * local processes (kube_node.ts), the embedded ClearML server with a daemon-test configuration (daemon_env.ts),
 * and an "agent image" folder whose `/usr/local/bin/clearml-agent` runs this checkout's CLI.
 *
 * @module
 */

import { join } from "node:path";
import { sourceLauncher } from "../../lib/process/self_command.ts";
import { ROOT } from "./cli.ts";
import { type DaemonEnv, type DaemonProcess, spawnDaemon, startDaemonEnv } from "./daemon_env.ts";
import { type KubeCluster, startKubeCluster } from "./kube_cluster.ts";
import { startTestNode, type TestNode } from "./kube_node.ts";

/** The image that carries the binary, and the task image, as the test node knows them. */
export const AGENT_IMAGE = "clearml-agent-test/agent:1";
export const TASK_IMAGE = "python:3-test";

/** A glue test environment. */
export interface GlueEnv {
  kube: KubeCluster;
  node: TestNode;
  agent: DaemonEnv;
  /** Start `clearml-agent k8s-glue <args>` with the admin kubeconfig (plus `env`). */
  glue(args: string[], env?: Record<string, string>): DaemonProcess;
  /** Write a file in the environment's folder; resolves to its path. */
  file(name: string, text: string): Promise<string>;
  /** Pods of a namespace, by name. */
  pods(namespace: string): Promise<Map<string, import("@kubernetes/client-node").V1Pod>>;
  /** Poll `pred` every 200 ms until it holds (at most `timeoutMs`). */
  until<T>(what: string, pred: () => Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** Start the environment. */
export async function startGlueEnv(): Promise<GlueEnv> {
  const kube = await startKubeCluster();
  const agent = await startDaemonEnv();
  const image = join(agent.dir, "agent-image");
  await Deno.mkdir(join(image, "usr/local/bin"), { recursive: true });
  const launcher = sourceLauncher(Deno.execPath(), ROOT).map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  await Deno.writeTextFile(join(image, "usr/local/bin/clearml-agent"), `#!/bin/sh\nexec ${launcher} "$@"\n`, {
    mode: 0o755,
  });
  const node = await startTestNode({
    core: kube.core,
    labels: { "clearml-test": "yes" },
    images: { [AGENT_IMAGE]: image, [TASK_IMAGE]: "/" },
    baseEnv: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      TMPDIR: agent.tmpDir,
      CLEARML_AGENT_TOOLS_DIR: agent.env.CLEARML_AGENT_TOOLS_DIR,
    },
  });
  const self: GlueEnv = {
    kube,
    node,
    agent,
    glue(args, env = {}) {
      return spawnDaemon(["k8s-glue", "--agent-image", AGENT_IMAGE, ...args], {
        ...agent.env,
        KUBECONFIG: kube.kubeconfig,
        ...env,
      });
    },
    async file(name, text) {
      const path = join(agent.dir, name);
      await Deno.writeTextFile(path, text);
      return path;
    },
    async pods(namespace) {
      const list = await kube.core.listNamespacedPod({ namespace });
      return new Map(list.items.map((p) => [p.metadata!.name!, p]));
    },
    async until(what, pred, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const v = await pred();
        if (v !== undefined && v !== false) return v as never;
        if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async close() {
      await agent.close();
      await node.stop();
      await kube.close();
    },
  };
  return self;
}
