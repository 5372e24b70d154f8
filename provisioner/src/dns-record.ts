/**
 * DNS records the platform needs in its SaaS zone: an "originless" proxied `AAAA 100::` record
 * for each hostname a Worker answers (the fallback origin and the regional CNAME targets), as
 * Cloudflare's "Workers as your fallback origin" documents. Without one, a hostname of the zone is
 * not proxied and the fallback origin never goes active.
 */
import type { AccountTarget } from "./config.ts";
import type { EnsureAction } from "./d1-database.ts";
import { apiCall, mayAlreadyExist } from "./errors.ts";

const KIND = "DNS record";
/** The IPv6 discard prefix: a record that proxies to no origin, for hostnames a Worker answers. */
export const ORIGINLESS_ADDRESS = "100::";

/**
 * Create the originless record for `name`, or adopt whatever address record already serves it
 * (an A, AAAA or CNAME the operator made is theirs, and serves as well).
 *
 * @example
 *   await ensureOriginlessRecord(target, "customers.saas.example") // "created" | "adopted"
 */
export async function ensureOriginlessRecord(target: AccountTarget, name: string): Promise<EnsureAction> {
  if (await isServed(target, name)) return "adopted";
  try {
    await createOriginlessRecord(target, name);
  } catch (error) {
    // Another init made it meanwhile (an identical record is refused): adopt it.
    if (mayAlreadyExist(error) && (await isServed(target, name))) return "adopted";
    throw error;
  }
  return "created";
}

/** Whether an address record (A, AAAA or CNAME) of the zone serves `name`. */
async function isServed(target: AccountTarget, name: string): Promise<boolean> {
  const page = await apiCall("listing", "DNS records named", name, () =>
    target.client.dns.records.list({ zone_id: target.zoneId, name: { exact: name } }),
  );
  return page
    .getPaginatedItems()
    .some((r) => r.name === name && (r.type === "A" || r.type === "AAAA" || r.type === "CNAME"));
}

async function createOriginlessRecord(target: AccountTarget, name: string): Promise<void> {
  await apiCall("creating", KIND, name, () =>
    target.client.dns.records.create({
      zone_id: target.zoneId,
      type: "AAAA",
      name,
      content: ORIGINLESS_ADDRESS,
      proxied: true,
      ttl: 1,
      comment: "wfp platform: answered by the dispatch Worker",
    }),
  );
}
