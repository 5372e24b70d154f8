/**
 * Fault injection for the local Cloudflare API, so tests can prove that the provisioner survives
 * what the real API does: failed calls, 429 with Retry-After, latency, and the account-wide rate
 * limit (1,200 requests per 5 minutes on Cloudflare; scaled down here for tests).
 */
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import { errorBody } from "./cloudflare-envelope.ts";

export const FaultPlanSchema = z
  .object({
    /** 1-based index of the first API call (counted from when the plan is set) that fails. */
    failFrom: z.number().int().min(1).optional(),
    /** How many calls fail from `failFrom` on; omitted means every call from then on. */
    count: z.number().int().min(1).optional(),
    // 403 is what Cloudflare answers for a product the account is not entitled to (or a token
    // without the permission): the one refusal the local platform cannot otherwise produce.
    status: z.union([z.literal(403), z.literal(429), z.literal(500), z.literal(502), z.literal(503)]).default(500),
    /**
     * `before`: the call fails without taking effect. `after`: it takes effect, then its answer is
     * lost and replaced by the error, as when a connection drops after the server committed.
     */
    phase: z.enum(["before", "after"]).default("before"),
    /** Seconds sent in `Retry-After` with a 429. */
    retryAfter: z.number().int().min(0).max(300).optional(),
    /** Added to every API call. */
    latencyMs: z.number().int().min(0).max(60_000).optional(),
    /** A simulated account rate limit: at most `requests` calls per `windowSeconds`. */
    rateLimit: z.object({ requests: z.number().int().min(1), windowSeconds: z.number().min(0.01) }).optional(),
  })
  .strict();
export type FaultPlan = z.output<typeof FaultPlanSchema>;

/** Counts Cloudflare API calls and fails the ones a test asked for. */
export class FaultInjector {
  private calls = 0;
  private failed = 0;
  private plan: FaultPlan | undefined;
  private window: number[] = [];
  /** Method and path of each call since the plan was set (bounded), so a test can see what it hit. */
  private log: { method: string; path: string }[] = [];

  set(plan: FaultPlan): void {
    this.plan = plan;
    this.calls = 0;
    this.failed = 0;
    this.window = [];
    this.log = [];
  }

  clear(): void {
    this.plan = undefined;
    this.calls = 0;
    this.failed = 0;
    this.window = [];
    this.log = [];
  }

  status(): { calls: number; failed: number; plan: FaultPlan | null; log: { method: string; path: string }[] } {
    return { calls: this.calls, failed: this.failed, plan: this.plan ?? null, log: [...this.log] };
  }

  /** Hono middleware placed in front of the Cloudflare API routes. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      this.calls += 1;
      const call = this.calls;
      if (this.log.length < 10_000) this.log.push({ method: c.req.method, path: c.req.path });
      const plan = this.plan;
      if (plan === undefined) return next();
      if (plan.latencyMs) await new Promise((resolve) => setTimeout(resolve, plan.latencyMs));
      if (plan.rateLimit !== undefined) {
        const now = Date.now();
        const windowMs = plan.rateLimit.windowSeconds * 1000;
        this.window = this.window.filter((t) => now - t < windowMs);
        if (this.window.length >= plan.rateLimit.requests) {
          this.failed += 1;
          const retryAfter = Math.max(1, Math.ceil((windowMs - (now - (this.window[0] ?? now))) / 1000));
          return c.json(errorBody(10429, "Rate limited. Please wait and consider throttling your request speed"), 429, {
            "Retry-After": String(retryAfter),
          });
        }
        this.window.push(now);
      }
      if (
        plan.failFrom !== undefined &&
        call >= plan.failFrom &&
        (plan.count === undefined || call < plan.failFrom + plan.count)
      ) {
        this.failed += 1;
        if (plan.phase === "after") {
          await next();
          c.res = undefined;
          c.res = failure(c, plan, call);
          return;
        }
        return failure(c, plan, call);
      }
      return next();
    };
  }
}

function failure(c: Context, plan: FaultPlan, call: number): Response {
  if (plan.status === 429) {
    return c.json(errorBody(10429, "Rate limited. Please wait and consider throttling your request speed"), 429, {
      "Retry-After": String(plan.retryAfter ?? 1),
    });
  }
  if (plan.status === 403) {
    return c.json(errorBody(10000, `Authentication error (injected fault at API call ${call})`), 403);
  }
  return c.json(errorBody(10013, `Injected fault: API call ${call} failed`), plan.status);
}
