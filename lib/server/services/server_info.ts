/**
 * `server.info` and `debug.ping` (no credentials), and `users.get_current_user`.
 *
 * @module
 */

import { SERVER_EXTENSIONS, SERVER_VERSION } from "../auth/auth.ts";
import { MAX_VERSION, type Registry } from "../registry.ts";
import { EMBEDDED_BUILD, VERSION } from "../../version.ts";
import { COMPANY_NAME } from "../storage/model.ts";

/** Our long-poll extension, as described in `server.info` (a real ClearML server has no such key). */
export const EXTENSIONS_INFO = {
  names: SERVER_EXTENSIONS,
  long_poll: {
    endpoint: "queues.get_next_task",
    field: "wait_ms",
    max_ms: 25_000,
    description: "with wait_ms > 0 an empty queue answers only when a task arrives or wait_ms passes",
  },
};

/** Register the info endpoints. */
export function registerServerInfo(reg: Registry): void {
  const base = { version: SERVER_VERSION, build: `${EMBEDDED_BUILD} ${VERSION}`, commit: "" };
  reg.add(
    { name: "server.info", minVersion: "1.0", authorize: false, handler: () => ({ ...base }) },
    {
      name: "server.info",
      minVersion: "2.8",
      authorize: false,
      handler: (ctx) => ({ ...base, uid: ctx.app.serverUid }),
    },
    {
      name: "server.info",
      minVersion: "2.12",
      authorize: false,
      handler: (ctx) => ({
        ...base,
        uid: ctx.app.serverUid,
        api_version: MAX_VERSION,
        ...(ctx.app.longPoll ? { extensions: EXTENSIONS_INFO } : {}),
      }),
    },
    {
      name: "debug.ping",
      minVersion: "1.0",
      authorize: false,
      tx: false,
      handler: (ctx) => ({ ...ctx.params.body, msg: "ClearML server" }),
    },
    {
      name: "users.get_current_user",
      minVersion: "1.0",
      handler: (ctx) => {
        const row = ctx.db.store.get("SELECT doc FROM users WHERE id = ?", ctx.identity.user);
        const doc = row ? JSON.parse(String(row.doc)) : { id: ctx.identity.user, name: ctx.identity.user_name };
        return {
          user: {
            ...doc,
            role: doc.role ?? ctx.identity.role,
            company: { id: ctx.identity.company, name: COMPANY_NAME },
          },
          getting_started: {},
          settings: { max_download_items: 1000 },
        };
      },
    },
  );
}
