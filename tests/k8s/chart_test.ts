/**
 * The Helm chart (deploy/helm/clearml-agent-glue) with a real `helm` (built by scripts/ci_services.sh): it lints,
 * it renders, and the plain manifests (deploy/manifests/clearml-agent-glue.yaml) are exactly its rendering with
 * the default values. The rendered objects are checked by a real API server in
 * tests/executors/kubernetes/cluster_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { ROOT } from "../helpers/cli.ts";

const CACHE = Deno.env.get("CLEARML_AGENT_CI_CACHE") ?? "/var/cache/clearml-agent-ci";
const HELM = join(CACHE, "bin", "helm");
const CHART = join(ROOT, "deploy/helm/clearml-agent-glue");
/** The command that renders the plain manifests (also in docs/kubernetes.md). */
const MANIFEST_ARGS = [
  "template",
  "glue",
  CHART,
  "--namespace",
  "clearml",
  "--set",
  "clearml.accessKey=CHANGE-ME",
  "--set",
  "clearml.secretKey=CHANGE-ME",
];

async function helm(args: string[]): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command(HELM, { args }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("helm lint passes and helm template renders the glue's objects", async () => {
  const lint = await helm(["lint", CHART, "--set", "clearml.accessKey=a", "--set", "clearml.secretKey=b"]);
  assert.equal(lint.code, 0, lint.out);
  const missing = await helm(["template", "glue", CHART]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.out, /clearml\.accessKey is required/);
  const custom = await helm([
    "template",
    "glue",
    CHART,
    "--namespace",
    "ml",
    "--set",
    "clearml.existingSecret=creds",
    "--set",
    "glue.maxPods=4",
    "--set",
    "glue.queues={gpu,cpu}",
    "--set",
    "glue.podClearmlConf=agent.x: 1",
  ]);
  assert.equal(custom.code, 0, custom.out);
  const objects = parseAllDocuments(custom.out).map((d) => d.toJS()).filter((o) => o);
  assert.deepEqual(objects.map((o) => o.kind).sort(), [
    "ConfigMap",
    "Deployment",
    "Role",
    "RoleBinding",
    "ServiceAccount",
  ]);
  const deployment = objects.find((o) => o.kind === "Deployment");
  const c = deployment.spec.template.spec.containers[0];
  assert.deepEqual(c.command, ["clearml-agent", "k8s-glue"]);
  const args: string[] = c.args;
  assert.deepEqual(args.slice(0, 3), ["--queue", "gpu", "cpu"]);
  assert.equal(args[args.indexOf("--namespace") + 1], "ml");
  assert.equal(args[args.indexOf("--max-pods") + 1], "4");
  assert.ok(args.includes("--pod-clearml-conf"));
  assert.equal(
    c.env.find((e: { name: string }) => e.name === "CLEARML_API_SECRET_KEY").valueFrom.secretKeyRef.name,
    "creds",
  );
});

Deno.test("deploy/manifests/clearml-agent-glue.yaml is the chart rendered with its defaults", async () => {
  const rendered = await helm(MANIFEST_ARGS);
  assert.equal(rendered.code, 0, rendered.out);
  const committed = await Deno.readTextFile(join(ROOT, "deploy/manifests/clearml-agent-glue.yaml"));
  assert.equal(
    committed,
    rendered.out,
    "regenerate: helm template glue deploy/helm/clearml-agent-glue --namespace clearml " +
      "--set clearml.accessKey=CHANGE-ME --set clearml.secretKey=CHANGE-ME > deploy/manifests/clearml-agent-glue.yaml",
  );
});
