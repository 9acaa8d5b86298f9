/**
 * Benchmark of `clearml-agent k8s-glue` (a measurement, not a test), on the test control plane of tests/helpers
 * (etcd + kube-apiserver built by scripts/ci_services.sh, the test node running pods as local processes):
 * - enqueue → pod created (first seen in the pod list, polled every 20 ms);
 * - enqueue → task `in_progress` (our binary inside the pod has dequeued and started it; polled every 20 ms);
 * p50 and p90 over `TASKS` (default 10) one-line tasks, enqueued one after the other (each waits for the last to
 * complete), after one warm-up task that builds the venv cache.
 *
 * Run: `npx deno run -A scripts/bench_k8s.ts` (env: `TASKS`).
 *
 * @module
 */

import { startGlueEnv } from "../tests/helpers/k8s_glue_env.ts";

const TASKS = Number(Deno.env.get("TASKS") ?? 10);

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const env = await startGlueEnv();
try {
  const ns = "bench";
  await env.kube.namespace(ns);
  const q = await env.agent.queue("k8s-bench");
  const glue = env.glue(["--queue", "k8s-bench", "--namespace", ns]);
  await glue.waitFor(/K8s glue .*pending queue/, 60_000);
  const created: number[] = [];
  const running: number[] = [];
  for (let i = 0; i <= TASKS; i++) {
    const id = await env.agent.createTask(`print("bench ${i}")`, `bench ${i}`);
    await env.agent.client.call("tasks.edit", { task: id, container: { image: "python:3-test" } });
    const t0 = performance.now();
    await env.agent.enqueue(id, q);
    let podAt = 0;
    let runAt = 0;
    for (;;) {
      if (!podAt && (await env.pods(ns)).has(`clearml-id-${id}`)) podAt = performance.now();
      if (!runAt) {
        const t = await env.agent.task(id);
        if (t.status === "in_progress" || t.status === "completed") runAt = performance.now();
        if (t.status === "failed") throw new Error(`Task ${id} failed: ${t.status_reason}`);
      }
      if (podAt && runAt) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await env.agent.waitTask(id, (t) => t.status === "completed", 180_000);
    if (i === 0) continue; // warm-up: builds the venv cache
    created.push(podAt - t0);
    running.push(runAt - t0);
  }
  await glue.stop();
  const f = (v: number) => `${(v / 1000).toFixed(2)} s`;
  console.log(`k8s-glue, ${TASKS} tasks (after 1 warm-up), test node on a real kube-apiserver:`);
  console.log(`  enqueue → pod created:  p50 ${f(pct(created, 50))}, p90 ${f(pct(created, 90))}`);
  console.log(`  enqueue → task running: p50 ${f(pct(running, 50))}, p90 ${f(pct(running, 90))}`);
} finally {
  await env.close();
}
