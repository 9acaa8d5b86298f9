/**
 * A test-only Kubernetes node: what kube-scheduler and a kubelet would do for pods, done through the real API
 * server, with each container's command run as a local process.
 *
 * Every `intervalMs` it lists the pods of the cluster and:
 * - **schedules** an unbound pod: binds it to this node (`pods/binding`) when its `nodeSelector` matches the
 *   node's labels, else reports `PodScheduled=False`, reason `Unschedulable`, as the scheduler words it;
 * - **pulls**: a container image not in `images` → `ErrImagePull` then `ImagePullBackOff`, pod stays `Pending`;
 * - **runs** a bound pod: volumes become folders (a Secret's keys as files, an `emptyDir` empty), init containers
 *   run in order, then the first container; status goes `Running` then `Succeeded`/`Failed` with the exit code.
 *   Paths in the command, arguments and variables under a volume's `mountPath` are mapped to the volume's
 *   folder; other absolute paths that exist in the container image's folder (`images[image]`) are mapped there;
 *   the rest is the host's.
 * - **deletes** (graceful deletion of a bound pod): SIGTERM to the process group, SIGKILL after the grace period,
 *   then the final delete (grace 0), as a kubelet confirms it.
 *
 * @module
 */

import { join } from "node:path";
import type { CoreV1Api, V1Container, V1Pod } from "@kubernetes/client-node";

/** Options of `startTestNode`. */
export interface TestNodeOptions {
  core: CoreV1Api;
  name?: string;
  labels?: Record<string, string>;
  /** Image name → the folder that stands for its file system ("/" for the host's). */
  images: Record<string, string>;
  /** Variables every container gets (PATH, HOME...), before the pod's. */
  baseEnv: Record<string, string>;
  intervalMs?: number;
}

/** A running test node. */
export interface TestNode {
  name: string;
  /** Pods this node ran, with their output. */
  ran: Map<string, { output: string; exitCode?: number }>;
  stop(): Promise<void>;
}

interface Running {
  child?: Deno.ChildProcess;
  dir: string;
  killing?: boolean;
}

function key(pod: V1Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

/** Start a node. */
export async function startTestNode(o: TestNodeOptions): Promise<TestNode> {
  const name = o.name ?? "test-node";
  const labels = { "kubernetes.io/hostname": name, ...o.labels };
  await o.core.createNode({
    body: {
      metadata: { name, labels },
      status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "test node" }] },
    },
  }).catch(() => {});
  const running = new Map<string, Running>();
  const ran = new Map<string, { output: string; exitCode?: number }>();
  const pulled = new Set<string>();
  const unschedulable = new Set<string>();
  const deleting = new Set<string>();
  let stopped = false;

  const status = async (pod: V1Pod, s: NonNullable<V1Pod["status"]>) => {
    const body = { ...pod, status: { ...pod.status, ...s } };
    await o.core.replaceNamespacedPodStatus({
      name: pod.metadata!.name!,
      namespace: pod.metadata!.namespace!,
      body,
    });
  };

  const mapPath = (value: string, mounts: [string, string][], image: string | undefined): string => {
    for (const [mountPath, dir] of mounts) {
      if (value === mountPath || value.startsWith(mountPath + "/")) return dir + value.slice(mountPath.length);
    }
    if (image && image !== "/" && value.startsWith("/")) {
      try {
        Deno.statSync(join(image, value));
        return join(image, value);
      } catch {
        // not in the image
      }
    }
    return value;
  };

  const runContainer = async (
    pod: V1Pod,
    c: V1Container,
    volumes: Map<string, string>,
    state: Running,
    out: { output: string },
  ): Promise<number> => {
    const mounts = (c.volumeMounts ?? []).map((m) => [m.mountPath, volumes.get(m.name)!] as [string, string])
      .sort((a, b) => b[0].length - a[0].length);
    const root = o.images[c.image ?? ""];
    const argv = [...(c.command ?? []), ...(c.args ?? [])].map((a) => mapPath(a, mounts, root));
    const env: Record<string, string> = { ...o.baseEnv };
    for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = mapPath(e.value, mounts, root);
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      env,
      clearEnv: true,
      cwd: state.dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // A process group of its own, so a delete can signal the whole tree.
      detached: true,
    }).spawn();
    state.child = child;
    const dec = new TextDecoder();
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const chunk of s) out.output += dec.decode(chunk, { stream: true });
    };
    await Promise.all([pump(child.stdout), pump(child.stderr)]);
    const st = await child.status;
    void pod;
    return st.code;
  };

  const start = async (pod: V1Pod): Promise<void> => {
    const k = key(pod);
    const dir = await Deno.makeTempDir({ prefix: "clearml_kube_pod_" });
    const state: Running = { dir };
    running.set(k, state);
    const out = { output: "", exitCode: undefined as number | undefined };
    ran.set(k, out);
    const volumes = new Map<string, string>();
    for (const v of pod.spec?.volumes ?? []) {
      const vdir = join(dir, "volumes", v.name);
      await Deno.mkdir(vdir, { recursive: true });
      volumes.set(v.name, vdir);
      if (v.secret?.secretName) {
        const secret = await o.core.readNamespacedSecret({
          name: v.secret.secretName,
          namespace: pod.metadata!.namespace!,
        });
        for (const [file, b64] of Object.entries(secret.data ?? {})) {
          await Deno.writeFile(join(vdir, file), Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)));
        }
      }
    }
    const main = pod.spec!.containers[0];
    await status(pod, {
      phase: "Pending",
      hostIP: "127.0.0.1",
      conditions: [{ type: "PodScheduled", status: "True" }],
    });
    let code = 0;
    for (const init of pod.spec?.initContainers ?? []) {
      code = await runContainer(pod, init, volumes, state, out);
      if (code !== 0 || state.killing) break;
    }
    if (code === 0 && !state.killing) {
      const fresh = await o.core.readNamespacedPodStatus({
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
      });
      await status(fresh, {
        phase: "Running",
        startTime: new Date(),
        containerStatuses: [{
          name: main.name,
          image: main.image!,
          imageID: "",
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: new Date() } },
        }],
      }).catch(() => {});
      code = await runContainer(pod, main, volumes, state, out);
    }
    out.exitCode = code;
    if (!state.killing) {
      const fresh = await o.core.readNamespacedPodStatus({
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
      }).catch(() => undefined);
      if (fresh) {
        await status(fresh, {
          phase: code === 0 ? "Succeeded" : "Failed",
          containerStatuses: [{
            name: main.name,
            image: main.image!,
            imageID: "",
            ready: false,
            restartCount: 0,
            state: {
              terminated: { exitCode: code, reason: code === 0 ? "Completed" : "Error", finishedAt: new Date() },
            },
          }],
        }).catch(() => {});
      }
    }
    state.child = undefined;
  };

  const kill = async (pod: V1Pod): Promise<void> => {
    const k = key(pod);
    if (deleting.has(k)) return;
    deleting.add(k);
    const state = running.get(k);
    if (state) {
      state.killing = true;
      const grace = (pod.metadata?.deletionGracePeriodSeconds ?? 30) * 1000;
      const signal = (sig: Deno.Signal) => {
        try {
          if (state.child) Deno.kill(-state.child.pid, sig);
        } catch {
          // gone
        }
      };
      signal("SIGTERM");
      const end = Date.now() + grace;
      while (state.child && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      signal("SIGKILL");
    }
    await o.core.deleteNamespacedPod({
      name: pod.metadata!.name!,
      namespace: pod.metadata!.namespace!,
      gracePeriodSeconds: 0,
    }).catch(() => {});
  };

  const round = async (): Promise<void> => {
    const pods = (await o.core.listPodForAllNamespaces({})).items;
    for (const pod of pods) {
      const k = key(pod);
      if (pod.metadata?.deletionTimestamp) {
        if (pod.spec?.nodeName === name) void kill(pod);
        continue;
      }
      if (!pod.spec?.nodeName) {
        const selector = pod.spec?.nodeSelector ?? {};
        const fits = Object.entries(selector).every(([l, v]) => (labels as Record<string, string>)[l] === v);
        if (fits) {
          await o.core.createNamespacedPodBinding({
            name: pod.metadata!.name!,
            namespace: pod.metadata!.namespace!,
            body: { metadata: { name: pod.metadata!.name! }, target: { kind: "Node", name } },
          }).catch(() => {});
        } else if (!unschedulable.has(k)) {
          unschedulable.add(k);
          await status(pod, {
            phase: "Pending",
            conditions: [{
              type: "PodScheduled",
              status: "False",
              reason: "Unschedulable",
              message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
              lastTransitionTime: new Date(),
            }],
          }).catch(() => {});
        }
        continue;
      }
      if (pod.spec.nodeName !== name || running.has(k) || pod.status?.phase !== "Pending") continue;
      const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
      const missing = containers.find((c) => o.images[c.image ?? ""] === undefined);
      if (missing) {
        const reason = pulled.has(k) ? "ImagePullBackOff" : "ErrImagePull";
        pulled.add(k);
        await status(pod, {
          phase: "Pending",
          conditions: [{ type: "PodScheduled", status: "True" }],
          containerStatuses: [{
            name: missing.name,
            image: missing.image!,
            imageID: "",
            ready: false,
            restartCount: 0,
            state: { waiting: { reason, message: `Back-off pulling image "${missing.image}"` } },
          }],
        }).catch(() => {});
        continue;
      }
      void start(pod).catch((err) => ran.set(k, { output: `test node: ${err}`, exitCode: -1 }));
    }
  };

  const loop = (async () => {
    while (!stopped) {
      await round().catch(() => {});
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 200));
    }
  })();

  return {
    name,
    ran,
    async stop() {
      stopped = true;
      await loop;
      for (const state of running.values()) {
        try {
          if (state.child) Deno.kill(-state.child.pid, "SIGKILL");
        } catch {
          // gone
        }
        await Deno.remove(state.dir, { recursive: true }).catch(() => {});
      }
    },
  };
}
