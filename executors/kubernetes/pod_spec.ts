/**
 * The pod of one task: the template (`--template-yaml`, a Pod manifest) with the overrides (`--overrides-yaml`)
 * applied, our names and labels, and a task container that runs our binary.
 *
 * The binary comes from the agent image (`--agent-image`, see docs/kubernetes.md for its recipe): an init
 * container copies it into an `emptyDir` shared with the task container, so the task keeps its own image (the
 * task's `container.image`, else the default) and nothing is installed in the pod. The configuration is a Secret
 * mounted read-only; the container gets only its path (`CLEARML_CONFIG_FILE`), never its text.
 *
 * Merge rules (as the reference glue): the template's first container is the task container — its resources (GPU
 * limits), volume mounts and env are kept, and env lists merge by name (later wins: template, then the task's
 * `-e K=V` arguments, then ours). From the overrides only `spec.containers[0].resources` reaches the container;
 * the rest of the overrides is merged into the pod. `restartPolicy` defaults to `Never`.
 *
 * @module
 */

import { deepMerge, isObject } from "../../lib/config/merge.ts";

/** A Kubernetes object as plain data. */
export type Manifest = Record<string, unknown>;

/** A template that is not a pod manifest. */
export class TemplateError extends Error {
  override name = "TemplateError";
}

/** The volume, mount path and file of the configuration Secret. */
export const CONF_MOUNT = { volume: "clearml-agent-conf", dir: "/etc/clearml-agent", file: "clearml.conf" } as const;
/** The shared folder the init container copies the binary into. */
export const BIN_MOUNT = { volume: "clearml-agent-bin", dir: "/opt/clearml-agent", file: "clearml-agent" } as const;
/** Where the binary is in the agent image. */
export const AGENT_BINARY_IN_IMAGE = "/usr/local/bin/clearml-agent";
/** Pod names: this prefix and the task id (as the reference). */
export const POD_NAME_PREFIX = "clearml-id-";

/** What the pod of one task is made of. */
export interface PodInput {
  /** The parsed template (validated with `checkTemplate`), or undefined for a bare pod. */
  template?: Manifest;
  /** The parsed overrides, if any. */
  overrides?: Manifest;
  taskId: string;
  namespace: string;
  labels: Record<string, string>;
  /** The task's image. */
  image: string;
  /** The task container's variables (the task's `-e K=V`, then ours). */
  env: Record<string, string>;
  /** The image that carries our binary. */
  agentImage: string;
  /** Arguments of the binary (`execute --full-monitoring --require-queue --id T`). */
  args: string[];
  /** The configuration Secret's name. */
  secretName: string;
  imagePullPolicy?: string;
}

/** Check that `value` (from file `source`) is a pod manifest; resolves to it (a copy). */
export function checkTemplate(value: unknown, source: string): Manifest {
  if (value === null || value === undefined) return {};
  if (!isObject(value)) throw new TemplateError(`Template ${source} is not a pod spec: expected a mapping`);
  const kind = value.kind ?? "Pod";
  if (kind !== "Pod") {
    throw new TemplateError(`Template ${source} is not a pod spec: kind "${String(kind)}" (expected "Pod")`);
  }
  const api = value.apiVersion ?? "v1";
  if (api !== "v1") throw new TemplateError(`Template ${source} is not a pod spec: apiVersion "${String(api)}"`);
  if (value.spec !== undefined && !isObject(value.spec)) {
    throw new TemplateError(`Template ${source} is not a pod spec: "spec" is not a mapping`);
  }
  const containers = (value.spec as Manifest | undefined)?.containers;
  if (containers !== undefined && (!Array.isArray(containers) || !containers.every(isObject))) {
    throw new TemplateError(`Template ${source} is not a pod spec: "spec.containers" is not a list of mappings`);
  }
  return structuredClone(value);
}

type EnvVar = { name: string; value?: string; valueFrom?: unknown };

function mergeEnv(...lists: EnvVar[][]): EnvVar[] {
  const byName = new Map<string, EnvVar>();
  for (const list of lists) for (const e of list) byName.set(e.name, e);
  return [...byName.values()];
}

/** The pod name of a task. */
export function podName(taskId: string): string {
  return `${POD_NAME_PREFIX}${taskId}`;
}

/** Build the pod manifest of one task. */
export function buildPod(input: PodInput): Manifest {
  const overrides = structuredClone(input.overrides ?? {});
  const overrideSpec = isObject(overrides.spec) ? overrides.spec : {};
  const overrideResources = (Array.isArray(overrideSpec.containers) ? overrideSpec.containers[0] : undefined) as
    | Manifest
    | undefined;
  delete overrideSpec.containers;
  const pod = deepMerge(structuredClone(input.template ?? {}), overrides);
  const metadata = isObject(pod.metadata) ? pod.metadata : {};
  const spec = isObject(pod.spec) ? pod.spec : {};
  const name = podName(input.taskId);
  const [first = {}, ...others] = (spec.containers as Manifest[] | undefined) ?? [];
  const templateEnv = (Array.isArray(first.env) ? first.env : []) as EnvVar[];
  const ours = Object.entries(input.env).map(([k, v]) => ({ name: k, value: v }));
  const mounts = (Array.isArray(first.volumeMounts) ? first.volumeMounts : []) as Manifest[];
  const resources = deepMerge(
    isObject(first.resources) ? first.resources : {},
    isObject(overrideResources?.resources) ? overrideResources.resources : {},
  );
  const container: Manifest = {
    ...first,
    name,
    image: input.image,
    command: [`${BIN_MOUNT.dir}/${BIN_MOUNT.file}`],
    args: input.args,
    env: mergeEnv(templateEnv, ours),
    volumeMounts: [
      ...mounts,
      { name: CONF_MOUNT.volume, mountPath: CONF_MOUNT.dir, readOnly: true },
      { name: BIN_MOUNT.volume, mountPath: BIN_MOUNT.dir, readOnly: true },
    ],
  };
  if (Object.keys(resources).length > 0) container.resources = resources;
  if (input.imagePullPolicy) container.imagePullPolicy = input.imagePullPolicy;
  const init: Manifest = {
    name: "clearml-agent-binary",
    image: input.agentImage,
    command: ["cp", AGENT_BINARY_IN_IMAGE, `${BIN_MOUNT.dir}/${BIN_MOUNT.file}`],
    volumeMounts: [{ name: BIN_MOUNT.volume, mountPath: BIN_MOUNT.dir }],
  };
  return {
    ...pod,
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...metadata,
      name,
      namespace: input.namespace,
      labels: { ...(isObject(metadata.labels) ? metadata.labels : {}), ...input.labels },
    },
    spec: {
      ...spec,
      restartPolicy: spec.restartPolicy ?? "Never",
      initContainers: [...((spec.initContainers as Manifest[] | undefined) ?? []), init],
      containers: [container, ...others],
      volumes: [
        ...((spec.volumes as Manifest[] | undefined) ?? []),
        { name: CONF_MOUNT.volume, secret: { secretName: input.secretName, defaultMode: 0o400 } },
        { name: BIN_MOUNT.volume, emptyDir: {} },
      ],
    },
  };
}

/** A label value as Kubernetes accepts it: lowercase, `[a-z0-9-]` (others → `-`), at most 63 characters. */
export function labelValue(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 63).replace(/^-+|-+$/g, "");
}
