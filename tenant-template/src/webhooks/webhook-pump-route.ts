/**
 * The pump request the dispatcher's webhook clock sends (contracts/webhook-pump.ts): answered
 * before the access layer, since it carries no API key. Only the dispatcher can make it: it needs
 * the dispatch proof (checked before this runs) and the pump header, an `x-wfp-*` header that the
 * dispatcher strips from every client request. Anything else at this path goes on to the access
 * layer like any unknown path.
 */
import type { MiddlewareHandler } from "hono";
import { WEBHOOK_PUMP_HEADER, WEBHOOK_PUMP_PATH, WEBHOOK_WAKE_HEADER } from "../../../contracts/webhook-pump.ts";
import { pumpWebhooks } from "./webhook-pump.ts";
import { webhookUrlPolicy } from "./webhook-url.ts";

type PumpEnv = { Bindings: { DB: D1Database; WEBHOOK_ALLOW_LOOPBACK?: string } };

/**
 * @example
 *   app.use(dispatchProof());
 *   app.use(webhookPumpRoute());
 *   app.use(apiAccess());
 */
export function webhookPumpRoute(): MiddlewareHandler<PumpEnv> {
  return async (c, next) => {
    if (c.req.path !== WEBHOOK_PUMP_PATH || c.req.method !== "POST" || c.req.header(WEBHOOK_PUMP_HEADER) !== "1")
      return next();
    const result = await pumpWebhooks(c.env.DB, webhookUrlPolicy(c.env));
    if (result.nextWakeAt !== null) c.header(WEBHOOK_WAKE_HEADER, String(result.nextWakeAt));
    return c.json(result, 200);
  };
}
