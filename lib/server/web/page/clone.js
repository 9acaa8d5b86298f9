// The clone dialog: a new name, edited hyperparameters, and optionally a queue to enqueue the clone to.

import { call } from "./api.js";
import { attempt, h } from "./ui.js";

/** Open the dialog for `task`; `queues` are [id, name] pairs. */
export function cloneDialog(task, queues) {
  const name = h("input", { id: "clone-name", value: `Clone of ${task.name ?? task.id}` });
  const params = [];
  for (const [sec, values] of Object.entries(task.hyperparams ?? {})) {
    for (const [key, p] of Object.entries(values ?? {})) {
      const input = h("input", { value: p?.value ?? "", "data-param": `${sec}/${key}`, "aria-label": `${sec}/${key}` });
      params.push({ section: sec, name: key, original: p?.value ?? "", input });
    }
  }
  const queue = h(
    "select",
    { id: "clone-queue" },
    h("option", { value: "" }, "Do not enqueue"),
    queues.map(([id, n]) => h("option", { value: id }, n)),
  );
  const error = h("p", { class: "error", role: "alert" });
  const dialog = h(
    "dialog",
    { "aria-labelledby": "clone-title" },
    h(
      "form",
      { method: "dialog" },
      h("h2", { id: "clone-title" }, "Clone task"),
      h("label", { for: "clone-name" }, "Name"),
      name,
      params.length ? h("h3", {}, "Hyperparameters") : "",
      params.map((p) => h("label", { class: "param" }, h("span", {}, `${p.section}/${p.name}`), p.input)),
      h("label", { for: "clone-queue" }, "Enqueue to"),
      queue,
      error,
      h(
        "div",
        { class: "toolbar" },
        h("button", { type: "submit", class: "primary", id: "clone-ok", value: "ok" }, "Clone"),
        h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      ),
    ),
  );
  dialog.querySelector("form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    let newId;
    const ok = await attempt("Clone", async () => {
      newId = (await call("tasks.clone", { task: task.id, new_task_name: name.value })).id;
      const edited = params.filter((p) => p.input.value !== String(p.original));
      if (edited.length) {
        await call("tasks.edit_hyper_params", {
          task: newId,
          hyperparams: edited.map((p) => ({ section: p.section, name: p.name, value: p.input.value })),
          replace_hyperparams: "none",
        });
      }
      if (queue.value) await call("tasks.enqueue", { task: newId, queue: queue.value });
    });
    if (!ok) {
      error.textContent = "The server refused the clone (see the message).";
      return;
    }
    dialog.close();
    dialog.remove();
    location.hash = `#/task/${newId}`;
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  name.select();
}
