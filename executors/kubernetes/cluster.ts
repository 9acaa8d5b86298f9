/**
 * Which Kubernetes cluster to talk to, and the one-line errors for what goes wrong talking to it.
 *
 * Configuration, as `kubectl` finds it: the `KUBECONFIG` variable (files joined by `:`), else `~/.kube/config`,
 * else — inside a pod — the service account (`KUBERNETES_SERVICE_HOST`/`_PORT` and the token, CA and namespace
 * files under `/var/run/secrets/kubernetes.io/serviceaccount`). Neither → `KubeError`.
 *
 * Every call to the API server goes through `kubeCall`, which turns the client library's failures into a
 * `KubeError` whose message names the operation, the namespace and the cause: the server cannot be reached, RBAC
 * forbids it (403 naming the verb; another 403, e.g. a quota, is a refusal), the namespace does not exist (404 on a namespaced create), the object is invalid (422). The
 * library's own error (the whole HTTP answer) is not chained: its gist is in the message.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { ApiException, BatchV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";

/** A failure talking to Kubernetes, with a message fit for one line. */
export class KubeError extends Error {
  override name = "KubeError";
  /** The HTTP status (0: the server could not be reached). */
  readonly status: number;
  /** The `reason` of the server's `Status` answer (`Forbidden`, `NotFound`, `Invalid`, `AlreadyExists`...). */
  readonly reason: string;
  constructor(message: string, status: number, reason: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.reason = reason;
  }
}

/** Where the configuration came from, for messages. */
export type KubeConfigSource = "kubeconfig" | "in-cluster";

/** The clients of one cluster. */
export interface KubeCluster {
  config: KubeConfig;
  source: KubeConfigSource;
  /** The API server's address. */
  server: string;
  /** The namespace of the current context or the service account, if any. */
  namespace?: string;
  core: CoreV1Api;
  batch: BatchV1Api;
}

/** Options of `openCluster`. */
export interface OpenClusterOptions {
  env?: Record<string, string | undefined>;
  home?: string;
  /** Root the service account files are read under (tests); default `/`. */
  serviceAccountRoot?: string;
}

const SERVICE_ACCOUNT_DIR = "var/run/secrets/kubernetes.io/serviceaccount";

/** Load the configuration (see the module documentation) and build the clients. */
export function openCluster(options: OpenClusterOptions = {}): KubeCluster {
  const env = options.env ?? Deno.env.toObject();
  const home = options.home ?? env.HOME ?? "/root";
  const config = new KubeConfig();
  let source: KubeConfigSource;
  const files = (env.KUBECONFIG ?? "").split(":").filter((f) => f !== "");
  const defaultFile = join(home, ".kube", "config");
  try {
    if (files.length > 0 || existsSync(defaultFile)) {
      const found = files.length > 0 ? files.filter((f) => existsSync(f)) : [defaultFile];
      if (found.length === 0) throw new Error(`KUBECONFIG names no existing file ("${env.KUBECONFIG}")`);
      config.loadFromFile(found[0]);
      for (const more of found.slice(1)) {
        const extra = new KubeConfig();
        extra.loadFromFile(more);
        config.mergeConfig(extra);
      }
      source = "kubeconfig";
    } else if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
      const dir = join(options.serviceAccountRoot ?? "/", SERVICE_ACCOUNT_DIR);
      if (!existsSync(join(dir, "token"))) throw new Error(`no service account token under /${SERVICE_ACCOUNT_DIR}`);
      // As the library's loadFromCluster, but from `env` (it reads the process environment only).
      const host = isIPv6(env.KUBERNETES_SERVICE_HOST)
        ? `[${env.KUBERNETES_SERVICE_HOST}]`
        : env.KUBERNETES_SERVICE_HOST;
      const namespaceFile = join(dir, "namespace");
      config.loadFromOptions({
        clusters: [{
          name: "inCluster",
          server: `https://${host}:${env.KUBERNETES_SERVICE_PORT}`,
          caFile: join(dir, "ca.crt"),
        }],
        users: [{
          name: "inClusterUser",
          authProvider: { name: "tokenFile", config: { tokenFile: join(dir, "token") } },
        }],
        contexts: [{
          name: "inClusterContext",
          cluster: "inCluster",
          user: "inClusterUser",
          namespace: existsSync(namespaceFile) ? Deno.readTextFileSync(namespaceFile).trim() : undefined,
        }],
        currentContext: "inClusterContext",
      });
      source = "in-cluster";
    } else {
      throw new Error(`no KUBECONFIG, no ${defaultFile}, and not running in a pod`);
    }
  } catch (err) {
    throw new KubeError(`No Kubernetes configuration: ${(err as Error).message}`, 0, "NoConfig", { cause: err });
  }
  http1Only(config);
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new KubeError("No Kubernetes configuration: the current context names no cluster", 0, "NoConfig");
  const context = config.getContextObject(config.getCurrentContext());
  return {
    config,
    source,
    server: cluster.server,
    namespace: context?.namespace,
    core: config.makeApiClient(CoreV1Api),
    batch: config.makeApiClient(BatchV1Api),
  };
}

/**
 * Make the library's connections HTTP/1.1 only. Its undici agent offers HTTP/2 by default, and the API server takes
 * it; under Deno, an HTTP/2 connection that the server closes with GOAWAY (API server restart or shutdown) aborts
 * the whole process in nghttp2 (`find_stream_on_goaway_func: Assertion ... failed`, seen in tests/cli/k8s_glue_test.ts
 * when kube-apiserver stops). HTTP/1.1 fails that request with an error the glue retries.
 */
function http1Only(config: KubeConfig): void {
  const options = config.createDispatcherOptions.bind(config);
  config.createDispatcherOptions = (cluster, agentOptions) => {
    const o = options(cluster, agentOptions) as { connect?: Record<string, unknown> };
    if (o.connect) o.connect = { ...o.connect, allowH2: false };
    return o as ReturnType<typeof options>;
  };
}

function statusOf(body: unknown): { message?: string; reason?: string } {
  try {
    const parsed = typeof body === "string" ? JSON.parse(body) : body;
    return parsed && typeof parsed === "object" ? parsed as { message?: string; reason?: string } : {};
  } catch {
    return { message: typeof body === "string" ? body.slice(0, 300) : undefined };
  }
}

function rootCause(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause !== undefined) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** What a call does, for messages: `create pods in namespace "clearml"`. */
export interface CallDescription {
  verb: string;
  resource: string;
  namespace?: string;
}

function where(d: CallDescription): string {
  return d.namespace ? ` in namespace "${d.namespace}"` : "";
}

/** Translate a client-library failure of call `d` to a `KubeError`. */
export function kubeError(err: unknown, d: CallDescription, server: string): KubeError {
  if (err instanceof KubeError) return err;
  if (!(err instanceof ApiException)) {
    return new KubeError(`Cannot reach the Kubernetes API server at ${server}: ${rootCause(err)}`, 0, "Unreachable");
  }
  const status = statusOf(err.body);
  const reason = status.reason ?? "";
  const detail = status.message ?? err.message;
  const code = err.code;
  let message: string;
  if (code === 401) message = `The Kubernetes API server at ${server} rejected the credentials: ${detail}`;
  else if (code === 403 && /cannot \w+ resource/.test(detail)) {
    message = `No permission to ${d.verb} ${d.resource}${where(d)} (RBAC): ${detail}`;
  } else if (code === 403) message = `Kubernetes refused to ${d.verb} ${d.resource}${where(d)}: ${detail}`;
  else if (code === 404 && d.namespace && /namespaces? "[^"]*" not found/.test(detail)) {
    message = `Namespace "${d.namespace}" does not exist on ${server}`;
  } else if (code === 422 || code === 400) message = `Kubernetes rejected the ${d.resource}${where(d)}: ${detail}`;
  else message = `Could not ${d.verb} ${d.resource}${where(d)} (HTTP ${code}): ${detail}`;
  // No `cause`: the library's message is the whole HTTP answer over many lines; its gist is in `message`.
  return new KubeError(message, code, reason);
}

/** Run one API call, translating its failure (see `kubeError`). */
export async function kubeCall<T>(cluster: KubeCluster, d: CallDescription, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw kubeError(err, d, cluster.server);
  }
}
