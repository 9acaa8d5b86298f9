// Queues with their entries (move up/down, remove) and workers with their task, queues and the CPU, memory and
// per-GPU figures of their latest status report (`workers.get_stats`), refreshed every 3 s.

import { call } from "./api.js";
import { attempt, every, fmtDate, h } from "./ui.js";

const STAT_ITEMS = ["cpu_usage", "memory_used", "memory_free", "gpu_usage", "gpu_memory_used", "gpu_memory_free"]
  .map((key) => ({ key, aggregation: "avg" }));

/** worker id → {metric → [value per variant]} from `workers.get_stats` (the latest report of each worker). */
export async function workerFigures() {
  const now = Math.floor(Date.now() / 1000);
  const data = await call("workers.get_stats", {
    from_date: now - 3600,
    to_date: now + 60,
    interval: 60,
    items: STAT_ITEMS,
    split_by_variant: true,
  });
  const out = new Map();
  for (const w of data.workers ?? []) {
    const figures = {};
    for (const m of w.metrics ?? []) {
      const value = m.stats?.[0]?.values?.at(-1);
      if (value === undefined) continue;
      (figures[m.metric] ??= [])[Number(m.variant ?? 0)] = value;
    }
    out.set(w.worker, figures);
  }
  return out;
}

function bar(label, pct) {
  const v = Math.max(0, Math.min(100, Number(pct) || 0));
  return h(
    "span",
    { class: "figure" },
    h(
      "span",
      { class: "bar", role: "img", "aria-label": `${label} ${v.toFixed(0)}%` },
      h("span", { style: `width:${v}%` }),
    ),
    `${label} ${v.toFixed(0)}% `,
  );
}

const gb = (mb) => (Number(mb) / 1024).toFixed(1);

function machine(f) {
  if (!f) return h("span", { class: "muted" }, "—");
  const parts = [];
  if (f.cpu_usage) parts.push(bar("CPU", f.cpu_usage[0]));
  if (f.memory_used) {
    const total = f.memory_free ? ` of ${gb(f.memory_used[0] + f.memory_free[0])}` : "";
    parts.push(h("span", { class: "figure" }, `RAM ${gb(f.memory_used[0])}${total} GB `));
  }
  (f.gpu_usage ?? []).forEach((u, i) => {
    parts.push(bar(`GPU${i}`, u));
    const used = f.gpu_memory_used?.[i];
    if (used !== undefined) {
      const free = f.gpu_memory_free?.[i];
      parts.push(
        h("span", { class: "figure" }, `${gb(used)}${free !== undefined ? ` of ${gb(used + free)}` : ""} GB `),
      );
    }
  });
  return parts.length ? parts : h("span", { class: "muted" }, "—");
}

/** Mount the queues and workers view into `root`; returns the unmount function. */
export function mountQueues(root) {
  const queuesBox = h("div", { id: "queues" });
  const workersBox = h("div", { id: "workers" });
  root.append(h("h1", {}, "Queues"), queuesBox, h("h1", {}, "Workers"), workersBox);
  const refresh = async () => {
    const [qs, ws, figures] = await Promise.all([
      call("queues.get_all_ex", {}),
      call("workers.get_all", {}),
      workerFigures(),
    ]);
    const queues = qs.queues ?? [];
    const workers = ws.workers ?? [];
    const ids = [
      ...new Set([
        ...queues.flatMap((q) => (q.entries ?? []).map((e) => e.task)),
        ...workers.map((w) => w.task?.id).filter(Boolean),
      ]),
    ];
    const tasks = ids.length
      ? (await call("tasks.get_all_ex", { id: ids, only_fields: ["id", "name", "status"] })).tasks ?? []
      : [];
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const act = (what, fn) => async () => {
      if (await attempt(what, fn)) await refresh();
    };
    queuesBox.replaceChildren(
      ...queues.map((q) => {
        const entries = q.entries ?? [];
        return h(
          "section",
          { class: "panel", "data-queue": q.name, "aria-label": `Queue ${q.name}` },
          h("h2", {}, q.display_name || q.name, h("span", { class: "muted" }, ` · ${entries.length} queued`)),
          entries.length === 0 ? h("p", { class: "muted" }, "Empty") : h(
            "table",
            {},
            h(
              "tbody",
              {},
              entries.map((e, i) =>
                h(
                  "tr",
                  { "data-task": e.task },
                  h("td", {}, String(i + 1)),
                  h("td", {}, h("a", { href: `#/task/${e.task}` }, byId.get(e.task)?.name ?? e.task)),
                  h("td", {}, fmtDate(e.added)),
                  h(
                    "td",
                    {},
                    h("button", {
                      type: "button",
                      disabled: i === 0,
                      "aria-label": "Move up",
                      onclick: act("Move up", () => call("queues.move_task_forward", { queue: q.id, task: e.task })),
                    }, "↑"),
                    " ",
                    h("button", {
                      type: "button",
                      disabled: i === entries.length - 1,
                      "aria-label": "Move down",
                      onclick: act("Move down", () => call("queues.move_task_backward", { queue: q.id, task: e.task })),
                    }, "↓"),
                    " ",
                    h("button", {
                      type: "button",
                      class: "danger",
                      onclick: act("Remove", () => call("tasks.dequeue", { task: e.task })),
                    }, "Remove"),
                  ),
                )
              ),
            ),
          ),
        );
      }),
    );
    workersBox.replaceChildren(
      workers.length === 0 ? h("p", { class: "muted" }, "No worker reported in the last hour") : h(
        "table",
        { "aria-label": "Workers" },
        h(
          "thead",
          {},
          h("tr", {}, ["Worker", "Task", "Queues", "Last report", "Machine"].map((c) => h("th", { scope: "col" }, c))),
        ),
        h(
          "tbody",
          {},
          workers.map((w) =>
            h(
              "tr",
              { "data-worker": w.id },
              h("td", {}, w.id),
              h(
                "td",
                {},
                w.task
                  ? h("a", { href: `#/task/${w.task.id}` }, w.task.name || w.task.id)
                  : h("span", { class: "muted" }, "idle"),
              ),
              h("td", {}, (w.queues ?? []).map((q) => q.name).join(", ")),
              h("td", {}, fmtDate(w.last_activity_time)),
              h("td", { class: "machine" }, machine(figures.get(w.id))),
            )
          ),
        ),
      ),
    );
  };
  return every(3000, refresh);
}
