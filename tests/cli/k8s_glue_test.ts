/**
 * `clearml-agent k8s-glue` bad input, end to end against a real kube-apiserver and the embedded server: each case
 * prints one line, exits non-zero, and leaves the queued task where it was (never in the pending queue).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startKubeCluster } from "../helpers/kube_cluster.ts";
import { startDaemonEnv } from "../helpers/daemon_env.ts";

Deno.test("k8s-glue --help lists the reference's options", async () => {
  const env = await startDaemonEnv();
  try {
    const { code, out } = await env.cli(["k8s-glue", "--help"]);
    assert.equal(code, 0);
    for (
      const flag of [
        "--queue",
        "--namespace",
        "--template-yaml",
        "--overrides-yaml",
        "--max-pods",
        "--pod-clearml-conf",
        "--create-queue",
        "--pending-queue",
        "--agent-image",
        "--ports-mode",
        "--use-owner-token",
      ]
    ) assert.ok(out.includes(flag), `${flag} in:\n${out}`);
    const ports = await env.cli(["k8s-glue", "--queue", "q", "--ports-mode"]);
    assert.equal(ports.code, 1);
    assert.equal(ports.out.trim(), "clearml-agent: error: not implemented yet: k8s-glue --ports-mode");
  } finally {
    await env.close();
  }
});

Deno.test({
  name: "k8s-glue bad input: one line, non-zero exit, the task stays in its queue",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const kube = await startKubeCluster();
  const env = await startDaemonEnv();
  try {
    await kube.namespace("clearml");
    const q = await env.queue("k8s-bad");
    const id = await env.createTask('print("never")');
    await env.enqueue(id, q);
    const run = async (args: string[], extraEnv: Record<string, string>): Promise<string> => {
      const { code, out } = await env.cli(["k8s-glue", "--queue", "k8s-bad", ...args], extraEnv);
      assert.equal(code, 1, out);
      assert.equal(out.trim().split("\n").length, 1, out);
      const queue = await env.client.call<{ queue: { entries: { task: string }[] } }>("queues.get_by_id", { queue: q });
      assert.deepEqual(queue.queue.entries.map((e) => e.task), [id]);
      assert.equal((await env.task(id)).status, "queued");
      const pending = await env.client.call<{ queues: unknown[] }>("queues.get_all", { name: "k8s_scheduler" });
      assert.deepEqual(pending.queues, []);
      return out.trim();
    };
    const admin = { KUBECONFIG: kube.kubeconfig };

    await t.step("a template that is not a pod spec", async () => {
      const path = join(env.dir, "deploy.yaml");
      await Deno.writeTextFile(path, "apiVersion: apps/v1\nkind: Deployment\nspec: {}\n");
      assert.equal(
        await run(["--template-yaml", path], admin),
        `clearml-agent: error: Template ${path} is not a pod spec: kind "Deployment" (expected "Pod")`,
      );
    });

    await t.step("a namespace that does not exist", async () => {
      assert.equal(
        await run(["--namespace", "nope"], admin),
        `clearml-agent: error: Namespace "nope" does not exist on ${kube.server}`,
      );
    });

    await t.step("no cluster reachable", async () => {
      const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (l.addr as Deno.NetAddr).port;
      l.close();
      const dead = join(env.dir, "dead.kubeconfig");
      await Deno.writeTextFile(
        dead,
        (await Deno.readTextFile(kube.kubeconfig)).replace(kube.server, `https://127.0.0.1:${port}`),
      );
      assert.match(
        await run([], { KUBECONFIG: dead }),
        new RegExp(
          `^clearml-agent: error: Cannot reach the Kubernetes API server at https://127\\.0\\.0\\.1:${port}: `,
        ),
      );
    });

    await t.step("no RBAC permission", async () => {
      await kube.core.createNamespacedServiceAccount({ namespace: "clearml", body: { metadata: { name: "nobody" } } });
      const token = await kube.core.createNamespacedServiceAccountToken({
        name: "nobody",
        namespace: "clearml",
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      const kubeconfig = join(env.dir, "nobody.kubeconfig");
      await Deno.writeTextFile(
        kubeconfig,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: "c", cluster: { server: kube.server, "certificate-authority": kube.caFile } }],
          users: [{ name: "nobody", user: { token: token.status!.token } }],
          contexts: [{ name: "c", context: { cluster: "c", user: "nobody" } }],
          "current-context": "c",
        }),
      );
      assert.match(
        await run([], { KUBECONFIG: kubeconfig }),
        /^clearml-agent: error: No permission to list pods in namespace "clearml" \(RBAC\): pods is forbidden/,
      );
    });
  } finally {
    await env.close();
    await kube.close();
  }
});
