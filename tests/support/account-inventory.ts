/**
 * Everything a local platform's account holds, read only through Cloudflare's list endpoints (as
 * the SDK calls them): what end-to-end tests compare to prove nothing was duplicated or orphaned.
 */
import type Cloudflare from "cloudflare";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";

export type AccountInventory = Awaited<ReturnType<typeof accountInventory>>;

/**
 * Names of every D1 database, KV namespace (the routing store's aside), tenant script, custom and
 * regional hostname and routing key, each sorted.
 *
 * @example
 *   expect(await accountInventory({ platform, cf })).toEqual(before);
 */
export async function accountInventory({ platform, cf }: { platform: LocalPlatform; cf: Cloudflare }) {
  const [d1, kv, scripts, custom, regional, routes] = await Promise.all([
    cf.d1.database.list({ account_id: platform.accountId, per_page: 1000 }),
    cf.kv.namespaces.list({ account_id: platform.accountId, per_page: 1000 }),
    cf.get<{ result: Array<{ script: { id: string; tags: string[] } }> }>(
      `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}/scripts`,
    ),
    cf.customHostnames.list({ zone_id: platform.zoneId, per_page: 50 }),
    cf.addressing.regionalHostnames.list({ zone_id: platform.zoneId }),
    cf.kv.namespaces.keys.list(platform.routesNamespaceId, { account_id: platform.accountId }),
  ]);
  return {
    d1: d1.result.map((d) => d.name).sort(),
    kv: kv.result
      .map((n) => n.title)
      .filter((t) => t !== "wfp-routes")
      .sort(),
    scripts: scripts.result.map((x) => x.script.id).sort(),
    customHostnames: custom.result.map((h) => h.hostname).sort(),
    regionalHostnames: regional.result.map((h) => h.hostname).sort(),
    routingKeys: routes.result.map((k) => k.name).sort(),
  };
}
