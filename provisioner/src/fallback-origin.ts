/**
 * The SaaS zone's fallback origin: where custom hostnames' traffic enters the zone, and the CNAME
 * target of global tenants. A zone-level singleton; one already set is the operator's and is kept
 * (tenants may already point at it) unless another is asked for by name.
 */
import type { AccountTarget } from "./config.ts";
import { apiCall, isNotFound } from "./errors.ts";

const KIND = "fallback origin of zone";

/**
 * The fallback origin that is set, or undefined.
 *
 * @example
 *   await getFallbackOrigin(target) // { origin: "customers.saas.example", status: "active" }
 */
export async function getFallbackOrigin(
  target: AccountTarget,
): Promise<{ origin: string; status: string } | undefined> {
  try {
    const found = await apiCall("reading", KIND, target.zoneId, () =>
      target.client.customHostnames.fallbackOrigin.get({ zone_id: target.zoneId }),
    );
    return found.origin ? { origin: found.origin, status: found.status ?? "unknown" } : undefined;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Set the fallback origin to `origin` unless it is already: `current` is what
 * {@link getFallbackOrigin} read (the caller read it to choose the origin).
 *
 * @example
 *   await ensureFallbackOrigin(target, "customers.saas.example", await getFallbackOrigin(target))
 *   // "created" | "adopted" | "updated"
 */
export async function ensureFallbackOrigin(
  target: AccountTarget,
  origin: string,
  current: { origin: string } | undefined,
): Promise<"created" | "adopted" | "updated"> {
  const set = current;
  if (set?.origin === origin) return "adopted";
  await apiCall("setting", KIND, target.zoneId, () =>
    target.client.customHostnames.fallbackOrigin.update({ zone_id: target.zoneId, origin }),
  );
  return set === undefined ? "created" : "updated";
}
