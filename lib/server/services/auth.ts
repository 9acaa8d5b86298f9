/**
 * `auth.*`: token login and credential management (server-api.md §2.3, §2.6).
 *
 * @module
 */

import { MAX_TOKEN_SEC } from "../auth/auth.ts";
import type { Registry } from "../registry.ts";

/** Register the auth endpoints. */
export function registerAuth(reg: Registry): void {
  reg.add(
    {
      name: "auth.login",
      minVersion: "1.0",
      tx: false,
      handler: async (ctx) => {
        const exp = ctx.params.int("expiration_sec", { min: 1, max: MAX_TOKEN_SEC });
        return { token: await ctx.app.issueToken(ctx.identity, exp) };
      },
    },
    {
      name: "auth.logout",
      minVersion: "2.2",
      handler: () => ({}),
    },
    {
      name: "auth.create_credentials",
      minVersion: "1.0",
      handler: (ctx) => ({
        credentials: ctx.app.credentials.create(ctx.identity.user, ctx.params.str("label"), ctx.now),
      }),
    },
    {
      name: "auth.get_credentials",
      minVersion: "1.0",
      handler: (ctx) => ({ credentials: ctx.app.credentials.list(ctx.identity.user) }),
    },
    {
      name: "auth.revoke_credentials",
      minVersion: "1.0",
      handler: (ctx) => ({
        revoked: ctx.app.credentials.revoke(ctx.identity.user, ctx.params.reqStr("access_key")),
      }),
    },
    {
      name: "auth.edit_credentials",
      minVersion: "2.19",
      handler: (ctx) => ({
        updated: ctx.app.credentials.edit(
          ctx.identity.user,
          ctx.params.reqStr("access_key"),
          ctx.params.str("label") ?? "",
        ),
      }),
    },
    {
      name: "auth.fixed_users_mode",
      minVersion: "1.0",
      authorize: false,
      tx: false,
      handler: () => ({ enabled: false, guest: { enabled: false }, server_errors: {} }),
    },
  );
}
