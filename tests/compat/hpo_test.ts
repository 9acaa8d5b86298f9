/**
 * Hyperparameter optimization with the real `clearml` SDK against our server: a grid search over a tiny base task,
 * its jobs run by our daemon; `wait()` must return promptly once the last job has completed.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { scriptFolder, startCompatEnv } from "./_env.ts";
import { explain, HAS_OUR_DAEMON, startOurDaemon, taskLog } from "./_agents.ts";

if (HAS_OUR_DAEMON) {
  Deno.test("SDK HyperParameterOptimizer (GridSearch, 4 jobs) completes under our daemon; wait() returns promptly", async () => {
    const started = performance.now();
    const env = await startCompatEnv();
    const daemon = startOurDaemon(env);
    try {
      const dir = await scriptFolder(env, "hpo_base.py", "hpo.py");
      const base = await env.py([join(dir, "hpo_base.py")], { cwd: dir });
      assert.equal(base.code, 0, base.out);
      const baseId = /^BASE (\w+) x=1$/m.exec(base.out)![1];
      const r = await env.py([join(dir, "hpo.py"), baseId], { cwd: dir, timeoutMs: 400_000 });
      assert.equal(r.code, 0, await explain(env, undefined, `${r.out}\n${daemon.output()}`));
      assert.match(r.out, /^BEST x=3$/m);
      const hpo = /^HPO (\w+)$/m.exec(r.out)![1];
      const jobs = (await env.client.ok("tasks.get_all", {
        parent: hpo,
        only_fields: ["id", "status", "completed", "hyperparams"],
      })).tasks as {
        id: string;
        status: string;
        completed: string;
        hyperparams: { General: { x: { value: string } } };
      }[];
      assert.deepEqual(jobs.map((j) => j.hyperparams.General.x.value).sort(), ["1", "2", "3", "4"]);
      for (const job of jobs) assert.equal(job.status, "completed", await taskLog(env.client, job.id));
      const lastJob = Math.max(...jobs.map((j) => Date.parse(j.completed)));
      const waited = Number(/^WAIT RETURNED ([\d.]+)$/m.exec(r.out)![1]) * 1000;
      console.log(`HPO: wait() returned ${((waited - lastJob) / 1000).toFixed(1)} s after the last job completed`);
      assert.ok(waited - lastJob <= 15_000, `wait() returned ${(waited - lastJob) / 1000} s after the last job`);
    } finally {
      await daemon.stop();
      await env.close();
      console.log(`HPO scenario: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  });
}
