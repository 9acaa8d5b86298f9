import assert from "node:assert/strict";
import { downSample } from "../../lib/server/services/events_charts.ts";
import { withServer } from "../helpers/server.ts";

Deno.test("downSample() averages contiguous runs down to the sample count", () => {
  const pts = [1, 2, 3, 4, 5, 6].map((i) => ({ x: i, y: i * 10 }));
  const cases: [number | undefined, { x: number; y: number }[]][] = [
    [undefined, pts],
    [10, pts],
    [3, [{ x: 1, y: 15 }, { x: 3, y: 35 }, { x: 5, y: 55 }]],
    [1, [{ x: 1, y: 35 }]],
  ];
  for (const [samples, want] of cases) assert.deepEqual(downSample(pts, samples), want, String(samples));
});

Deno.test("events.scalar_metrics_iter_histogram returns each scalar series by iteration, timestamp or ISO time", async () => {
  await withServer(async ({ client }) => {
    const { id } = await client.ok("tasks.create", { name: "charts", type: "training" });
    const scalar = (iter: number, value: number, variant = "train") => ({
      type: "training_stats_scalar",
      task: id,
      iter,
      metric: "loss",
      variant,
      value,
      timestamp: 1_700_000_000_000 + iter * 1000,
    });
    const r = await client.batch("events.add_batch", [scalar(1, 0.5), scalar(0, 1), scalar(0, 2, "val")]);
    assert.equal(r.status, 200);
    const byIter = await client.ok("events.scalar_metrics_iter_histogram", { task: id });
    assert.deepEqual(byIter, {
      loss: { train: { name: "train", x: [0, 1], y: [1, 0.5] }, val: { name: "val", x: [0], y: [2] } },
    });
    const iso = await client.ok("events.scalar_metrics_iter_histogram", {
      task: id,
      key: "iso_time",
      metrics: [{ metric: "loss", variants: ["train"] }],
    });
    assert.deepEqual(iso.loss.train.x, ["2023-11-14T22:13:20.000Z", "2023-11-14T22:13:21.000Z"]);
    assert.deepEqual(Object.keys(iso.loss), ["train"]);
    const missing = await client.call("events.scalar_metrics_iter_histogram", { task: "nope" });
    assert.equal(`${missing.status}/${missing.meta.result_subcode}`, "400/101");
  });
});

Deno.test("events.get_task_plots returns the plots of the last iterations of each metric", async () => {
  await withServer(async ({ client }) => {
    const { id } = await client.ok("tasks.create", { name: "plots", type: "training" });
    const plot = (iter: number, metric: string) => ({
      type: "plot",
      task: id,
      iter,
      metric,
      variant: "v",
      plot_str: JSON.stringify({ data: [{ y: [iter] }] }),
    });
    await client.batch("events.add_batch", [plot(0, "a"), plot(1, "a"), plot(2, "a"), plot(5, "b")]);
    const last = await client.ok("events.get_task_plots", { task: id });
    assert.deepEqual(last.plots.map((p: { metric: string; iter: number }) => [p.metric, p.iter]), [["a", 2], ["b", 5]]);
    const two = await client.ok("events.get_task_plots", { task: id, iters: 2, metrics: [{ metric: "a" }] });
    assert.deepEqual(two.plots.map((p: { iter: number }) => p.iter), [2, 1]);
    assert.equal(two.returned, 2);
  });
});
