/**
 * End-to-end `clearml-agent k8s-glue` against a real kube-apiserver (etcd + kube-apiserver built from the Go module
 * proxy by scripts/ci_services.sh), with the test node of tests/helpers/kube_node.ts scheduling and running pods
 * as local processes, our binary (`execute --full-monitoring --require-queue`) running each task against the
 * embedded server.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { AGENT_IMAGE, type GlueEnv, startGlueEnv, TASK_IMAGE } from "../helpers/k8s_glue_env.ts";
import { TEST_SECRET_KEY } from "../helpers/server.ts";

async function task(env: GlueEnv, script: string, image = TASK_IMAGE, args = ""): Promise<string> {
  const id = await env.agent.createTask(script);
  await env.agent.client.call("tasks.edit", { task: id, container: { image, arguments: args } });
  return id;
}

async function queueEntries(env: GlueEnv, queue: string): Promise<string[]> {
  const data = await env.agent.client.call<{ queue: { entries: { task: string }[] } }>("queues.get_by_id", { queue });
  return data.queue.entries.map((e) => e.task);
}

async function pendingQueueId(env: GlueEnv): Promise<string> {
  return await env.agent.queue("k8s_scheduler");
}

Deno.test({
  name: "k8s-glue turns queued tasks into pods on a real API server",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const env = await startGlueEnv();
  try {
    await t.step("a task becomes a pod with the right spec, runs to completed, and the pod is cleaned up", async () => {
      const ns = "glue-run";
      await env.kube.namespace(ns);
      const template = await env.file(
        "template.yaml",
        [
          "apiVersion: v1",
          "kind: Pod",
          "metadata:",
          "  labels: {team: ml}",
          "spec:",
          "  containers:",
          "  - env: [{name: FROM_TEMPLATE, value: 'yes'}]",
          "    resources: {limits: {nvidia.com/gpu: '1'}}",
        ].join("\n"),
      );
      const q = await env.agent.queue("k8s-run");
      const id = await task(
        env,
        'import os\nprint("env", os.environ.get("FOO"), os.environ.get("FROM_TEMPLATE"), os.environ.get("CLEARML_WORKER_ID"))',
        TASK_IMAGE,
        "-e FOO=bar",
      );
      await env.agent.enqueue(id, q);
      const glue = env.glue(["--queue", "k8s-run", "--namespace", ns, "--template-yaml", template, "--foreground"]);
      const worker = await env.until("the glue registered as a worker", async () => {
        const workers = await env.agent.client.call<{ workers: { id: string; queues?: { id: string }[] }[] }>(
          "workers.get_all",
          {},
        );
        return workers.workers.find((w) => w.id === "testhost:0");
      });
      assert.deepEqual(worker.queues?.map((x) => x.id), [q]);
      const pod = await env.until("the pod", async () => (await env.pods(ns)).get(`clearml-id-${id}`));
      const labels = pod.metadata!.labels!;
      assert.match(labels.CLEARML, /^agent-[0-9a-f]{8}$/);
      assert.equal(labels["clearml-agent-queue"], q);
      assert.equal(labels["clearml-agent-queue-name"], "k8s-run");
      assert.equal(labels["clearml-task-id"], id);
      assert.equal(labels.team, "ml");
      const c = pod.spec!.containers[0];
      assert.equal(c.image, TASK_IMAGE);
      assert.deepEqual([...c.command!, ...c.args!], [
        "/opt/clearml-agent/clearml-agent",
        "execute",
        "--full-monitoring",
        "--require-queue",
        "--id",
        id,
      ]);
      const vars = new Map((c.env ?? []).map((e) => [e.name, e.value]));
      assert.equal(vars.get("FOO"), "bar");
      assert.equal(vars.get("FROM_TEMPLATE"), "yes");
      assert.equal(vars.get("CLEARML_CONFIG_FILE"), "/etc/clearml-agent/clearml.conf");
      assert.match(vars.get("CLEARML_WORKER_ID")!, new RegExp(`:${id}$`));
      assert.equal(c.resources?.limits?.["nvidia.com/gpu"], "1");
      assert.equal(pod.spec!.restartPolicy, "Never");
      assert.equal(pod.spec!.initContainers?.[0].image, AGENT_IMAGE);
      const secretVolume = pod.spec!.volumes!.find((v) => v.secret)!;
      assert.ok(!JSON.stringify(pod).includes(TEST_SECRET_KEY), "the pod spec carries no credentials");
      const secret = await env.kube.core.readNamespacedSecret({
        name: secretVolume.secret!.secretName!,
        namespace: ns,
      });
      assert.ok(atob(secret.data!["clearml.conf"]).includes(TEST_SECRET_KEY));

      const done = await env.agent.waitTask(id, (t) => t.status === "completed" || t.status === "failed", 180_000);
      assert.equal(done.status, "completed", JSON.stringify(done));
      const lines = await env.agent.logLines(id);
      assert.ok(lines.some((l) => /^env bar yes \S+:/.test(l)), lines.join("\n"));
      await env.until("the pod cleaned up", async () => !(await env.pods(ns)).has(`clearml-id-${id}`));
      assert.deepEqual(await queueEntries(env, await pendingQueueId(env)), []);
      assert.match(glue.output(), new RegExp(`Received task ${id} from queue k8s-run`));
      assert.equal(await glue.stop(), 0);
    });

    await t.step("abort deletes the pod and the task ends stopped", async () => {
      const ns = "glue-abort";
      await env.kube.namespace(ns);
      await env.agent.queue("k8s-abort");
      const id = await task(env, 'import time\nprint("started", flush=True)\ntime.sleep(600)');
      await env.agent.enqueue(id, await env.agent.queue("k8s-abort"));
      const glue = env.glue(["--queue", "k8s-abort", "--namespace", ns]);
      await env.agent.waitTask(id, (t) => t.status === "in_progress", 180_000);
      await env.until("the task's output", async () => (await env.agent.logLines(id)).includes("started"), 120_000);
      await env.agent.client.call("tasks.stop", { task: id });
      await env.until("the pod deleted", async () => !(await env.pods(ns)).has(`clearml-id-${id}`), 60_000);
      const stopped = await env.agent.waitTask(id, (t) => t.status === "stopped", 60_000);
      assert.equal(stopped.status, "stopped");
      assert.equal(await glue.stop(), 0);

      // Aborted before its pod runs (the pod cannot be scheduled; --stuck-timeout keeps it): the glue deletes it.
      const template = await env.file("nowhere.yaml", "spec:\n  nodeSelector: {zone: nowhere}\n");
      const waiting = await task(env, 'print("never")');
      await env.agent.enqueue(waiting, await env.agent.queue("k8s-abort"));
      const glue2 = env.glue([
        "--queue",
        "k8s-abort",
        "--namespace",
        ns,
        "--template-yaml",
        template,
        "--stuck-timeout",
        "600",
      ]);
      await env.until("the pending pod", async () => (await env.pods(ns)).get(`clearml-id-${waiting}`));
      await env.agent.client.call("tasks.stop", { task: waiting });
      await glue2.waitFor(new RegExp(`Task ${waiting} was aborted: deleting pod clearml-id-${waiting}`), 30_000);
      await env.until("the pod deleted", async () => !(await env.pods(ns)).has(`clearml-id-${waiting}`), 30_000);
      assert.equal((await env.agent.task(waiting)).status, "stopped");
      assert.deepEqual(await queueEntries(env, await pendingQueueId(env)), []);
      assert.equal(await glue2.stop(), 0);
    });

    await t.step("max pods: the extra task waits in its queue until a pod finishes", async () => {
      const ns = "glue-max";
      await env.kube.namespace(ns);
      const q = await env.agent.queue("k8s-max");
      const mark = join(env.agent.dir, "max-release");
      const script = `import os, time\nwhile not os.path.exists(${
        JSON.stringify(mark)
      }): time.sleep(0.2)\nprint("done")`;
      const first = await task(env, script);
      const second = await task(env, script);
      await env.agent.enqueue(first, q);
      await env.agent.enqueue(second, q);
      const glue = env.glue(["--queue", "k8s-max", "--namespace", ns, "--max-pods", "1", "--foreground"]);
      await env.agent.waitTask(first, (t) => t.status === "in_progress", 180_000);
      // The glue has seen the limit at least twice while the first pod runs.
      await glue.waitFor(/Maximum pod limit reached 1\/1[^]*Maximum pod limit reached 1\/1/, 30_000);
      assert.deepEqual([...(await env.pods(ns)).keys()], [`clearml-id-${first}`]);
      assert.deepEqual(await queueEntries(env, q), [second]);
      assert.deepEqual(await queueEntries(env, await pendingQueueId(env)), []);
      await Deno.writeTextFile(mark, "");
      await env.agent.waitTask(first, (t) => t.status === "completed", 120_000);
      await env.agent.waitTask(second, (t) => t.status === "completed", 180_000);
      await env.until("both pods cleaned up", async () => (await env.pods(ns)).size === 0);
      assert.equal(await glue.stop(), 0);
    });

    await t.step("a pod the API server refuses (quota): the task fails with the reason, the glue goes on", async () => {
      const ns = "glue-quota";
      await env.kube.namespace(ns);
      const q = await env.agent.queue("k8s-quota");
      const glue = env.glue(["--queue", "k8s-quota", "--namespace", ns]);
      await glue.waitFor(/K8s glue .*pending queue/, 60_000);
      const quota = await env.kube.core.createNamespacedResourceQuota({
        namespace: ns,
        body: { metadata: { name: "no-pods" }, spec: { hard: { pods: "0" } } },
      });
      // What the quota controller (not running here) would report; admission enforces it from then on.
      await env.kube.core.replaceNamespacedResourceQuotaStatus({
        name: "no-pods",
        namespace: ns,
        body: { ...quota, status: { hard: { pods: "0" }, used: { pods: "0" } } },
      });
      const id = await task(env, 'print("never")');
      await env.agent.enqueue(id, q);
      const failed = await env.agent.waitTask(id, (t) => t.status === "failed", 60_000);
      assert.match(
        String(failed.status_reason),
        /^K8S glue error: Kubernetes refused to create pods in namespace "glue-quota": .*quota/,
      );
      assert.deepEqual(await queueEntries(env, await pendingQueueId(env)), []);
      assert.equal((await env.pods(ns)).size, 0);
      assert.equal(await glue.stop(), 0);
    });

    await t.step(
      "an unschedulable pod and an image that cannot be pulled fail their tasks with the reason",
      async () => {
        const ns = "glue-stuck";
        await env.kube.namespace(ns);
        const template = await env.file(
          "ssd.yaml",
          "kind: Pod\nspec:\n  nodeSelector: {disktype: ssd}\n  containers: [{}]\n",
        );
        const q = await env.agent.queue("k8s-stuck");
        const unschedulable = await task(env, 'print("never")');
        await env.agent.enqueue(unschedulable, q);
        const glue = env.glue(["--queue", "k8s-stuck", "--namespace", ns, "--template-yaml", template]);
        const failed = await env.agent.waitTask(unschedulable, (t) => t.status === "failed", 60_000);
        assert.match(String(failed.status_reason), /^K8S glue error: Unschedulable \(0\/1 nodes are available/);
        assert.equal(await glue.stop(), 0);

        const q2 = await env.agent.queue("k8s-pull");
        const noImage = await task(env, 'print("never")', "registry.invalid/none:1");
        await env.agent.enqueue(noImage, q2);
        const glue2 = env.glue(["--queue", "k8s-pull", "--namespace", ns]);
        const failed2 = await env.agent.waitTask(noImage, (t) => t.status === "failed", 60_000);
        assert.match(String(failed2.status_reason), /^K8S glue error: (ErrImagePull|ImagePullBackOff) \(Back-off/);
        await env.until("the pods deleted", async () => (await env.pods(ns)).size === 0);
        assert.deepEqual(await queueEntries(env, await pendingQueueId(env)), []);
        assert.equal(await glue2.stop(), 0);
      },
    );
  } finally {
    await env.close();
  }
});
