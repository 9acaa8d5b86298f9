// The task table: filter by project, status and text, sort by a column, page through, refreshed every 3 s.

import { call, projectNames, queueNames } from "./api.js";
import { every, fmtDate, fmtDuration, h, statusBadge, taskDuration } from "./ui.js";

const PAGE_SIZE = 50;
const DEFAULT_SORT = "-last_update";
const STATUSES = ["created", "queued", "in_progress", "stopped", "completed", "failed", "closed", "published"];
const FIELDS = [
  "id",
  "name",
  "project",
  "status",
  "type",
  "execution.queue",
  "last_worker",
  "started",
  "completed",
  "active_duration",
  "last_iteration",
];

/** name, label, order_by field (none: not sortable), cell. */
const COLUMNS = [
  ["name", "Name", "name", (t) => h("a", { href: `#/task/${t.id}` }, t.name || t.id)],
  ["project", "Project", null, (t, m) => m.projects.get(t.project) ?? ""],
  ["status", "Status", "status", (t) => statusBadge(t.status)],
  ["type", "Type", "type", (t) => t.type ?? ""],
  ["queue", "Queue", null, (t, m) => m.queues.get(t.execution?.queue) ?? ""],
  ["worker", "Worker", "last_worker", (t) => t.last_worker ?? ""],
  ["started", "Started", "started", (t) => fmtDate(t.started)],
  ["duration", "Duration", "active_duration", (t) => fmtDuration(taskDuration(t))],
  ["iteration", "Last iteration", "last_iteration", (t) => t.last_iteration ?? ""],
];

/** The request of one page of tasks for the filters in `state`. */
export function taskQuery(state) {
  const body = {
    only_fields: FIELDS,
    order_by: [state.sort],
    page: state.page,
    page_size: PAGE_SIZE,
    system_tags: ["-archived"],
  };
  if (state.project) body.project = [state.project];
  if (state.status) body.status = [state.status];
  if (state.q) body.search_text = state.q;
  return body;
}

/** Mount the list into `root`; `params` are the address's filters. Returns the unmount function. */
export function mountTaskList(root, params) {
  const state = {
    project: params.get("project") ?? "",
    status: params.get("status") ?? "",
    q: params.get("q") ?? "",
    sort: params.get("sort") ?? DEFAULT_SORT,
    page: Number(params.get("page") ?? 0),
  };
  const maps = { projects: new Map(), queues: new Map() };
  const projectSelect = h(
    "select",
    { id: "filter-project", "aria-label": "Project" },
    h("option", { value: "" }, "All"),
  );
  const statusSelect = h(
    "select",
    { id: "filter-status", "aria-label": "Status" },
    h("option", { value: "" }, "Any status"),
    STATUSES.map((s) => h("option", { value: s, selected: s === state.status }, s)),
  );
  const search = h("input", { id: "filter-text", type: "search", placeholder: "Search name, id…", value: state.q });
  const pageInfo = h("span", { class: "muted", id: "page-info" });
  const prev = h("button", { type: "button", id: "page-prev" }, "← Previous");
  const next = h("button", { type: "button", id: "page-next" }, "Next →");
  const tbody = h("tbody", { id: "task-rows" });
  const head = h("tr");
  const table = h("table", { class: "tasks", "aria-label": "Tasks" }, h("thead", {}, head), tbody);
  root.append(
    h("h1", {}, "Tasks"),
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "filter-project" }, "Project"),
      projectSelect,
      h("label", { for: "filter-status" }, "Status"),
      statusSelect,
      search,
      prev,
      pageInfo,
      next,
    ),
    table,
  );

  const keepAddress = () => {
    const q = new URLSearchParams();
    for (const k of ["project", "status", "q"]) if (state[k]) q.set(k, state[k]);
    if (state.sort !== DEFAULT_SORT) q.set("sort", state.sort);
    if (state.page) q.set("page", String(state.page));
    history.replaceState(null, "", `#/tasks${q.size ? `?${q}` : ""}`);
  };
  const drawHead = () => {
    head.replaceChildren(...COLUMNS.map(([, label, field]) => {
      if (!field) return h("th", { scope: "col" }, label);
      const dir = state.sort === field ? "ascending" : state.sort === `-${field}` ? "descending" : undefined;
      const btn = h("button", { type: "button" }, label, dir === "ascending" ? " ▲" : dir === "descending" ? " ▼" : "");
      btn.addEventListener("click", () => {
        state.sort = state.sort === `-${field}` ? field : `-${field}`;
        state.page = 0;
        refresh();
      });
      return h("th", { scope: "col", "aria-sort": dir ?? "none" }, btn);
    }));
  };
  let seq = 0;
  const refresh = async () => {
    const mine = ++seq;
    keepAddress();
    drawHead();
    const [data] = await Promise.all([call("tasks.get_all_ex", taskQuery(state)), names?.catch(() => {})]);
    if (mine !== seq) return;
    const tasks = data.tasks ?? [];
    tbody.replaceChildren(
      ...tasks.map((t) =>
        h("tr", { "data-id": t.id }, COLUMNS.map(([name, , , cell]) => h("td", { class: `c-${name}` }, cell(t, maps))))
      ),
    );
    if (tasks.length === 0) tbody.append(h("tr", {}, h("td", { colspan: COLUMNS.length, class: "muted" }, "No tasks")));
    pageInfo.textContent = `Page ${state.page + 1}`;
    prev.disabled = state.page === 0;
    next.disabled = tasks.length < PAGE_SIZE;
  };
  const loadNames = async () => {
    [maps.projects, maps.queues] = await Promise.all([projectNames(), queueNames()]);
    const options = [...maps.projects].sort((a, b) => a[1].localeCompare(b[1]));
    projectSelect.replaceChildren(
      h("option", { value: "" }, "All"),
      options.map(([id, name]) => h("option", { value: id, selected: id === state.project }, name)),
    );
  };
  const changed = (fn) => () => {
    fn();
    state.page = 0;
    refresh();
  };
  projectSelect.addEventListener("change", changed(() => state.project = projectSelect.value));
  statusSelect.addEventListener("change", changed(() => state.status = statusSelect.value));
  let typing;
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(changed(() => state.q = search.value.trim()), 250);
  });
  prev.addEventListener("click", () => {
    state.page = Math.max(0, state.page - 1);
    refresh();
  });
  next.addEventListener("click", () => {
    state.page++;
    refresh();
  });
  let names;
  const stopNames = every(15000, () => (names = loadNames()));
  const stop = every(3000, refresh);
  return () => {
    stop();
    stopNames();
    clearTimeout(typing);
  };
}
