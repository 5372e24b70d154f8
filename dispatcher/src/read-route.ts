import { parseRouteRecord, routeKey } from "../../contracts/route-record.ts";
import { PlatformError } from "./platform-error.ts";
import { INVALID_ROUTE, type RouteLookup, UNKNOWN_ROUTE } from "./route-cache.ts";

/**
 * Reads a host's route record from the routing store: the record, none (`unknown`), or a value the
 * dispatcher refuses to trust (`invalid`). An unreadable store throws 503 `routing_unavailable`.
 * The dispatch path reads through its per-isolate cache; the webhook clock reads it directly.
 *
 * @example
 *   const lookup = await readRoute(env.ROUTES, "registry.acme.com") // { kind: "route", record }
 */
export async function readRoute(store: KVNamespace, host: string): Promise<RouteLookup> {
  let text: string | null;
  try {
    text = await store.get(routeKey(host), "text");
  } catch (cause) {
    throw new PlatformError(503, "routing_unavailable", "Routing is temporarily unavailable.", { cause });
  }
  if (text === null) return UNKNOWN_ROUTE;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return INVALID_ROUTE;
  }
  const record = parseRouteRecord(value);
  return record === null ? INVALID_ROUTE : { kind: "route", record };
}
