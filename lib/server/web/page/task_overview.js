// The overview tab of a task: execution, script, hyperparameters, configuration, requirements, artifacts, models.

import { call } from "./api.js";
import { fmtDate, h } from "./ui.js";

function kv(pairs) {
  return h(
    "dl",
    { class: "kv" },
    pairs.filter(([, v]) => v !== undefined && v !== "").flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );
}

function section(title, ...content) {
  return h("section", { class: "panel", "aria-label": title }, h("h2", {}, title), ...content);
}

/** A link to a stored file: only http(s) addresses become links (the files server's among them). */
function fileLink(uri) {
  if (!uri) return "";
  return /^https?:\/\//.test(uri) ? h("a", { href: uri, download: "" }, uri) : uri;
}

function hyperparams(task) {
  const rows = [];
  for (const [sec, params] of Object.entries(task.hyperparams ?? {})) {
    for (const [name, p] of Object.entries(params ?? {})) rows.push([sec, name, p?.value ?? ""]);
  }
  if (rows.length === 0) return h("p", { class: "muted" }, "No hyperparameters");
  return h(
    "table",
    { id: "hyperparams" },
    h("thead", {}, h("tr", {}, h("th", {}, "Section"), h("th", {}, "Name"), h("th", {}, "Value"))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))),
  );
}

async function models(task) {
  const refs = [...(task.models?.input ?? []), ...(task.models?.output ?? [])];
  if (refs.length === 0) return h("p", { class: "muted" }, "No models");
  const data = await call("models.get_all", { id: refs.map((m) => m.model), only_fields: ["id", "name", "uri"] });
  const byId = new Map((data.models ?? []).map((m) => [m.id, m]));
  const row = (kind) => (m) =>
    h("tr", {}, h("td", {}, kind), h("td", {}, m.name ?? ""), h("td", {}, fileLink(byId.get(m.model)?.uri)));
  return h(
    "table",
    { id: "models" },
    h("tbody", {}, (task.models?.input ?? []).map(row("input")), (task.models?.output ?? []).map(row("output"))),
  );
}

/** Fill `body` with the overview of `task`. */
export async function overview(body, task, queues) {
  const ex = task.execution ?? {};
  const script = task.script ?? {};
  const artifacts = ex.artifacts ?? [];
  const req = script.requirements ?? {};
  const configs = Object.entries(task.configuration ?? {});
  body.replaceChildren(
    section(
      "Execution",
      kv([
        ["Status", task.status],
        ["Reason", task.status_reason],
        ["Message", task.status_message],
        ["Queue", queues.get(ex.queue) ?? ex.queue],
        ["Worker", task.last_worker],
        ["Created", fmtDate(task.created)],
        ["Started", fmtDate(task.started)],
        ["Completed", fmtDate(task.completed)],
        ["Container", task.container?.image],
      ]),
    ),
    section(
      "Script",
      kv([
        ["Repository", script.repository],
        ["Branch", script.branch],
        ["Commit", script.version_num],
        ["Working dir", script.working_dir],
        ["Entry point", script.entry_point],
        ["Binary", script.binary],
      ]),
      script.diff ? h("details", {}, h("summary", {}, "Uncommitted changes"), h("pre", {}, script.diff)) : "",
    ),
    section("Hyperparameters", hyperparams(task)),
    section(
      "Configuration",
      configs.length === 0 ? h("p", { class: "muted" }, "No configuration") : configs.map(([name, c]) =>
        h(
          "details",
          {},
          h("summary", {}, name),
          h("pre", {}, typeof c?.value === "string" ? c.value : JSON.stringify(c)),
        )
      ),
    ),
    section(
      "Requirements",
      Object.keys(req).length === 0
        ? h("p", { class: "muted" }, "None recorded")
        : Object.entries(req).map(([k, v]) =>
          h(
            "details",
            {},
            h("summary", {}, k === "org_pip" ? "pip (original)" : k === "pip" ? "pip (installed)" : k),
            h("pre", {}, typeof v === "string" ? v : JSON.stringify(v, null, 2)),
          )
        ),
    ),
    section(
      "Artifacts",
      artifacts.length === 0 ? h("p", { class: "muted" }, "No artifacts") : h(
        "table",
        { id: "artifacts" },
        h(
          "tbody",
          {},
          artifacts.map((a) =>
            h("tr", {}, h("td", {}, a.key), h("td", {}, a.type ?? ""), h("td", {}, fileLink(a.uri)))
          ),
        ),
      ),
    ),
    section("Models", await models(task).catch((err) => h("p", { class: "error" }, err.message))),
  );
}
