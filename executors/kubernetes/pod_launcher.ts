/**
 * The pods of one glue in one namespace: create a task's pod, list them with their phase and why they cannot
 * start, delete one, and keep the configuration Secret they mount. Everything goes through the Kubernetes API
 * (`@kubernetes/client-node`), and every failure is a one-line `KubeError` (`cluster.ts`).
 *
 * A pod "cannot start" when the scheduler reports it `Unschedulable` (condition `PodScheduled=False`) or one of
 * its containers waits on an image it cannot pull (`ErrImagePull`, `ImagePullBackOff`, `InvalidImageName`,
 * `ErrImageNeverPull`) or on a configuration it cannot build (`CreateContainerConfigError`).
 *
 * @module
 */

import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { kubeCall, type KubeCluster, KubeError, kubeError } from "./cluster.ts";
import { type Manifest, POD_NAME_PREFIX } from "./pod_spec.ts";

/** A pod as the glue sees it. */
export interface PodSummary {
  name: string;
  /** The task id (from the pod name). */
  taskId: string;
  labels: Record<string, string>;
  phase: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
  /** Deletion requested (graceful deletion under way). */
  deleting: boolean;
  /** Why it cannot start, as `Reason (message)`, and since when (epoch ms). */
  stuck?: { reason: string; since: number };
}

const STUCK_WAITING = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
]);

function since(value: unknown, fallback: number): number {
  const t = value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : NaN;
  return Number.isFinite(t) ? t : fallback;
}

function detail(reason: string, message: string | undefined): string {
  return message ? `${reason} (${message})` : reason;
}

/** Why a pending pod cannot start, if it cannot (see the module documentation). */
export function stuckReason(pod: V1Pod, now: number = Date.now()): PodSummary["stuck"] {
  if (pod.status?.phase !== "Pending") return undefined;
  const statuses: V1ContainerStatus[] = [
    ...(pod.status.initContainerStatuses ?? []),
    ...(pod.status.containerStatuses ?? []),
  ];
  for (const s of statuses) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && STUCK_WAITING.has(waiting.reason)) {
      return { reason: detail(waiting.reason, waiting.message), since: now };
    }
  }
  const cond = (pod.status.conditions ?? []).find((c) => c.type === "PodScheduled");
  if (cond && cond.status === "False" && cond.reason === "Unschedulable") {
    return { reason: detail("Unschedulable", cond.message), since: since(cond.lastTransitionTime, now) };
  }
  return undefined;
}

/** A pod of the list as a `PodSummary`. */
export function summarize(pod: V1Pod, now: number = Date.now()): PodSummary {
  const name = pod.metadata?.name ?? "";
  const phase = (pod.status?.phase ?? "Pending") as PodSummary["phase"];
  return {
    name,
    taskId: name.startsWith(POD_NAME_PREFIX)
      ? name.slice(POD_NAME_PREFIX.length)
      : name.slice(name.lastIndexOf("-") + 1),
    labels: pod.metadata?.labels ?? {},
    phase,
    deleting: Boolean(pod.metadata?.deletionTimestamp),
    stuck: stuckReason(pod, now),
  };
}

function selectorOf(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
}

/** Creates, lists and deletes the pods of one glue (those carrying `selector`) in one namespace. */
export class PodLauncher {
  readonly cluster: KubeCluster;
  readonly namespace: string;
  readonly selector: Record<string, string>;

  constructor(cluster: KubeCluster, namespace: string, selector: Record<string, string>) {
    this.cluster = cluster;
    this.namespace = namespace;
    this.selector = selector;
  }

  #d(verb: string, resource: string) {
    return { verb, resource, namespace: this.namespace };
  }

  /**
   * Check, without changing anything, that a pod like `manifest` can be created: the server is reachable, the
   * namespace exists, RBAC lets us create, list and delete pods and write Secrets, and the server accepts the spec
   * (a server-side dry run).
   */
  async probe(manifest: Manifest): Promise<void> {
    const { core } = this.cluster;
    const namespace = this.namespace;
    await kubeCall(this.cluster, this.#d("list", "pods"), () => core.listNamespacedPod({ namespace, limit: 1 }));
    await kubeCall(
      this.cluster,
      this.#d("create", "pods"),
      () => core.createNamespacedPod({ namespace, body: manifest as V1Pod, dryRun: "All" }),
    );
    const name = (manifest.metadata as { name: string }).name;
    await kubeCall(
      this.cluster,
      this.#d("delete", "pods"),
      () => core.deleteNamespacedPod({ namespace, name, dryRun: "All" }),
    )
      .catch((err) => {
        if (!(err instanceof KubeError) || err.status !== 404) throw err;
      });
  }

  /** Create or replace the configuration Secret (`key` → `text`). */
  async writeSecret(name: string, key: string, text: string, labels: Record<string, string>): Promise<void> {
    const { core } = this.cluster;
    const namespace = this.namespace;
    const body = {
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: { name, namespace, labels },
      stringData: { [key]: text },
    };
    try {
      await core.createNamespacedSecret({ namespace, body });
    } catch (err) {
      const e = kubeError(err, this.#d("create", "secrets"), this.cluster.server);
      if (e.status !== 409) throw e;
      await kubeCall(
        this.cluster,
        this.#d("update", "secrets"),
        () => core.replaceNamespacedSecret({ name, namespace, body }),
      );
    }
  }

  /** Create a task's pod. */
  async create(manifest: Manifest): Promise<void> {
    const { core } = this.cluster;
    const namespace = this.namespace;
    await kubeCall(
      this.cluster,
      this.#d("create", "pods"),
      () => core.createNamespacedPod({ namespace, body: manifest as V1Pod }),
    );
  }

  /** This glue's pods (optionally only those with more labels). */
  async list(extra: Record<string, string> = {}, now: number = Date.now()): Promise<PodSummary[]> {
    const { core } = this.cluster;
    const namespace = this.namespace;
    const list = await kubeCall(
      this.cluster,
      this.#d("list", "pods"),
      () => core.listNamespacedPod({ namespace, labelSelector: selectorOf({ ...this.selector, ...extra }) }),
    );
    return list.items.map((p) => summarize(p, now));
  }

  /** Delete a pod; resolves to false when it was gone already. */
  async delete(name: string, gracePeriodSeconds?: number): Promise<boolean> {
    const { core } = this.cluster;
    const namespace = this.namespace;
    try {
      await kubeCall(
        this.cluster,
        this.#d("delete", "pods"),
        () => core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds }),
      );
      return true;
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return false;
      throw err;
    }
  }
}
