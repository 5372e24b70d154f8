/**
 * The monthly request quota (docs/usage.md). Each plan has one (PLANS in tenant-spec.ts); a tenant
 * whose requests this month (UTC), as Analytics Engine counts them, have reached it gets
 * `quotaExceededUntil` (the start of next month) in every route record of its hostnames, and the
 * dispatcher answers 429 `quota_exceeded` until then. Nothing has to clear it: the dispatcher
 * ignores a past instant, and `tenant create` / `tenant update` (a plan change) write the record
 * afresh, so the next enforcement decides again.
 *
 * Why here and not in the dispatcher: an exact count across isolates needs a shared counter on the
 * hot path (a Durable Object, issue 15 part 3). Analytics Engine already counts every request, so a
 * periodic job (`npm run fleet -- usage --enforce`, e.g. every 5 minutes from cron) reads it; the
 * price is lag: a tenant may go past its quota by what it sends during that lag.
 */
import type { Target } from "../config.ts";
import { readRouteRecord, writeRouteRecord } from "../route-record-store.ts";
import { readTenantRecord } from "../tenant-record-store.ts";
import { PLANS } from "../tenant-spec.ts";
import { nextMonthStart } from "./usage-since.ts";

export interface QuotaDecision {
  tenantId: string;
  plan: string;
  requests: number;
  monthlyRequests: number;
  /** When it resets; set only for a tenant past its quota. */
  exceededUntil?: string;
  /** Route records written (0 when they already said so). */
  hostsUpdated: number;
}

/**
 * Marks every tenant past its plan's monthly quota; `monthRequests` are this month's requests per
 * tenant id (Analytics Engine's, from the start of the month). Reads a tenant's record only when
 * its count reaches the smallest plan's quota, so a run costs API calls only for busy tenants.
 *
 * @example
 *   const decisions = await enforceQuotas(target, new Map([["acme", 1_200_000]]), Date.now());
 */
export async function enforceQuotas(
  target: Target,
  monthRequests: ReadonlyMap<string, number>,
  now: number,
  /** The quota of a plan; PLANS' by default (tests give small ones). */
  quotaOf: (plan: keyof typeof PLANS) => number = (plan) => PLANS[plan].monthlyRequests,
): Promise<QuotaDecision[]> {
  const until = nextMonthStart(now).toISOString();
  const smallest = Math.min(...(Object.keys(PLANS) as (keyof typeof PLANS)[]).map(quotaOf));
  const decisions: QuotaDecision[] = [];
  for (const [tenantId, requests] of monthRequests) {
    if (requests < smallest) continue;
    const record = await readTenantRecord(target, tenantId);
    if (record === undefined) continue;
    const { plan, domains } = record.spec;
    const monthlyRequests = quotaOf(plan);
    const decision: QuotaDecision = { tenantId, plan, requests, monthlyRequests, hostsUpdated: 0 };
    decisions.push(decision);
    if (requests < monthlyRequests) continue;
    decision.exceededUntil = until;
    for (const host of domains) {
      const lookup = await readRouteRecord(target, host);
      if (lookup.kind !== "route" || lookup.record.tenantId !== tenantId) continue;
      if (lookup.record.quotaExceededUntil === until) continue;
      await writeRouteRecord(target, host, { ...lookup.record, quotaExceededUntil: until });
      decision.hostsUpdated++;
    }
  }
  return decisions;
}
