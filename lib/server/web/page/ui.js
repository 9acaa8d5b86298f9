// Small DOM helpers shared by the views.

/** Build an element: `h("a", {href: "#"}, "text", child)`; `on*` attributes become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A coloured status label. */
export function statusBadge(status) {
  return h("span", { class: `status status-${status ?? "unknown"}` }, status ?? "unknown");
}

/** `2026-12-06 04:10:33` in local time, or "". */
export function fmtDate(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${
    p(d.getSeconds())
  }`;
}

/** `1h 02m 03s` for a number of seconds. */
export function fmtDuration(sec) {
  if (sec === undefined || sec === null || Number.isNaN(sec)) return "";
  sec = Math.max(0, Math.round(sec));
  const hh = Math.floor(sec / 3600);
  const mm = Math.floor((sec % 3600) / 60);
  const ss = sec % 60;
  if (hh > 0) return `${hh}h ${String(mm).padStart(2, "0")}m`;
  if (mm > 0) return `${mm}m ${String(ss).padStart(2, "0")}s`;
  return `${ss}s`;
}

/** How long a task ran (or has been running). */
export function taskDuration(task) {
  if (task.status === "in_progress" && task.started) return (Date.now() - Date.parse(task.started)) / 1000;
  if (task.active_duration) return task.active_duration;
  if (task.started && task.completed) return (Date.parse(task.completed) - Date.parse(task.started)) / 1000;
  return undefined;
}

/** Show a short message at the corner; `bad` for errors (kept longer). */
export function toast(message, bad = false) {
  const el = h("div", { class: bad ? "toast bad" : "toast", role: bad ? "alert" : undefined }, message);
  document.getElementById("toasts").append(el);
  setTimeout(() => el.remove(), bad ? 8000 : 3000);
}

/** Run an action; a refusal of the server is shown with its message. Resolves to whether it succeeded. */
export async function attempt(what, fn) {
  try {
    await fn();
    toast(`${what}: done`);
    return true;
  } catch (err) {
    toast(`${what} failed: ${err.message}`, true);
    return false;
  }
}

/** Call `fn` now and every `ms` while the page is visible; returns the stop function. */
export function every(ms, fn) {
  let stopped = false;
  let timer;
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try {
        await fn();
      } catch (err) {
        if (err?.code !== 401) console.warn(err);
      }
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
