/// <reference lib="dom" />
/**
 * The web page in a real browser (headless Chromium) against `clearml-agent server` started through the CLI, with
 * tasks made by the real `clearml` SDK and run by our daemon: sign-in (a wrong key first), the task list, a task's
 * overview and scalar chart, the live console of a running task, aborting it (the daemon stops it), a refused action,
 * clone-with-edited-hyperparameters-and-enqueue (the daemon completes it), queues and workers, and an expired
 * session. Screenshots of the main pages land in `.artifacts/web/`.
 */

import assert from "node:assert/strict";
import { type CompatEnv, startCompatEnv } from "./_env.ts";
import { type AgentProcess, startOurDaemon, taskLog, waitStatus } from "./_agents.ts";
import { launchBrowser, type Page, pageErrors, screenshot, signIn, waitText } from "../helpers/browser.ts";

/** Run a script of tests/compat/py with the SDK; resolves to the task id it printed. */
async function sdkTask(env: CompatEnv, args: string[]): Promise<string> {
  const r = await env.py(args);
  assert.equal(r.code, 0, `${args[0]} failed:\n${r.out}`);
  const id = /^TASK (\w+)$/m.exec(r.out)?.[1];
  assert.ok(id, `${args[0]} printed no task id:\n${r.out}`);
  return id;
}

/** Pixels of a chart's canvas drawn in the colour of its first series (#1f6feb). */
function seriesPixels(page: Page, metric: string): Promise<number> {
  return page.$eval(`figure[data-metric="${metric}"] canvas`, (el) => {
    const canvas = el as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - 0x1f) < 24 && Math.abs(data[i + 1] - 0x6f) < 24 && Math.abs(data[i + 2] - 0xeb) < 24) n++;
    }
    return n;
  });
}

Deno.test({
  name: "web page in Chromium: sign in, tasks of the SDK, chart, live log, abort, refused delete, clone and enqueue",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const env = await startCompatEnv();
    const browser = await launchBrowser();
    let daemon: AgentProcess | undefined;
    try {
      const trained = await sdkTask(env, ["train.py", "--lr", "0.3"]);
      const long = await sdkTask(env, ["long.py"]); // hands itself to the default queue
      // A worker id of its own: other test processes on this machine may run compat daemons at the same time.
      const daemonWorker = `web-test-${crypto.randomUUID().slice(0, 8)}:cpu`;
      env.env.CLEARML_WORKER_ID = daemonWorker;
      daemon = startOurDaemon(env);
      assert.equal(await waitStatus(env.client, long, ["in_progress"], 120), "in_progress", daemon.output());

      const page = await browser.newPage();
      const errors = pageErrors(page);
      // A failing step leaves a screenshot of what the page showed (.artifacts/web/failed-<n>.png).
      let stepNo = 0;
      const step = (name: string, fn: () => Promise<void>) =>
        t.step(name, async () => {
          const n = ++stepNo;
          try {
            await fn();
          } catch (err) {
            await screenshot(page, `failed-${n}`).catch(() => {});
            throw err;
          }
        });
      const url = env.server.url;

      await step("a wrong key shows invalid credentials; the right one opens the task list", async () => {
        await page.goto(`${url}/`);
        await signIn(page, env.client.accessKey, "not-the-secret");
        assert.equal(await waitText(page, "#signin-error", /\S/), "invalid credentials");
        await screenshot(page, "signin");
        await signIn(page, env.client.accessKey, env.client.secretKey);
        await waitText(page, "#task-rows", /sdk local run/);
        await waitText(page, "#task-rows", /long run/);
        const cookie = (await page.cookies()).find((c) => c.name === "clearml_token_basic");
        assert.ok(cookie, "session cookie set");
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.sameSite, "Strict");
        assert.equal(await page.evaluate(() => document.cookie), "", "the page's script cannot read the session");
        const row = await page.$eval(`tr[data-id="${long}"]`, (el) => el.textContent ?? "");
        assert.match(row, /in_progress/);
        assert.match(row, /Compat/);
        await screenshot(page, "tasks");
      });

      await step("filters: status and text narrow the list", async () => {
        await page.select("#filter-status", "completed");
        await page.waitForFunction((id) => !document.querySelector(`tr[data-id="${id}"]`), {}, long);
        await waitText(page, "#task-rows", /sdk local run/);
        await page.select("#filter-status", "");
        await page.type("#filter-text", "long");
        await page.waitForFunction((id) => !document.querySelector(`tr[data-id="${id}"]`), {}, trained);
        await waitText(page, "#task-rows", /long run/);
      });

      await step("a task of the SDK: hyperparameters, artifact link, and a chart that drew its series", async () => {
        await page.goto(`${url}/#/task/${trained}`);
        await waitText(page, "#task-name", /sdk local run/);
        await waitText(page, "#hyperparams", /lr\s*0\.3/);
        const href = await page.$eval("#artifacts a", (a) => (a as HTMLAnchorElement).href);
        assert.ok(href.startsWith(`${url}/files/`), href);
        await screenshot(page, "task-overview");
        await page.click("#tab-scalars");
        await page.waitForSelector('figure[data-metric="loss"] canvas');
        assert.equal(await page.$eval('figure[data-metric="loss"]', (f) => f.getAttribute("data-series")), "train");
        await page.waitForFunction(() => document.querySelector(".u-legend")?.textContent?.includes("train"));
        assert.ok(await seriesPixels(page, "loss") > 50, "the loss series is drawn on the canvas");
        await page.select("#chart-x", "timestamp");
        await page.waitForFunction(() => document.querySelector(".u-legend")?.textContent?.includes("time"));
        assert.ok(await seriesPixels(page, "loss") > 50, "the series is drawn against time too");
        await page.select("#chart-x", "iter");
        await screenshot(page, "task-scalars");
      });

      await step("the console of the running task follows its log live", async () => {
        await page.goto(`${url}/#/task/${long}/console`);
        const first = await waitText(page, "#log", /tick \d+/);
        const last = Math.max(...[...first.matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
        await waitText(page, "#log", new RegExp(`tick ${last + 3}\\b`), 30_000);
        await page.type("#log-search", "tick 1");
        await waitText(page, "#log-info", /matching/);
        await screenshot(page, "task-console");
      });

      await step("abort: the daemon stops the running task", async () => {
        await page.goto(`${url}/#/task/${long}`);
        await page.waitForSelector("#act-abort:not([disabled])");
        await page.click("#act-abort");
        assert.equal(await waitStatus(env.client, long, ["stopped"], 60), "stopped", daemon!.output().slice(-3000));
        await waitText(page, "#task-status", /stopped/);
        assert.doesNotMatch(await taskLog(env.client, long), /LONG finished/);
      });

      await step("reset, enqueue, dequeue and delete the aborted task with the buttons", async () => {
        const { id: hold } = await env.client.ok("queues.create", { name: "web-hold" }); // no daemon serves it
        await page.goto(`${url}/#/task/${long}`);
        await waitText(page, "#task-status", /stopped/);
        await page.click("#act-reset");
        await waitText(page, "#task-status", /created/);
        await page.waitForSelector(`#enqueue-queue option[value="${hold}"]`);
        await page.select("#enqueue-queue", hold);
        await page.click("#act-enqueue");
        await waitText(page, "#task-status", /queued/);
        assert.equal((await env.client.ok("tasks.get_by_id", { task: long })).task.execution.queue, hold);
        await page.click("#act-dequeue");
        await waitText(page, "#task-status", /created/);
        page.once("dialog", (d) => d.accept());
        await page.click("#act-delete");
        await page.waitForFunction(() => location.hash.startsWith("#/tasks"));
        const gone = await env.client.call("tasks.get_by_id", { task: long });
        assert.equal(gone.status, 400);
      });

      await step("an action the server refuses shows its message and changes nothing", async () => {
        await page.goto(`${url}/#/task/${trained}`);
        await waitText(page, "#task-name", /sdk local run/);
        page.once("dialog", (d) => d.accept());
        await page.click("#act-delete");
        await waitText(page, "#toasts", /Delete failed: .*only draft or archived tasks can be deleted/);
        assert.equal((await env.client.ok("tasks.get_by_id", { task: trained })).task.status, "completed");
      });

      await step("clone with an edited hyperparameter, enqueue, and the daemon completes it", async () => {
        await page.click("#act-clone");
        await page.waitForSelector('dialog[open] input[data-param="Args/lr"]');
        await page.$eval('input[data-param="Args/lr"]', (e) => ((e as HTMLInputElement).value = ""));
        await page.type('input[data-param="Args/lr"]', "0.5");
        const defaultQueue = await page.$eval(
          "#clone-queue",
          (s) => [...(s as HTMLSelectElement).options].find((o) => o.textContent === "default")!.value,
        );
        await page.select("#clone-queue", defaultQueue);
        await screenshot(page, "clone-dialog");
        await page.click("#clone-ok");
        await page.waitForFunction(
          (id) => /^#\/task\/\w+$/.test(location.hash) && !location.hash.includes(id),
          {},
          trained,
        );
        const clone = (await page.evaluate(() => location.hash)).split("/")[2];
        const status = await waitStatus(env.client, clone, ["completed", "failed", "stopped"], 300);
        assert.equal(status, "completed", `${await taskLog(env.client, clone)}\n${daemon!.output().slice(-3000)}`);
        assert.match(await taskLog(env.client, clone), /ARGS lr=0\.5 epochs=2/);
        await waitText(page, "#task-status", /completed/);
      });

      await step("queues: entries move and leave; workers show the daemon and per-GPU figures", async () => {
        const { id: queue } = await env.client.ok("queues.create", { name: "web-test" });
        const entries: string[] = [];
        for (const name of ["first queued", "second queued"]) {
          const { id } = await env.client.ok("tasks.create", { name, type: "training" });
          await env.client.ok("tasks.enqueue", { task: id, queue });
          entries.push(id);
        }
        const now = Date.now();
        await env.client.ok("workers.status_report", {
          worker: "gpu-box:0,1",
          timestamp: now,
          machine_stats: {
            cpu_usage: [42],
            memory_used: 4096,
            memory_free: 12288,
            gpu_usage: [87, 3],
            gpu_memory_used: [20480, 512],
            gpu_memory_free: [4096, 24064],
          },
        });
        await page.goto(`${url}/#/queues`);
        await page.waitForSelector(`section[data-queue="web-test"] tr[data-task="${entries[0]}"]`);
        await page.waitForSelector(`#workers tr[data-worker="${daemonWorker}"]`);
        const gpu = await waitText(page, 'tr[data-worker="gpu-box:0,1"] .machine', /GPU1/);
        assert.match(gpu, /CPU 42%/);
        assert.match(gpu, /RAM 4\.0 of 16\.0 GB/);
        assert.match(gpu, /GPU0 87%.*20\.0 of 24\.0 GB.*GPU1 3%/);
        await screenshot(page, "queues-workers");
        const order = async () =>
          (await env.client.ok("queues.get_by_id", { queue })).queue.entries.map((e: { task: string }) => e.task);
        await page.click(`tr[data-task="${entries[0]}"] button[aria-label="Move down"]`);
        await page.waitForFunction(
          (id) =>
            document.querySelector('section[data-queue="web-test"] tbody tr:last-child')?.getAttribute("data-task") ===
              id,
          {},
          entries[0],
        );
        assert.deepEqual(await order(), [entries[1], entries[0]]);
        await page.click(`tr[data-task="${entries[1]}"] button.danger`);
        await page.waitForFunction((id) => !document.querySelector(`tr[data-task="${id}"]`), {}, entries[1]);
        assert.deepEqual(await order(), [entries[0]]);
        assert.equal((await env.client.ok("tasks.get_by_id", { task: entries[1] })).task.status, "created");
      });

      await step("an expired session returns to sign-in and comes back to the same address", async () => {
        await page.goto(`${url}/#/task/${trained}/console`);
        await waitText(page, "#task-name", /sdk local run/);
        await page.setCookie({ name: "clearml_token_basic", value: "expired.token.value", url, sameSite: "Strict" });
        await waitText(page, "#signin-error", /session has ended/);
        assert.equal(await page.evaluate(() => location.hash), `#/task/${trained}/console`);
        await signIn(page, env.client.accessKey, env.client.secretKey);
        await waitText(page, "#task-name", /sdk local run/);
        await waitText(page, "#log", /GENERAL batch=32/);
      });

      await step("sign out drops the session cookie", async () => {
        await page.click("#signout");
        await page.waitForSelector("#signin-title");
        assert.equal((await page.cookies()).find((c) => c.name === "clearml_token_basic"), undefined);
        await page.reload();
        await page.waitForSelector("#signin-title");
      });

      assert.deepEqual(errors, [], "no uncaught error in the page");
    } finally {
      await browser.close().catch(() => {});
      await daemon?.stop();
      await env.close();
    }
  },
});
