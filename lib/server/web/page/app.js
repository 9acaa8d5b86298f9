// The page's entry: sign-in, the router (`#/tasks`, `#/task/<id>`, `#/queues`) and the header.

import { call, onUnauthorized, signIn, signOut } from "./api.js";
import { h } from "./ui.js";
import { mountTaskList } from "./tasks.js";
import { mountTask } from "./task.js";
import { mountQueues } from "./queues.js";

const main = document.getElementById("main");
let unmount = () => {};
let signedIn = false;
let confirmed = false;

function route() {
  const hash = location.hash || "#/tasks";
  const [path, query = ""] = hash.slice(1).split("?");
  const parts = path.split("/").filter(Boolean);
  return { view: parts[0] ?? "tasks", id: parts[1], tab: parts[2], params: new URLSearchParams(query) };
}

function setView(node) {
  main.replaceChildren(node);
}

function render() {
  unmount();
  unmount = () => {};
  if (!signedIn) return;
  const r = route();
  for (const a of document.querySelectorAll("[data-nav]")) {
    const current = a.dataset.nav === r.view || (a.dataset.nav === "tasks" && r.view === "task");
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const root = h("div");
  setView(root);
  if (r.view === "task" && r.id) unmount = mountTask(root, r.id, r.tab ?? "overview");
  else if (r.view === "queues") unmount = mountQueues(root);
  else unmount = mountTaskList(root, r.params);
}

function showSignIn(message = "") {
  signedIn = false;
  confirmed = false;
  unmount();
  unmount = () => {};
  document.getElementById("signout").hidden = true;
  document.querySelector(".top nav").hidden = true;
  document.getElementById("who").textContent = "";
  const error = h("p", { class: "error", id: "signin-error", role: "alert" }, message);
  const access = h("input", { id: "access-key", name: "access_key", autocomplete: "username", required: true });
  const secret = h("input", {
    id: "secret-key",
    name: "secret_key",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const form = h(
    "form",
    { class: "panel signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"),
    h("p", { class: "muted" }, "Use the server's access key and secret (clearml.conf.snippet in its data folder)."),
    h("label", { for: "access-key" }, "Access key"),
    access,
    h("label", { for: "secret-key" }, "Secret key"),
    secret,
    error,
    h("button", { class: "primary", type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const r = await signIn(access.value.trim(), secret.value);
    if (!r.ok) {
      error.textContent = r.error;
      secret.select();
      return;
    }
    await start();
  });
  setView(form);
  access.focus();
}

async function start() {
  // The view is drawn at once (its calls carry the cookie); who is signed in comes alongside. A 401 from any of
  // them shows the sign-in form, with a message only when this session had been confirmed before.
  signedIn = true;
  confirmed = false;
  document.querySelector(".top nav").hidden = false;
  render();
  try {
    const me = await call("users.get_current_user");
    const user = me.user ?? {};
    document.getElementById("who").textContent = user.name ?? user.id ?? "";
    document.getElementById("signout").hidden = false;
    confirmed = true;
  } catch (err) {
    if (err.code !== 401) showSignIn(`The server cannot be read: ${err.message}`);
  }
}

onUnauthorized(() => {
  // An expired session goes back to sign-in; the address (location.hash) is kept, so the same view comes back.
  if (signedIn && confirmed) showSignIn("Your session has ended: sign in again.");
  else if (!document.getElementById("signin-title")) showSignIn();
});
document.getElementById("signout").addEventListener("click", async () => {
  await signOut();
  showSignIn();
});
addEventListener("hashchange", () => render());
start();
