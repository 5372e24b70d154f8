/**
 * The URL a client uses for each of a tenant's hostnames on the local platform, printed beside the
 * hostname by `tenant create` and `tenant show`: the path form
 * `http://127.0.0.1:8787/_tenant/<hostname>` (contracts/local-tenant-url.ts), which needs no DNS,
 * since Node's and Java's resolvers do not know `*.localhost`. Cloudflare has no such URL: there a
 * tenant is reached by its hostname.
 */
import { localTenantUrl } from "../../contracts/local-tenant-url.ts";
import type { RouteSummary, TenantReport } from "./tenant.ts";

/** A route summary with the hostname's local URL, when it has one. */
export type RouteWithLocalUrl = RouteSummary & { localUrl?: string };

/**
 * Where the local platform whose API is at `apiBaseUrl` takes tenant traffic, from its
 * `GET /__platform/info`; undefined when it does not say (or does not answer within `timeoutMs`),
 * in which case no local URL is printed: they are a convenience, never a reason to fail.
 *
 * @example
 *   await readLocalTrafficUrl("http://127.0.0.1:8788/client/v4") // "http://127.0.0.1:8787"
 */
export async function readLocalTrafficUrl(apiBaseUrl: string, timeoutMs = 5_000): Promise<string | undefined> {
  try {
    const response = await fetch(new URL("/__platform/info", apiBaseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const { trafficUrl } = (await response.json()) as { trafficUrl?: unknown };
    return typeof trafficUrl === "string" && URL.canParse(trafficUrl) ? trafficUrl : undefined;
  } catch {
    // An older platform without the endpoint, or none at all: the report is complete without it.
    return undefined;
  }
}

/**
 * The report with `localUrl` on every hostname routed to this tenant (a hostname without a route
 * record, or routed elsewhere, would not reach it); unchanged without a traffic URL.
 *
 * @example
 *   withLocalUrls(report, "http://127.0.0.1:8787").resources.routes[0].localUrl
 *   // "http://127.0.0.1:8787/_tenant/registry.acme.localhost"
 */
export function withLocalUrls<T extends TenantReport>(report: T, trafficUrl: string | undefined): T {
  if (trafficUrl === undefined) return report;
  const routes: RouteWithLocalUrl[] = report.resources.routes.map((route) =>
    route.record?.tenantId === report.id ? { ...route, localUrl: localTenantUrl(trafficUrl, route.hostname) } : route,
  );
  return { ...report, resources: { ...report.resources, routes } };
}
