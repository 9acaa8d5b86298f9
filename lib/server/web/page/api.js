// The page's only way to the server: the ClearML API (same origin, session cookie) and the sign-in route.

/** An API call the server refused: its message, HTTP code and subcode. */
export class ApiError extends Error {
  constructor(message, code, subcode) {
    super(message);
    this.code = code;
    this.subcode = subcode;
  }
}

let unauthorized = () => {};

/** Called whenever the server answers 401 (no or expired session). */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

/** Call `service.action` with a JSON body; resolves to `data`, throws `ApiError` with the server's message. */
export async function call(endpoint, body = {}) {
  let res;
  try {
    res = await fetch(`/${endpoint}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (err) {
    throw new ApiError(`The server cannot be reached (${err.message})`, 0, 0);
  }
  let envelope;
  try {
    envelope = await res.json();
  } catch {
    throw new ApiError(`${endpoint}: HTTP ${res.status} without an answer`, res.status, 0);
  }
  const meta = envelope.meta ?? {};
  if (res.status === 401) {
    unauthorized();
    throw new ApiError(meta.result_msg ?? "Unauthorized", 401, meta.result_subcode ?? 0);
  }
  if (res.status !== 200) {
    throw new ApiError(meta.result_msg ?? `HTTP ${res.status}`, res.status, meta.result_subcode ?? 0);
  }
  return envelope.data ?? {};
}

/** Exchange a key pair for the session cookie; resolves to `{ok}` or `{ok: false, error}`. */
export async function signIn(accessKey, secretKey) {
  const res = await fetch("/web/session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ access_key: accessKey, secret_key: secretKey }),
    credentials: "same-origin",
  });
  const data = await res.json().catch(() => ({}));
  return res.ok ? { ok: true, user: data.user } : { ok: false, error: data.error ?? `HTTP ${res.status}` };
}

/** Drop the session cookie. */
export async function signOut() {
  await fetch("/web/session", { method: "DELETE", credentials: "same-origin" });
}

/** id → name of every project (for the task table). */
export async function projectNames() {
  const data = await call("projects.get_all", { only_fields: ["id", "name"] });
  return new Map((data.projects ?? []).map((p) => [p.id, p.name]));
}

/** id → name of every queue. */
export async function queueNames() {
  const data = await call("queues.get_all", { only_fields: ["id", "name"] });
  return new Map((data.queues ?? []).map((q) => [q.id, q.name]));
}
