/**
 * Usage per tenant: one Workers Analytics Engine data point per request to a tenant
 * (contracts/usage-point.ts), and the monthly quota's refusal. Kept apart from the dispatch path
 * (tenant-dispatch.ts calls {@link recordUsage} and {@link quotaRefusal} and nothing else here).
 *
 * `writeDataPoint` is not awaited and returns nothing: Cloudflare buffers the point and sends it
 * after the response, so recording adds no I/O to the request (docs/usage.md has the bench).
 */
import { usageDataPoint } from "../../contracts/usage-point.ts";
import { splitRegistryRef } from "../../contracts/registry-ref.ts";
import { routeTemplate } from "../../contracts/route-template.ts";
import type { RouteRecord } from "../../contracts/route-record.ts";
import { PlatformError } from "./platform-error.ts";

/**
 * Records one request. Never throws: usage must not fail a request (a point refused by Analytics
 * Engine, e.g. over its limits, is logged and dropped).
 *
 * @example
 *   recordUsage(env.USAGE, record, request, response.status, Date.now() - started);
 */
export function recordUsage(
  dataset: AnalyticsEngineDataset | undefined,
  record: Pick<RouteRecord, "tenantId">,
  request: Request,
  status: number,
  durationMs: number,
): void {
  if (dataset === undefined) return;
  try {
    // The record names a registry by its ref (`acme`, `acme:staging`): the tenant and the registry.
    const { tenantId, registryId } = splitRegistryRef(record.tenantId);
    dataset.writeDataPoint(
      usageDataPoint({
        tenantId,
        registry: registryId,
        route: routeTemplate(pathOf(request.url)),
        method: request.method,
        status,
        durationMs,
      }),
    );
  } catch (cause) {
    console.error(JSON.stringify({ event: "usage_not_recorded", tenantId: record.tenantId, error: String(cause) }));
  }
}

/**
 * The refusal of a tenant past its monthly request quota, or undefined when it may be served. The
 * route record says until when (`quotaExceededUntil`: the start of the next month, UTC), written by
 * `npm run fleet -- usage --enforce` from Analytics Engine's figures (docs/usage.md says how late
 * that can be); once that instant has passed the tenant is served again, whether or not the record
 * has been rewritten yet.
 *
 * @example
 *   const refusal = quotaRefusal(record, Date.now()); if (refusal) throw refusal;
 */
export function quotaRefusal(record: Pick<RouteRecord, "quotaExceededUntil">, now: number): PlatformError | undefined {
  const until = record.quotaExceededUntil;
  if (until === undefined) return undefined;
  const resetsAt = Date.parse(until);
  if (!(resetsAt > now)) return undefined;
  const reset = new Date(resetsAt).toISOString();
  return new PlatformError(429, "quota_exceeded", `This registry has used its monthly request quota until ${reset}.`, {
    headers: { "retry-after": String(Math.ceil((resetsAt - now) / 1000)), "x-quota-reset": reset },
  });
}

function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.slice(start).search(/[?#]/);
  return end < 0 ? url.slice(start) : url.slice(start, start + end);
}
