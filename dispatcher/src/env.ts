import type { RateLimitCounter } from "./rate-limit-counter.ts";
import type { RequestIdVariables } from "./request-id.ts";
import type { WebhookClock } from "./webhook-clock.ts";

/** The dispatcher's bindings, as dispatcher/wrangler.jsonc and docs/contracts.md declare them. */
export interface DispatcherBindings {
  /** The routing store (`wfp-routes`): `host:<hostname>` -> route record. Read only. */
  ROUTES: KVNamespace;
  /** The dispatch namespace (`tenants`) holding every tenant's user Worker. */
  DISPATCHER: DispatchNamespace;
  /**
   * The tenants' shared request counters (class `RateLimitCounter`, one object per tenant id):
   * rate limits then hold across isolates (shared-rate-limiter.ts). Without it they are per isolate.
   */
  RATE_LIMITS?: DurableObjectNamespace<RateLimitCounter>;
  /**
   * The tenants' webhook clocks (class `WebhookClock`, one object per tenant script): a tenant's
   * answer carrying `x-wfp-webhook-wake` sets its clock, whose alarm sends the tenant's webhook pump
   * (contracts/webhook-pump.ts). Without it the header is still removed, and nothing pumps.
   */
  WEBHOOK_CLOCKS?: DurableObjectNamespace<WebhookClock>;
  /** Milliseconds a clock waits after a failed pump before the next; default 60000. */
  WEBHOOK_CLOCK_RETRY_MS?: string;
  /** Milliseconds a clock waits while its tenant is suspended (or its record invalid); default 600000. */
  WEBHOOK_CLOCK_HELD_MS?: string;
  /** Comma-separated hosts the dispatcher answers itself; defaults to `localhost,127.0.0.1`. */
  PLATFORM_HOSTS?: string;
  /** Workers Analytics Engine dataset `wfp_usage`: one point per tenant request (usage.ts). Optional. */
  USAGE?: AnalyticsEngineDataset;
}

export interface DispatcherEnv {
  Bindings: DispatcherBindings;
  Variables: RequestIdVariables;
}
