/**
 * `openCluster` and `PodLauncher` against a real kube-apiserver: in-cluster configuration from a service account
 * token (TokenRequest API) bound by the shipped manifests' Role, and the one-line errors for no configuration, no
 * server, no RBAC permission, a missing namespace and a spec the server rejects.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { openCluster } from "../../../executors/kubernetes/cluster.ts";
import { PodLauncher } from "../../../executors/kubernetes/pod_launcher.ts";
import { buildPod, type Manifest } from "../../../executors/kubernetes/pod_spec.ts";
import { type KubeCluster, startKubeCluster } from "../../helpers/kube_cluster.ts";
import { ROOT } from "../../helpers/cli.ts";

const LABEL = { CLEARML: "agent-0123abcd" };

function pod(taskId: string, namespace: string, extra: Manifest = {}): Manifest {
  return buildPod({
    template: extra,
    taskId,
    namespace,
    labels: LABEL,
    image: "python:3-test",
    env: {},
    agentImage: "agent:1",
    args: ["--version"],
    secretName: "conf",
  });
}

/** A folder standing for `/` in a pod: the service account's token, CA and namespace. */
async function serviceAccountRoot(kube: KubeCluster, namespace: string, account: string): Promise<string> {
  const token = await kube.core.createNamespacedServiceAccountToken({
    name: account,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const root = await Deno.makeTempDir({ prefix: "clearml_sa_" });
  const dir = join(root, "var/run/secrets/kubernetes.io/serviceaccount");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "token"), token.status!.token!);
  await Deno.copyFile(kube.caFile, join(dir, "ca.crt"));
  await Deno.writeTextFile(join(dir, "namespace"), namespace);
  return root;
}

function inClusterEnv(kube: KubeCluster): Record<string, string> {
  const url = new URL(kube.server);
  return { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port };
}

Deno.test({
  name: "cluster access: in-cluster config with the shipped Role, and one-line errors",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const kube = await startKubeCluster();
  const home = await Deno.makeTempDir({ prefix: "clearml_home_" });
  try {
    await kube.namespace("clearml");
    await t.step("the plain manifests are accepted by the API server; their Role is enough for the glue", async () => {
      const text = await Deno.readTextFile(join(ROOT, "deploy/manifests/clearml-agent-glue.yaml"));
      const objects = parseAllDocuments(text).map((d) => d.toJS()).filter((o) => o) as KubernetesObject[];
      assert.deepEqual(
        objects.map((o) => o.kind).sort(),
        ["ConfigMap", "Deployment", "Role", "RoleBinding", "Secret", "ServiceAccount"],
      );
      const api = KubernetesObjectApi.makeApiClient(kube.admin);
      for (const o of objects) await api.create(o);
      const account = objects.find((o) => o.kind === "ServiceAccount")!.metadata!.name!;
      const root = await serviceAccountRoot(kube, "clearml", account);
      const cluster = openCluster({ env: inClusterEnv(kube), home, serviceAccountRoot: root });
      assert.equal(cluster.source, "in-cluster");
      assert.equal(cluster.namespace, "clearml");
      const launcher = new PodLauncher(cluster, "clearml", LABEL);
      await launcher.probe(pod("probe", "clearml"));
      await launcher.writeSecret("conf", "clearml.conf", "a: 1\n", LABEL);
      await launcher.writeSecret("conf", "clearml.conf", "a: 2\n", LABEL);
      await launcher.create(pod("t1", "clearml"));
      const pods = await launcher.list();
      assert.deepEqual(pods.map((p) => [p.name, p.taskId, p.phase]), [["clearml-id-t1", "t1", "Pending"]]);
      assert.equal(await launcher.delete("clearml-id-t1", 0), true);
      assert.equal(await launcher.delete("clearml-id-t1", 0), false);
      await Deno.remove(root, { recursive: true });
    });

    await t.step("a service account without the Role: no permission, named in one line", async () => {
      await kube.core.createNamespacedServiceAccount({ namespace: "clearml", body: { metadata: { name: "nobody" } } });
      const root = await serviceAccountRoot(kube, "clearml", "nobody");
      const launcher = new PodLauncher(
        openCluster({ env: inClusterEnv(kube), home, serviceAccountRoot: root }),
        "clearml",
        LABEL,
      );
      await assert.rejects(
        launcher.probe(pod("probe", "clearml")),
        /^KubeError: No permission to list pods in namespace "clearml" \(RBAC\): pods is forbidden: User "system:serviceaccount:clearml:nobody" cannot list/,
      );
      await Deno.remove(root, { recursive: true });
    });

    const admin = openCluster({ env: { KUBECONFIG: kube.kubeconfig }, home });
    await t.step("a namespace that does not exist", async () => {
      await assert.rejects(
        new PodLauncher(admin, "nope", LABEL).probe(pod("probe", "nope")),
        (err: Error) => err.message === `Namespace "nope" does not exist on ${kube.server}`,
      );
    });

    await t.step("a spec the server rejects", async () => {
      const bad = pod("probe", "clearml", { spec: { containers: [{ resources: { limits: { cpu: "lots" } } }] } });
      await assert.rejects(
        new PodLauncher(admin, "clearml", LABEL).probe(bad),
        /^KubeError: Kubernetes rejected the pods in namespace "clearml": .*quantities must match/,
      );
    });

    await t.step("no server, no configuration", async () => {
      const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (l.addr as Deno.NetAddr).port;
      l.close();
      const kubeconfig = join(home, "dead.kubeconfig");
      const dead = (await Deno.readTextFile(kube.kubeconfig)).replace(kube.server, `https://127.0.0.1:${port}`);
      await Deno.writeTextFile(kubeconfig, dead);
      const cluster = openCluster({ env: { KUBECONFIG: kubeconfig }, home });
      await assert.rejects(
        new PodLauncher(cluster, "clearml", LABEL).list(),
        new RegExp(`^KubeError: Cannot reach the Kubernetes API server at https://127\\.0\\.0\\.1:${port}: .*`),
      );
      assert.throws(() => openCluster({ env: {}, home }), /^KubeError: No Kubernetes configuration: no KUBECONFIG/);
    });
  } finally {
    await kube.close();
    await Deno.remove(home, { recursive: true });
  }
});
