/**
 * Benchmark of the web page, in headless Chromium against a real `clearml-agent server` child process:
 *
 * - the page's JavaScript + CSS, gzip-compressed as the server sends them (goal ≤ 300 KB);
 * - first render of the task list with `--tasks` tasks on the server: from navigation start to the first page of
 *   rows in the table (goal ≤ 300 ms with 10 000 tasks);
 * - opening a task with `--lines` log lines and `--points` scalar points: console tab (log shown) and scalars tab
 *   (every chart drawn), each from navigation start (goal ≤ 1 s with 100 000 lines and 50 000 points).
 *
 * Each figure is the median of `--runs` page loads (a fresh page each, the session cookie kept).
 *
 * Usage: `npx deno run -A scripts/bench_web.ts [--tasks 10000] [--lines 100000] [--points 50000] [--runs 5]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ASSETS } from "../lib/server/web/_assets.ts";
import { launchBrowser, type Page, signIn } from "../tests/helpers/browser.ts";
import { ApiClient, spawnServerProcess } from "../tests/helpers/server.ts";

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "10000" },
    lines: { type: "string", default: "100000" },
    points: { type: "string", default: "50000" },
    runs: { type: "string", default: "5" },
  },
});
const TASKS = Number(values.tasks);
const LINES = Number(values.lines);
const POINTS = Number(values.points);
const RUNS = Number(values.runs);

async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).bytes()).length;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function parallel(n: number, work: () => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => work()));
}

/** Load `url` in a fresh page and resolve to the page's own clock (ms since navigation start) once `ready` holds. */
async function timeLoad(browser: Awaited<ReturnType<typeof launchBrowser>>, url: string, ready: string) {
  const page: Page = await browser.newPage();
  try {
    await page.goto(url, { waitUntil: "domcontentloaded" });
    const handle = await page.waitForFunction(
      `(${ready}) ? performance.now() : false`,
      { timeout: 30_000, polling: "raf" },
    );
    return Number(await handle.jsonValue());
  } finally {
    await page.close();
  }
}

// Sizes first: they need no server.
let jsCss = 0;
const sizes: string[] = [];
for (const [path, asset] of Object.entries(ASSETS)) {
  if (!/javascript|css/.test(asset.type)) continue;
  const gz = await gzipSize(asset.text);
  jsCss += gz;
  sizes.push(`${path} ${(gz / 1024).toFixed(1)} KB`);
}

const dataDir = await Deno.makeTempDir({ prefix: "clearml-bench-web-" });
const proc = await spawnServerProcess(dataDir);
const browser = await launchBrowser();
try {
  const client = new ApiClient(proc.url);
  await client.login();
  const { id: project } = await client.ok("projects.create", { name: "bench", description: "" });
  let t0 = performance.now();
  let next = 0;
  await parallel(8, async () => {
    while (next < TASKS) {
      const i = next++;
      await client.ok("tasks.create", { name: `bench task ${i}`, type: "training", project });
    }
  });
  const fillSec = (performance.now() - t0) / 1000;

  const { id: big } = await client.ok("tasks.create", { name: "big task", type: "training", project });
  t0 = performance.now();
  const base = Date.now() - LINES;
  for (let i = 0; i < LINES; i += 5000) {
    const n = Math.min(5000, LINES - i);
    const items = Array.from({ length: n }, (_, k) => ({
      type: "log",
      task: big,
      timestamp: base + i + k,
      level: "info",
      worker: "bench",
      msg: `line ${i + k} of the benchmark log, with some text to make it look like real output`,
    }));
    const r = await client.batch("events.add_batch", items);
    if (r.status !== 200) throw new Error(`events.add_batch failed: ${r.meta.result_msg}`);
  }
  const variants = ["train", "validation"];
  const perVariant = Math.ceil(POINTS / variants.length);
  for (let i = 0; i < perVariant; i += 5000) {
    const n = Math.min(5000, perVariant - i);
    const items = variants.flatMap((variant, v) =>
      Array.from({ length: n }, (_, k) => ({
        type: "training_stats_scalar",
        task: big,
        timestamp: base + i + k,
        iter: i + k,
        metric: "loss",
        variant,
        value: 1 / (1 + (i + k) / 1000) + v * 0.05 + Math.random() * 0.01,
      }))
    );
    const r = await client.batch("events.add_batch", items);
    if (r.status !== 200) throw new Error(`events.add_batch failed: ${r.meta.result_msg}`);
  }
  const eventsSec = (performance.now() - t0) / 1000;

  // Sign in once; the cookie stays with the browser.
  const first = await browser.newPage();
  await first.goto(`${proc.url}/`);
  await signIn(first, client.accessKey, client.secretKey);
  await first.waitForSelector("#task-rows tr[data-id]");
  await first.close();

  const list: number[] = [];
  const consoleMs: number[] = [];
  const scalarsMs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    list.push(
      await timeLoad(
        browser,
        `${proc.url}/#/tasks`,
        `document.querySelectorAll("#task-rows tr[data-id]").length >= 50`,
      ),
    );
    consoleMs.push(
      await timeLoad(
        browser,
        `${proc.url}/#/task/${big}/console`,
        `/line ${LINES - 1} /.test(document.getElementById("log")?.textContent ?? "")`,
      ),
    );
    scalarsMs.push(
      await timeLoad(
        browser,
        `${proc.url}/#/task/${big}/scalars`,
        `document.querySelectorAll('#charts figure[data-metric] canvas').length >= 1`,
      ),
    );
  }
  console.log(
    `seeded ${TASKS} tasks in ${fillSec.toFixed(1)} s; ${LINES} log lines + ${POINTS} scalar points in ${
      eventsSec.toFixed(1)
    } s`,
  );
  console.log(`page JS+CSS gzipped: ${(jsCss / 1024).toFixed(1)} KB (goal ≤ 300 KB): ${sizes.join(", ")}`);
  console.log(
    `task list first render, ${TASKS} tasks: median ${median(list).toFixed(0)} ms of ${RUNS} (goal ≤ 300 ms); all ${
      list.map((x) => x.toFixed(0)).join(", ")
    }`,
  );
  console.log(
    `task with ${LINES} log lines, console shown: median ${median(consoleMs).toFixed(0)} ms (goal ≤ 1000 ms); all ${
      consoleMs.map((x) => x.toFixed(0)).join(", ")
    }`,
  );
  console.log(
    `task with ${POINTS} scalar points, charts drawn: median ${median(scalarsMs).toFixed(0)} ms (goal ≤ 1000 ms); all ${
      scalarsMs.map((x) => x.toFixed(0)).join(", ")
    }`,
  );
} finally {
  await browser.close().catch(() => {});
  await proc.stop();
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
}
