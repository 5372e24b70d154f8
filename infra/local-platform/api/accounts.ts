/** Accounts, zones and token verification: what clients call to find out where they are. */
import { Hono } from "hono";
import { ok, paginate } from "../cloudflare-envelope.ts";
import type { PlatformContext } from "../platform-context.ts";

export function accountRoutes(ctx: PlatformContext): Hono {
  const app = new Hono();
  const account = () => ({
    id: ctx.state.data.accountId,
    name: ctx.state.data.accountName,
    type: "standard",
    settings: { enforce_twofactor: false },
    created_on: "2026-01-01T00:00:00Z",
  });
  const zone = () => ({
    id: ctx.state.data.zoneId,
    name: ctx.state.data.zoneName,
    status: "active",
    paused: false,
    type: "full",
    account: { id: ctx.state.data.accountId, name: ctx.state.data.accountName },
    name_servers: ["ns1.localhost", "ns2.localhost"],
    created_on: "2026-01-01T00:00:00Z",
    modified_on: "2026-01-01T00:00:00Z",
  });

  app.get("/accounts", (c) => {
    const { page, info } = paginate(c, [account()]);
    return ok(c, page, info);
  });
  app.get("/accounts/:account_id", (c) => {
    if (c.req.param("account_id") !== ctx.state.data.accountId) return c.notFound();
    return ok(c, account());
  });
  app.get("/zones", (c) => {
    const name = c.req.query("name");
    const zones = [zone()].filter((z) => name === undefined || z.name === name);
    const { page, info } = paginate(c, zones);
    return ok(c, page, info);
  });
  app.get("/zones/:zone_id", (c) => {
    if (c.req.param("zone_id") !== ctx.state.data.zoneId) return c.notFound();
    return ok(c, zone());
  });
  app.get("/user/tokens/verify", (c) => ok(c, { id: "local-token", status: "active" }));
  app.get("/memberships", (c) =>
    ok(c, [{ id: "local-membership", status: "accepted", account: account(), permissions: {} }], {
      count: 1,
      page: 1,
      per_page: 20,
      total_count: 1,
    }),
  );
  return app;
}
