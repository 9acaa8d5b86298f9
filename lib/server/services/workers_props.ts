/**
 * `workers.get_runtime_properties` / `workers.set_runtime_properties` — enterprise-only upstream, implemented
 * here because the agent honours the `force` property (`on`/`off`) to override its uptime schedule. Properties
 * belong to a worker id (not to a registration) and may carry an expiry in seconds; an empty value or
 * `expiry: 0` removes one.
 *
 * @module
 */

import { errors } from "../errors.ts";
import type { Doc } from "../json.ts";
import type { CallContext, Registry } from "../registry.ts";

function list(ctx: CallContext, worker: string): Doc[] {
  ctx.db.store.run("DELETE FROM worker_properties WHERE expires_at IS NOT NULL AND expires_at <= ?", ctx.now);
  return ctx.db.store.all("SELECT key, value, expires_at FROM worker_properties WHERE worker = ? ORDER BY key", worker)
    .map((r) => ({
      key: r.key,
      value: r.value,
      // Seconds left, as the agent prints "expires at now + expiry".
      expiry: r.expires_at === null ? null : Math.max(0, Math.ceil((Number(r.expires_at) - ctx.now) / 1000)),
    }));
}

function set(ctx: CallContext): Doc {
  const p = ctx.params;
  const worker = p.reqStr("worker");
  const props = p.objList("runtime_properties");
  if (props === undefined) throw errors.validation("missing required field", { field: "runtime_properties" });
  const added: string[] = [];
  const removed: string[] = [];
  for (const prop of props) {
    if (typeof prop.key !== "string" || prop.key === "") {
      throw errors.validation("runtime property key is required", { field: "runtime_properties.key" });
    }
    const expiry = prop.expiry;
    if (expiry !== undefined && expiry !== null && (typeof expiry !== "number" || expiry < 0)) {
      throw errors.validation("invalid field type", { field: "runtime_properties.expiry", expected: "number" });
    }
    // An empty value, or an expiry of 0, removes the property.
    if (prop.value === undefined || prop.value === null || prop.value === "" || expiry === 0) {
      ctx.db.store.run("DELETE FROM worker_properties WHERE worker = ? AND key = ?", worker, prop.key);
      removed.push(prop.key);
      continue;
    }
    const expiresAt = typeof expiry === "number" && expiry > 0 ? ctx.now + expiry * 1000 : null;
    ctx.db.store.run(
      "INSERT INTO worker_properties (worker, key, value, expires_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (worker, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
      worker,
      prop.key,
      String(prop.value),
      expiresAt,
    );
    added.push(prop.key);
  }
  return { added, removed };
}

/** Register the runtime-properties endpoints. */
export function registerWorkerProperties(reg: Registry): void {
  reg.add(
    {
      name: "workers.get_runtime_properties",
      minVersion: "2.10",
      handler: (ctx) => ({ runtime_properties: list(ctx, ctx.params.reqStr("worker")) }),
    },
    { name: "workers.set_runtime_properties", minVersion: "2.10", handler: set },
  );
}
