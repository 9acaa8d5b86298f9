import assert from "node:assert/strict";
import { withServer } from "../helpers/server.ts";

const STATS = {
  cpu_usage: [37.5],
  memory_used: 2048,
  memory_free: 6144,
  gpu_usage: [90, 10],
  gpu_memory_used: [10240, 512],
  gpu_fraction: 1, // not a machine-stats key: ignored
};

Deno.test("workers.get_stats answers each worker's latest report, per GPU with split_by_variant", async () => {
  await withServer(async ({ client, clock }) => {
    const now = Math.floor(clock.now / 1000);
    await client.ok("workers.status_report", { worker: "box:gpu", timestamp: clock.now, machine_stats: STATS });
    await client.ok("workers.status_report", { worker: "quiet", timestamp: clock.now, machine_stats: null });
    const items = [
      { key: "cpu_usage", aggregation: "avg" },
      { key: "gpu_usage", aggregation: "avg" },
      { key: "gpu_usage", aggregation: "max" },
      { key: "memory_used", aggregation: "avg" },
    ];
    const range = { from_date: now - 60, to_date: now + 1, interval: 10 };
    const joined = await client.ok("workers.get_stats", { ...range, items });
    assert.deepEqual(joined.workers, [{
      worker: "box:gpu",
      metrics: [
        { metric: "cpu_usage", dates: [now], stats: [{ aggregation: "avg", values: [37.5] }] },
        {
          metric: "gpu_usage",
          dates: [now],
          stats: [{ aggregation: "avg", values: [50] }, { aggregation: "max", values: [90] }],
        },
        { metric: "memory_used", dates: [now], stats: [{ aggregation: "avg", values: [2048] }] },
      ],
    }]);
    const split = await client.ok("workers.get_stats", {
      ...range,
      items: [{ key: "gpu_memory_used", aggregation: "avg" }],
      split_by_variant: true,
      worker_ids: ["box:gpu"],
    });
    assert.deepEqual(
      split.workers[0].metrics.map((m: { variant: string; stats: { values: number[] }[] }) => [
        m.variant,
        m.stats[0].values[0],
      ]),
      [["0", 10240], ["1", 512]],
    );
    // Outside the range (the report is older than from_date): nothing.
    const later = await client.ok("workers.get_stats", { from_date: now + 10, to_date: now + 20, items });
    assert.deepEqual(later.workers, []);
    const keys = await client.ok("workers.get_metric_keys", {});
    assert.deepEqual(keys.categories, [
      { name: "cpu", metric_keys: ["cpu_usage"] },
      { name: "gpu", metric_keys: ["gpu_usage", "gpu_memory_used"] },
      { name: "memory", metric_keys: ["memory_used", "memory_free"] },
    ]);
    const bad = await client.call("workers.get_stats", { ...range, items: [{ key: "nonsense" }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.meta.result_subcode, 12);
    const missing = await client.call("workers.get_stats", { items });
    assert.equal(missing.status, 400);
  });
});
