import type { RateLimitCounter } from "./rate-limit-counter.ts";
import type { RequestIdVariables } from "./request-id.ts";

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
  /** Comma-separated hosts the dispatcher answers itself; defaults to `localhost,127.0.0.1`. */
  PLATFORM_HOSTS?: string;
  /** Workers Analytics Engine dataset `wfp_usage`: one point per tenant request (usage.ts). Optional. */
  USAGE?: AnalyticsEngineDataset;
}

export interface DispatcherEnv {
  Bindings: DispatcherBindings;
  Variables: RequestIdVariables;
}
