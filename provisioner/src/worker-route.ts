/**
 * The zone's catch-all Worker route (`*` + `/*`): Cloudflare's documented way to send every
 * hostname of a SaaS zone, custom hostnames included, to the dispatch Worker ("Hostname routing",
 * "Workers as your fallback origin").
 */
import type { AccountTarget } from "./config.ts";
import type { EnsureAction } from "./d1-database.ts";
import { apiCall, mayAlreadyExist, StateConflictError } from "./errors.ts";

const KIND = "Worker route";
export const CATCH_ALL_ROUTE = "*/*";

/**
 * Make the zone's catch-all route run `script`; refuses to take over one that runs another Worker.
 *
 * @example
 *   await ensureCatchAllRoute(target, "wfp-dispatcher") // "created" | "adopted"
 */
export async function ensureCatchAllRoute(target: AccountTarget, script: string): Promise<EnsureAction> {
  const existing = await findCatchAllRoute(target);
  if (existing?.script === script) return "adopted";
  if (existing !== undefined) {
    const runs = existing.script ? `the Worker '${existing.script}'` : "no Worker";
    throw new StateConflictError(
      `the zone's ${CATCH_ALL_ROUTE} route runs ${runs}, ` +
        `not '${script}': the platform needs all of the zone's traffic. Point that route at '${script}' ` +
        "(dashboard: Workers Routes) or use a zone of its own for the platform, then run init again.",
    );
  }
  try {
    await apiCall("creating", KIND, CATCH_ALL_ROUTE, () =>
      target.client.workers.routes.create({ zone_id: target.zoneId, pattern: CATCH_ALL_ROUTE, script }),
    );
  } catch (error) {
    // Another init made it meanwhile (or this one's answer was lost): adopt it if it is ours.
    if (mayAlreadyExist(error) && (await findCatchAllRoute(target))?.script === script) return "adopted";
    throw error;
  }
  return "created";
}

async function findCatchAllRoute(target: AccountTarget): Promise<{ script?: string | undefined } | undefined> {
  const page = await apiCall("listing", "Worker routes of zone", target.zoneId, () =>
    target.client.workers.routes.list({ zone_id: target.zoneId }),
  );
  return page.getPaginatedItems().find((route) => route.pattern === CATCH_ALL_ROUTE);
}
