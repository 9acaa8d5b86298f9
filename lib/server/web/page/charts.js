// The scalars tab: one uPlot chart per metric, one series per variant, x = iteration or time; the machine
// statistics a running task reports (`:monitor:*`) are metrics like any other. Drag to zoom, double-click to reset,
// hover for values.

import { call } from "./api.js";
import { every, h } from "./ui.js";

const SAMPLES = 2000;
const COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7d91", "#57606a"];

/** uPlot's aligned data for one metric: shared x, one y array per variant (null where it has no point). */
export function alignSeries(variants, timeKey) {
  const xs = new Set();
  for (const v of variants) for (const x of v.x) xs.add(x);
  const x = [...xs].sort((a, b) => a - b);
  const index = new Map(x.map((v, i) => [v, i]));
  const ys = variants.map((v) => {
    const y = new Array(x.length).fill(null);
    v.x.forEach((xv, i) => (y[index.get(xv)] = v.y[i]));
    return y;
  });
  return [timeKey ? x.map((v) => v / 1000) : x, ...ys];
}

let uPlotLoaded;

/** Load uPlot on first use (the task list does not need it). */
function loadUplot() {
  uPlotLoaded ??= new Promise((resolve, reject) => {
    const script = h("script", { src: "/web/uplot.js" });
    script.addEventListener("load", () => resolve(globalThis.uPlot));
    script.addEventListener("error", () => reject(new Error("The charting library did not load")));
    document.head.append(script);
  });
  return uPlotLoaded;
}

/** Mount the charts of task `id` into `body`; returns the unmount function. */
export function mountScalars(body, id, currentTask) {
  const axis = h(
    "select",
    { id: "chart-x", "aria-label": "Horizontal axis" },
    h("option", { value: "iter" }, "Iteration"),
    h("option", { value: "timestamp" }, "Time"),
  );
  const grid = h("div", { class: "charts", id: "charts" });
  body.replaceChildren(h("div", { class: "toolbar" }, h("label", { for: "chart-x" }, "X axis"), axis), grid);
  const charts = new Map();
  let signature = "";
  const ITERATION_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7];

  const draw = async () => {
    const timeKey = axis.value === "timestamp";
    const [uPlot, data] = await Promise.all([
      loadUplot(),
      call("events.scalar_metrics_iter_histogram", { task: id, samples: SAMPLES, key: axis.value }),
    ]);
    const metrics = Object.entries(data).filter(([, v]) => v && typeof v === "object").sort(([a], [b]) =>
      a.localeCompare(b)
    );
    const sig = axis.value + JSON.stringify(metrics.map(([m, vs]) => [m, Object.keys(vs).sort()]));
    if (sig !== signature) {
      for (const c of charts.values()) c.destroy();
      charts.clear();
      grid.replaceChildren();
      signature = sig;
    }
    if (metrics.length === 0) {
      grid.replaceChildren(h("p", { class: "muted" }, "No scalars reported"));
      return;
    }
    for (const [metric, byVariant] of metrics) {
      const names = Object.keys(byVariant).sort();
      const aligned = alignSeries(names.map((n) => byVariant[n]), timeKey);
      const existing = charts.get(metric);
      if (existing) {
        existing.setData(aligned);
        continue;
      }
      const box = h(
        "figure",
        { class: "chart panel", "data-metric": metric, "data-series": names.join("\n") },
        h("h3", {}, metric),
      );
      grid.append(box);
      const opts = {
        width: Math.max(300, box.clientWidth - 34),
        height: 260,
        scales: { x: { time: timeKey } },
        axes: [timeKey ? {} : { incrs: ITERATION_STEPS }, {}],
        cursor: { drag: { x: true, y: false } },
        series: [
          { label: timeKey ? "time" : "iteration" },
          ...names.map((n, i) => ({ label: n, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true })),
        ],
      };
      charts.set(metric, new uPlot(opts, aligned, box));
    }
  };
  axis.addEventListener("change", () => {
    signature = "";
    draw();
  });
  // Charts of a finished task are drawn once; a running one is re-read every 5 s.
  let drawn = false;
  const stop = every(5000, async () => {
    if (drawn && currentTask()?.status !== "in_progress") return;
    await draw();
    drawn = true;
  });
  return () => {
    stop();
    for (const c of charts.values()) c.destroy();
  };
}
