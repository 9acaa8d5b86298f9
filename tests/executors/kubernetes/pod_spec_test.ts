/** The pod of a task: template checks and merge rules (executors/kubernetes/pod_spec.ts). */
import assert from "node:assert/strict";
import { buildPod, checkTemplate, labelValue, TemplateError } from "../../../executors/kubernetes/pod_spec.ts";

Deno.test("checkTemplate accepts pod manifests and names what is wrong with others", () => {
  assert.deepEqual(checkTemplate({ spec: { containers: [{}] } }, "t.yaml"), { spec: { containers: [{}] } });
  assert.deepEqual(checkTemplate(null, "empty.yaml"), {});
  const bad: [unknown, string][] = [
    [["a"], "Template t.yaml is not a pod spec: expected a mapping"],
    [{ kind: "Job" }, 'Template t.yaml is not a pod spec: kind "Job" (expected "Pod")'],
    [{ kind: "Pod", apiVersion: "apps/v1" }, 'Template t.yaml is not a pod spec: apiVersion "apps/v1"'],
    [{ spec: "x" }, 'Template t.yaml is not a pod spec: "spec" is not a mapping'],
    [{ spec: { containers: {} } }, 'Template t.yaml is not a pod spec: "spec.containers" is not a list of mappings'],
  ];
  for (const [value, message] of bad) {
    assert.throws(
      () => checkTemplate(value, "t.yaml"),
      (e: Error) => e instanceof TemplateError && e.message === message,
    );
  }
});

Deno.test("buildPod merges template, overrides, task and glue parts as the reference does", () => {
  const pod = buildPod({
    template: {
      metadata: { labels: { team: "ml" }, annotations: { a: "1" } },
      spec: {
        nodeSelector: { gpu: "a100" },
        restartPolicy: "OnFailure",
        volumes: [{ name: "data", emptyDir: {} }],
        containers: [
          {
            name: "ignored",
            image: "ignored",
            env: [{ name: "A", value: "template" }, { name: "B", value: "template" }],
            resources: { limits: { "nvidia.com/gpu": "1" } },
            volumeMounts: [{ name: "data", mountPath: "/data" }],
          },
          { name: "sidecar", image: "busybox" },
        ],
      },
    },
    overrides: {
      spec: { tolerations: [{ key: "gpu" }], containers: [{ resources: { requests: { cpu: "2" } }, image: "x" }] },
    },
    taskId: "abc",
    namespace: "ns",
    labels: { CLEARML: "agent-1" },
    image: "python:3",
    env: { B: "task", C: "glue" },
    agentImage: "agent:1",
    args: ["execute", "--id", "abc"],
    secretName: "conf",
    imagePullPolicy: "Always",
  });
  // deno-lint-ignore no-explicit-any
  const spec = pod.spec as Record<string, any>;
  // deno-lint-ignore no-explicit-any
  const meta = pod.metadata as Record<string, any>;
  assert.equal(meta.name, "clearml-id-abc");
  assert.equal(meta.namespace, "ns");
  assert.deepEqual(meta.labels, { team: "ml", CLEARML: "agent-1" });
  assert.deepEqual(meta.annotations, { a: "1" });
  assert.equal(spec.restartPolicy, "OnFailure");
  assert.deepEqual(spec.nodeSelector, { gpu: "a100" });
  assert.deepEqual(spec.tolerations, [{ key: "gpu" }]);
  const [c, sidecar] = spec.containers;
  assert.equal(sidecar.name, "sidecar");
  assert.equal(c.name, "clearml-id-abc");
  assert.equal(c.image, "python:3");
  assert.equal(c.imagePullPolicy, "Always");
  assert.deepEqual(c.command, ["/opt/clearml-agent/clearml-agent"]);
  assert.deepEqual(c.args, ["execute", "--id", "abc"]);
  assert.deepEqual(c.env, [{ name: "A", value: "template" }, { name: "B", value: "task" }, {
    name: "C",
    value: "glue",
  }]);
  assert.deepEqual(c.resources, { limits: { "nvidia.com/gpu": "1" }, requests: { cpu: "2" } });
  assert.deepEqual(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath), [
    "/data",
    "/etc/clearml-agent",
    "/opt/clearml-agent",
  ]);
  assert.deepEqual(spec.initContainers, [{
    name: "clearml-agent-binary",
    image: "agent:1",
    command: ["cp", "/usr/local/bin/clearml-agent", "/opt/clearml-agent/clearml-agent"],
    volumeMounts: [{ name: "clearml-agent-bin", mountPath: "/opt/clearml-agent" }],
  }]);
  assert.deepEqual(spec.volumes.map((v: { name: string }) => v.name), [
    "data",
    "clearml-agent-conf",
    "clearml-agent-bin",
  ]);
  assert.equal(spec.volumes[1].secret.secretName, "conf");
});

Deno.test("labelValue: lowercase, [a-z0-9-], at most 63 characters", () => {
  assert.equal(labelValue("My Queue_1"), "my-queue-1");
  assert.equal(labelValue("x".repeat(80)).length, 63);
});
