// Queues with their entries (move up/down, remove) and workers with their task, queues and the machine figures
// their running task last reported (`:monitor:machine` / `:monitor:gpu` scalars), refreshed every 3 s.

import { call } from "./api.js";
import { attempt, every, fmtDate, h } from "./ui.js";

/** The last `:monitor:*` values of a task, as `variant → value`. */
export function monitorValues(task) {
  const out = {};
  for (const byVariant of Object.values(task?.last_metrics ?? {})) {
    for (const v of Object.values(byVariant ?? {})) {
      if (typeof v?.metric === "string" && v.metric.startsWith(":monitor:")) out[v.variant] = v.value;
    }
  }
  return out;
}

function bar(label, pct) {
  const v = Math.max(0, Math.min(100, Number(pct) || 0));
  return h(
    "span",
    { title: `${label} ${v.toFixed(0)}%` },
    h(
      "span",
      { class: "bar", role: "img", "aria-label": `${label} ${v.toFixed(0)}%` },
      h("span", { style: `width:${v}%` }),
    ),
    `${label} ${v.toFixed(0)}% `,
  );
}

function machine(values) {
  const parts = [];
  if (values.cpu_usage !== undefined) parts.push(bar("CPU", values.cpu_usage));
  if (values.memory_used_gb !== undefined) {
    const free = values.memory_free_gb;
    parts.push(
      `mem ${Number(values.memory_used_gb).toFixed(1)} GB${
        free !== undefined ? ` (free ${Number(free).toFixed(1)})` : ""
      } `,
    );
  }
  for (const key of Object.keys(values).sort()) {
    const m = /^gpu_(\d+)_utilization$/.exec(key);
    if (!m) continue;
    parts.push(bar(`GPU${m[1]}`, values[key]));
    const mem = values[`gpu_${m[1]}_mem_used_gb`];
    if (mem !== undefined) parts.push(`${Number(mem).toFixed(1)} GB `);
  }
  return parts.length ? parts : h("span", { class: "muted" }, "—");
}

/** Mount the queues and workers view into `root`; returns the unmount function. */
export function mountQueues(root) {
  const queuesBox = h("div", { id: "queues" });
  const workersBox = h("div", { id: "workers" });
  root.append(h("h1", {}, "Queues"), queuesBox, h("h1", {}, "Workers"), workersBox);
  const refresh = async () => {
    const [qs, ws] = await Promise.all([call("queues.get_all_ex", {}), call("workers.get_all", {})]);
    const queues = qs.queues ?? [];
    const workers = ws.workers ?? [];
    const ids = [
      ...new Set([
        ...queues.flatMap((q) => (q.entries ?? []).map((e) => e.task)),
        ...workers.map((w) => w.task?.id).filter(Boolean),
      ]),
    ];
    const tasks = ids.length
      ? (await call("tasks.get_all_ex", { id: ids, only_fields: ["id", "name", "status", "last_metrics"] })).tasks ?? []
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
              h("td", {}, machine(monitorValues(byId.get(w.task?.id)))),
            )
          ),
        ),
      ),
    );
  };
  return every(3000, refresh);
}
