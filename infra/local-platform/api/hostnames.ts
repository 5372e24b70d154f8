/**
 * Custom hostnames (Cloudflare for SaaS) and regional hostnames (Regional Services).
 *
 * Locally no certificate authority or DNS exists, so a new custom hostname walks Cloudflare's
 * documented states on a clock: `pending` + ssl `initializing` (no validation records yet, as the
 * POST response often has none), then ssl `pending_validation` with validation records, then
 * `active` / ssl `active` once `hostnameActivationMs` has passed.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { badRequest, conflict, jsonBody, notFound, ok, okWithoutResult, paginate } from "../cloudflare-envelope.ts";
import { requireAccount, requireZone, type PlatformContext } from "../platform-context.ts";
import { nowIso, type CustomHostnameRecord } from "../platform-state.ts";

const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Regions a regional hostname can be pinned to; clients must look keys up, not hard-code them. */
const REGIONS = [
  { key: "eu", label: "European Union" },
  { key: "gb", label: "United Kingdom" },
  { key: "us", label: "United States" },
  { key: "ca", label: "Canada" },
  { key: "au", label: "Australia" },
  { key: "jp", label: "Japan" },
] as const;

const SslSchema = z.object({
  method: z.enum(["http", "txt", "email"]).default("http"),
  type: z.literal("dv").default("dv"),
  settings: z.record(z.string(), z.unknown()).optional(),
  bundle_method: z.string().optional(),
  wildcard: z.boolean().optional(),
});

export function hostnameRoutes(ctx: PlatformContext): Hono {
  const app = new Hono();
  const { state } = ctx;
  const base = "/zones/:zone_id/custom_hostnames";

  const view = (record: CustomHostnameRecord) => {
    const age = ctx.now() - Date.parse(record.createdAt);
    const active = age >= ctx.hostnameActivationMs;
    const validating = !active && age >= ctx.hostnameActivationMs / 2;
    const validationRecords =
      record.sslMethod === "txt"
        ? [{ txt_name: `_acme-challenge.${record.hostname}`, txt_value: record.validationToken, status: "pending" }]
        : record.sslMethod === "http"
          ? [
              {
                http_url: `http://${record.hostname}/.well-known/acme-challenge/${record.validationToken.slice(0, 20)}`,
                http_body: record.validationToken,
                status: "pending",
              },
            ]
          : [{ emails: [`admin@${record.hostname}`], status: "pending" }];
    return {
      id: record.id,
      hostname: record.hostname,
      status: active ? "active" : "pending",
      created_at: record.createdAt,
      ssl: {
        id: record.sslId,
        type: record.sslType,
        method: record.sslMethod,
        status: active ? "active" : validating ? "pending_validation" : "initializing",
        settings: record.sslSettings,
        bundle_method: "ubiquitous",
        certificate_authority: "google",
        ...(validating ? { validation_records: validationRecords } : {}),
        ...(active
          ? { issuer: "LocalCA", expires_on: new Date(Date.parse(record.createdAt) + 90 * 86400_000).toISOString() }
          : {}),
      },
      ownership_verification: {
        type: "txt",
        name: `_cf-custom-hostname.${record.hostname}`,
        value: record.ownershipValue,
      },
      ownership_verification_http: {
        http_url: `http://${record.hostname}/.well-known/cf-custom-hostname-challenge/${record.id}`,
        http_body: record.ownershipValue,
      },
      ...(active ? {} : { verification_errors: [] }),
      ...(record.customOriginServer === undefined ? {} : { custom_origin_server: record.customOriginServer }),
      ...(record.customMetadata === undefined ? {} : { custom_metadata: record.customMetadata }),
    };
  };
  const requireHostname = (c: Context): CustomHostnameRecord => {
    requireZone(ctx, c);
    const record = state.data.customHostnames[c.req.param("custom_hostname_id")!];
    if (record === undefined) throw notFound(1436, "The custom hostname was not found.");
    return record;
  };

  // The fallback origin: where custom hostnames' traffic goes, and what tenants CNAME to. It is
  // active once a proxied DNS record of the zone names it (Cloudflare's "originless" AAAA 100::
  // record when a Worker is the origin), pending until then.
  // Registered before `/:custom_hostname_id` so that it is not taken for an id.
  const fallbackView = (origin: string) => {
    const served = Object.values(state.data.dnsRecords).some((r) => r.name === origin && r.proxied && r.type !== "TXT");
    return {
      origin,
      status: served ? "active" : "pending_deployment",
      errors: served ? [] : [`No proxied DNS record for ${origin} in the zone`],
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
    };
  };
  app.get(`${base}/fallback_origin`, (c) => {
    requireZone(ctx, c);
    // None set yet: 404 (the code is ours; Cloudflare documents none for this case).
    if (state.data.fallbackOrigin === undefined) throw notFound(1551, "No fallback origin is set for this zone");
    return ok(c, fallbackView(state.data.fallbackOrigin));
  });
  app.put(`${base}/fallback_origin`, async (c) => {
    requireZone(ctx, c);
    const body = await jsonBody(c, z.object({ origin: z.string().regex(HOSTNAME, "not a valid hostname") }));
    state.data.fallbackOrigin = body.origin;
    state.save();
    return ok(c, fallbackView(body.origin));
  });
  app.delete(`${base}/fallback_origin`, (c) => {
    requireZone(ctx, c);
    if (state.data.fallbackOrigin === undefined) throw notFound(1551, "No fallback origin is set for this zone");
    const removed = fallbackView(state.data.fallbackOrigin);
    delete state.data.fallbackOrigin;
    state.save();
    return ok(c, removed);
  });

  app.post(base, async (c) => {
    requireZone(ctx, c);
    const body = await jsonBody(
      c,
      z.object({
        hostname: z
          .string()
          .transform((h) => h.toLowerCase().replace(/\.$/, ""))
          .pipe(z.string().regex(HOSTNAME, "not a valid hostname")),
        ssl: SslSchema.default({ method: "http", type: "dv" }),
        custom_origin_server: z.string().optional(),
        custom_origin_sni: z.string().optional(),
        custom_metadata: z.record(z.string(), z.unknown()).optional(),
      }),
    );
    // Cloudflare's refusals of reserved names, in its words; `.localhost` is allowed here, the one
    // difference, since it is what local tenants use.
    if (/\.(test|example|invalid)$/.test(body.hostname)) {
      throw badRequest(
        1409,
        "Reserved top domain custom hostnames, such as 'test', 'example', 'invalid' or 'localhost', " +
          "is not supported. Check your input and try again.",
      );
    }
    if (/(^|\.)example\.(com|net|org)$/.test(body.hostname)) {
      throw badRequest(
        1411,
        "Custom hostnames ending in example.com, example.net, or example.org are prohibited. " +
          "Check your input and try again.",
      );
    }
    if (Object.values(state.data.customHostnames).some((h) => h.hostname === body.hostname)) {
      throw conflict(1406, "Duplicate custom hostname found.");
    }
    const record: CustomHostnameRecord = {
      id: randomUUID(),
      hostname: body.hostname,
      createdAt: new Date(ctx.now()).toISOString(),
      sslMethod: body.ssl.method,
      sslType: "dv",
      sslSettings: body.ssl.settings ?? {},
      sslId: randomUUID(),
      ownershipValue: randomUUID(),
      validationToken: randomBytes(24).toString("base64url"),
      ...(body.custom_origin_server === undefined ? {} : { customOriginServer: body.custom_origin_server }),
      ...(body.custom_metadata === undefined ? {} : { customMetadata: body.custom_metadata }),
    };
    state.data.customHostnames[record.id] = record;
    state.save();
    // Cloudflare answers a new custom hostname with 201 Created.
    return ok(c, view(record), undefined, 201);
  });

  app.get(base, (c) => {
    requireZone(ctx, c);
    // Cloudflare takes `hostname` (contains) and `hostname.exact` / `.contain` / `.startsWith`;
    // the SDK sends the nested form, with dots or brackets.
    const filter = (op: string) => (c.req.query(`hostname.${op}`) ?? c.req.query(`hostname[${op}]`))?.toLowerCase();
    const exact = filter("exact");
    const contain = filter("contain") ?? c.req.query("hostname")?.toLowerCase();
    const startsWith = filter("startsWith");
    const id = c.req.query("id");
    const all = Object.values(state.data.customHostnames)
      .filter(
        (h) =>
          (exact === undefined || h.hostname === exact) &&
          (contain === undefined || h.hostname.includes(contain)) &&
          (startsWith === undefined || h.hostname.startsWith(startsWith)) &&
          (id === undefined || h.id === id),
      )
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const { page, info } = paginate(c, all.map(view), 20, 50);
    return ok(c, page, info);
  });
  app.get(`${base}/:custom_hostname_id`, (c) => ok(c, view(requireHostname(c))));
  app.patch(`${base}/:custom_hostname_id`, async (c) => {
    const record = requireHostname(c);
    const body = await jsonBody(
      c,
      z
        .object({
          ssl: SslSchema.partial().optional(),
          custom_origin_server: z.string().optional(),
          custom_metadata: z.record(z.string(), z.unknown()).optional(),
        })
        .strict(),
    );
    if (body.ssl?.method !== undefined) record.sslMethod = body.ssl.method;
    if (body.ssl?.settings !== undefined) record.sslSettings = body.ssl.settings;
    if (body.custom_origin_server !== undefined) record.customOriginServer = body.custom_origin_server;
    if (body.custom_metadata !== undefined) record.customMetadata = body.custom_metadata;
    state.save();
    // Cloudflare answers an edit with 202 Accepted (validation starts again in the background).
    return ok(c, view(record), undefined, 202);
  });
  app.delete(`${base}/:custom_hostname_id`, (c) => {
    const record = requireHostname(c);
    delete state.data.customHostnames[record.id];
    state.save();
    // Cloudflare's docs answer the bare `{ id }`, no envelope, and the SDK returns the body whole
    // (its CustomHostnameDeleteResponse is `{ id? }`). Nothing here reads it.
    return c.json({ id: record.id });
  });

  // Regional hostnames.
  app.get("/accounts/:account_id/addressing/regional_hostnames/regions", (c) => {
    requireAccount(ctx, c);
    return ok(c, REGIONS, { count: REGIONS.length, page: 1, per_page: REGIONS.length, total_count: REGIONS.length });
  });
  const regionalBase = "/zones/:zone_id/addressing/regional_hostnames";
  const regionalView = (h: { hostname: string; regionKey: string; routing: string; createdOn: string }) => ({
    hostname: h.hostname,
    region_key: h.regionKey,
    routing: h.routing,
    created_on: h.createdOn,
  });
  const requireRegional = (c: Context) => {
    requireZone(ctx, c);
    const record = state.data.regionalHostnames[c.req.param("hostname")!.toLowerCase()];
    if (record === undefined) throw notFound(1003, "Regional hostname not found");
    return record;
  };
  app.post(regionalBase, async (c) => {
    requireZone(ctx, c);
    const body = await jsonBody(
      c,
      z.object({
        hostname: z
          .string()
          .transform((h) => h.toLowerCase().replace(/\.$/, ""))
          .pipe(z.string().regex(/^(\*\.)?[a-z0-9.-]+$/, "not a valid hostname")),
        region_key: z.string().min(1),
        routing: z.string().optional(),
      }),
    );
    if (!REGIONS.some((r) => r.key === body.region_key))
      throw badRequest(1002, `Unknown region_key '${body.region_key}'; list the regions to find a valid key`);
    // Cloudflare's API: the hostname "must be a subdomain of the zone" (one level of wildcard allowed).
    const zoneName = state.data.zoneName;
    const bare = body.hostname.replace(/^\*\./, "");
    if (bare !== zoneName && !bare.endsWith(`.${zoneName}`)) {
      throw badRequest(1001, `Regional hostname '${body.hostname}' must be a subdomain of the zone ${zoneName}`);
    }
    if (state.data.regionalHostnames[body.hostname] !== undefined)
      throw conflict(1004, "A regional hostname for this hostname already exists");
    const record = {
      hostname: body.hostname,
      regionKey: body.region_key,
      routing: body.routing ?? "dns",
      createdOn: nowIso(),
    };
    state.data.regionalHostnames[record.hostname] = record;
    state.save();
    return ok(c, regionalView(record));
  });
  app.get(regionalBase, (c) => {
    requireZone(ctx, c);
    return ok(c, Object.values(state.data.regionalHostnames).map(regionalView));
  });
  app.get(`${regionalBase}/:hostname`, (c) => ok(c, regionalView(requireRegional(c))));
  app.patch(`${regionalBase}/:hostname`, async (c) => {
    const record = requireRegional(c);
    const body = await jsonBody(c, z.object({ region_key: z.string().min(1) }).strict());
    if (!REGIONS.some((r) => r.key === body.region_key))
      throw badRequest(1002, `Unknown region_key '${body.region_key}'`);
    record.regionKey = body.region_key;
    state.save();
    return ok(c, regionalView(record));
  });
  app.delete(`${regionalBase}/:hostname`, (c) => {
    const record = requireRegional(c);
    delete state.data.regionalHostnames[record.hostname];
    state.save();
    return okWithoutResult(c);
  });

  return app;
}
