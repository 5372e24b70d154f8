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
  /** Every field Cloudflare's Zone Details docs (and the SDK's Zone) require, for a zone that never moved. */
  const zone = () => ({
    id: ctx.state.data.zoneId,
    name: ctx.state.data.zoneName,
    status: "active",
    paused: false,
    type: "full",
    account: { id: ctx.state.data.accountId, name: ctx.state.data.accountName },
    owner: { id: ctx.state.data.accountId, name: ctx.state.data.accountName, type: "organization" },
    plan: { id: "enterprise", name: "Enterprise Website", is_subscribed: true },
    meta: { cdn_only: false, dns_only: false, foundation_dns: false, phishing_detected: false, step: 2 },
    development_mode: 0,
    name_servers: ["ns1.localhost", "ns2.localhost"],
    original_name_servers: null,
    original_registrar: null,
    original_dnshost: null,
    created_on: "2026-01-01T00:00:00Z",
    modified_on: "2026-01-01T00:00:00Z",
    activated_on: "2026-01-01T00:00:00Z",
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
