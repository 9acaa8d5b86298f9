// One task: header with its status and the actions, and the tabs (overview, console, scalars).

import { call, queueNames } from "./api.js";
import { attempt, every, fmtDate, fmtDuration, h, statusBadge, taskDuration } from "./ui.js";
import { mountConsole } from "./console.js";
import { mountScalars } from "./charts.js";
import { overview } from "./task_overview.js";
import { cloneDialog } from "./clone.js";

const TABS = [["overview", "Overview"], ["console", "Console"], ["scalars", "Scalars"]];

/** Mount task `id` with tab `tab` into `root`; returns the unmount function. */
export function mountTask(root, id, tab) {
  const title = h("h1", { id: "task-name" }, "…");
  const status = h("span", { id: "task-status" });
  const facts = h("div", { class: "muted", id: "task-facts" });
  const queueSelect = h("select", { id: "enqueue-queue", "aria-label": "Queue" });
  const btn = (id, label, fn, cls) => h("button", { type: "button", id, class: cls, onclick: fn }, label);
  let task;
  const act = async (what, fn) => {
    if (await attempt(what, fn)) await load();
  };
  const actions = h(
    "div",
    { class: "toolbar", id: "task-actions" },
    btn(
      "act-abort",
      "Abort",
      () => act("Abort", () => call("tasks.stop", { task: id, status_reason: "aborted from the web page" })),
    ),
    btn("act-reset", "Reset", () => act("Reset", () => call("tasks.reset", { task: id }))),
    queueSelect,
    btn(
      "act-enqueue",
      "Enqueue",
      () => act("Enqueue", () => call("tasks.enqueue", { task: id, queue: queueSelect.value })),
    ),
    btn("act-dequeue", "Dequeue", () => act("Dequeue", () => call("tasks.dequeue", { task: id }))),
    btn("act-clone", "Clone…", () => task && cloneDialog(task, [...queues])),
    btn("act-delete", "Delete", async () => {
      if (!confirm(`Delete task "${task?.name ?? id}"?`)) return;
      if (await attempt("Delete", () => call("tasks.delete", { task: id }))) location.hash = "#/tasks";
    }, "danger"),
  );
  const tabs = h(
    "div",
    { class: "tabs", role: "tablist", "aria-label": "Task views" },
    TABS.map(([name, label]) =>
      h("button", {
        type: "button",
        role: "tab",
        id: `tab-${name}`,
        "aria-selected": String(name === tab),
        onclick: () => (location.hash = `#/task/${id}/${name}`),
      }, label)
    ),
  );
  const body = h("div", { role: "tabpanel", "aria-labelledby": `tab-${tab}` });
  root.append(
    h("p", {}, h("a", { href: "#/tasks" }, "← Tasks")),
    title,
    h("div", { class: "toolbar" }, status),
    facts,
    actions,
    tabs,
    body,
  );

  let queues = new Map();
  let first = true;
  let queueSig = "";
  const load = async () => {
    const [data, names] = await Promise.all([call("tasks.get_all_ex", { id: [id] }), queueNames()]);
    task = data.tasks?.[0];
    if (!task) {
      title.textContent = `Task ${id} not found`;
      return;
    }
    queues = names;
    const sig = JSON.stringify([...names]);
    if (sig !== queueSig) {
      // Rebuilt only when the queues change, keeping the choice.
      const chosen = queueSelect.value;
      queueSelect.replaceChildren(
        ...[...names].map(([qid, name]) => h("option", { value: qid, selected: qid === chosen }, name)),
      );
      queueSig = sig;
    }
    title.textContent = task.name || task.id;
    status.replaceChildren(
      statusBadge(task.status),
      task.status_reason ? ` ${task.status_reason}` : "",
      task.status_message ? ` — ${task.status_message}` : "",
    );
    facts.textContent = [
      `id ${task.id}`,
      task.type,
      task.last_worker ? `worker ${task.last_worker}` : "",
      task.started ? `started ${fmtDate(task.started)}` : "",
      taskDuration(task) !== undefined ? `duration ${fmtDuration(taskDuration(task))}` : "",
      task.last_iteration ? `iteration ${task.last_iteration}` : "",
    ].filter(Boolean).join(" · ");
    const s = task.status;
    document.getElementById("act-abort").disabled = !(s === "in_progress" || s === "queued");
    document.getElementById("act-enqueue").disabled = !(s === "created" || s === "stopped" || s === "failed");
    document.getElementById("act-dequeue").disabled = s !== "queued";
    if (first && tab === "overview") overview(body, task, queues);
    first = false;
  };
  const stopTask = every(2000, load);
  let stopTab = () => {};
  if (tab === "console") stopTab = mountConsole(body, id);
  else if (tab === "scalars") stopTab = mountScalars(body, id, () => task);
  return () => {
    stopTask();
    stopTab();
  };
}
