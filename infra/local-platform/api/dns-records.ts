/**
 * The zone's DNS records (`/zones/{z}/dns_records`: create, list with the name and type filters,
 * get, delete). Locally there is no resolver: a record only says whether a hostname of the zone is
 * served (the fallback origin is active once a proxied record names it; see hostnames.ts).
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { badRequest, jsonBody, notFound, ok, paginate } from "../cloudflare-envelope.ts";
import { requireZone, type PlatformContext } from "../platform-context.ts";
import { hexId, nowIso, type DnsRecord } from "../platform-state.ts";

const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^[0-9a-f:]+$/i;

const RecordBody = z.object({
  type: z.enum(["A", "AAAA", "CNAME", "TXT"]),
  name: z.string().min(1),
  content: z.string().min(1),
  proxied: z.boolean().default(false),
  ttl: z.number().int().min(1).default(1),
  comment: z.string().max(100).optional(),
});

export function dnsRecordRoutes(ctx: PlatformContext): Hono {
  const app = new Hono();
  const { state } = ctx;
  const base = "/zones/:zone_id/dns_records";

  const view = (r: DnsRecord) => ({
    id: r.id,
    name: r.name,
    type: r.type,
    content: r.content,
    proxiable: r.type !== "TXT",
    proxied: r.proxied,
    ttl: r.ttl,
    settings: {},
    meta: {},
    comment: r.comment ?? null,
    tags: [],
    created_on: r.createdOn,
    modified_on: r.modifiedOn,
  });
  const requireRecord = (c: Context): DnsRecord => {
    requireZone(ctx, c);
    const record = state.data.dnsRecords[c.req.param("dns_record_id")!];
    if (record === undefined) throw notFound(81044, "Record does not exist.");
    return record;
  };

  app.post(base, async (c) => {
    requireZone(ctx, c);
    const body = await jsonBody(c, RecordBody);
    const zone = state.data.zoneName;
    // "@" and a relative name are the zone's; Cloudflare stores the full name.
    const raw = body.name.toLowerCase().replace(/\.$/, "");
    const name = raw === "@" ? zone : raw === zone || raw.endsWith(`.${zone}`) ? raw : `${raw}.${zone}`;
    if (!HOSTNAME.test(name)) throw badRequest(9005, `DNS Validation Error: '${body.name}' is not a valid name`);
    if (body.type === "A" && !IPV4.test(body.content))
      throw badRequest(9005, "DNS Validation Error: content for A record must be a valid IPv4 address");
    if (body.type === "AAAA" && !(IPV6.test(body.content) && body.content.includes(":")))
      throw badRequest(9005, "DNS Validation Error: content for AAAA record must be a valid IPv6 address");
    if (body.proxied && body.type === "TXT") throw badRequest(9004, "This record type cannot be proxied.");
    const others = Object.values(state.data.dnsRecords).filter((r) => r.name === name);
    if (others.some((r) => r.type === body.type && r.content === body.content))
      throw badRequest(81058, "An identical record already exists.");
    const exclusive = (type: string) => type === "CNAME";
    if (others.some((r) => r.type !== "TXT" && body.type !== "TXT" && (exclusive(r.type) || exclusive(body.type))))
      throw badRequest(81053, "An A, AAAA, or CNAME record with that host already exists.");
    const now = nowIso();
    const record: DnsRecord = {
      id: hexId(),
      type: body.type,
      name,
      content: body.content,
      proxied: body.proxied,
      ttl: body.ttl,
      ...(body.comment === undefined ? {} : { comment: body.comment }),
      createdOn: now,
      modifiedOn: now,
    };
    state.data.dnsRecords[record.id] = record;
    state.save();
    return ok(c, view(record));
  });

  app.get(base, (c) => {
    requireZone(ctx, c);
    const exact = (c.req.query("name.exact") ?? c.req.query("name"))?.toLowerCase();
    const type = c.req.query("type");
    const matching = Object.values(state.data.dnsRecords).filter(
      (r) => (exact === undefined || r.name === exact) && (type === undefined || r.type === type),
    );
    const { page, info } = paginate(c, matching, 100, 5_000_000);
    return ok(c, page.map(view), info);
  });
  app.get(`${base}/:dns_record_id`, (c) => ok(c, view(requireRecord(c))));
  app.delete(`${base}/:dns_record_id`, (c) => {
    const record = requireRecord(c);
    delete state.data.dnsRecords[record.id];
    state.save();
    return ok(c, { id: record.id });
  });

  return app;
}
