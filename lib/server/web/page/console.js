// The console tab: the last lines of the task's log, earlier ones on demand, a live tail and a search.

import { call } from "./api.js";
import { every, h } from "./ui.js";

const BATCH = 5000;
const MAX_SHOWN = 20000;

/** Mount the console of task `id` into `body`; returns the unmount function. */
export function mountConsole(body, id) {
  const lines = [];
  let firstTs;
  let lastTs;
  let total = 0;
  const pre = h("pre", { class: "log", id: "log", tabindex: "0", "aria-label": "Console log" });
  const search = h("input", {
    type: "search",
    id: "log-search",
    placeholder: "Search the log",
    "aria-label": "Search the log",
  });
  const follow = h("input", { type: "checkbox", id: "log-follow", checked: true });
  const info = h("span", { class: "muted", id: "log-info" });
  const earlier = h("button", { type: "button", id: "log-earlier" }, "Load earlier lines");
  body.replaceChildren(
    h("div", { class: "toolbar" }, search, h("label", {}, follow, " Follow"), earlier, info),
    pre,
  );

  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const shown = q ? lines.filter((l) => l.toLowerCase().includes(q)) : lines;
    const tail = shown.slice(-MAX_SHOWN);
    if (q) {
      pre.replaceChildren(...tail.flatMap((l) => {
        const i = l.toLowerCase().indexOf(q);
        return [l.slice(0, i), h("mark", {}, l.slice(i, i + q.length)), l.slice(i + q.length) + "\n"];
      }));
    } else pre.textContent = tail.join("\n");
    info.textContent = q
      ? `${shown.length} matching of ${lines.length} lines loaded`
      : `${lines.length} lines loaded (${total} log events)`;
    earlier.disabled = firstTs === undefined || lines.length === 0 || loadedAll;
    if (follow.checked) pre.scrollTop = pre.scrollHeight;
  };
  const split = (events) => events.flatMap((e) => String(e.msg ?? "").replace(/\n$/, "").split("\n"));
  let loadedAll = false;
  let started = false;
  const tick = async () => {
    if (!started) {
      const data = await call("events.get_task_log", { task: id, batch_size: BATCH, order: "asc" });
      const events = data.events ?? [];
      total = data.total ?? events.length;
      loadedAll = events.length >= total;
      if (events.length) {
        firstTs = events[0].timestamp;
        lastTs = events[events.length - 1].timestamp;
      }
      lines.push(...split(events));
      started = true;
      draw();
      return;
    }
    const body = { task: id, batch_size: BATCH, navigate_earlier: false };
    if (lastTs !== undefined) body.from_timestamp = lastTs;
    const data = await call("events.get_task_log", body);
    const events = data.events ?? [];
    if (events.length === 0) return;
    if (firstTs === undefined) firstTs = events[0].timestamp;
    lastTs = events[events.length - 1].timestamp;
    total = data.total ?? total;
    lines.push(...split(events));
    draw();
  };
  earlier.addEventListener("click", async () => {
    const data = await call("events.get_task_log", {
      task: id,
      batch_size: BATCH,
      from_timestamp: firstTs,
      order: "asc",
    });
    const events = data.events ?? [];
    if (events.length === 0) loadedAll = true;
    else {
      firstTs = events[0].timestamp;
      lines.unshift(...split(events));
    }
    follow.checked = false;
    draw();
  });
  let typing;
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(draw, 200);
  });
  const stop = every(1500, tick);
  return () => {
    stop();
    clearTimeout(typing);
  };
}
