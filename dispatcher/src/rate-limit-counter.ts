import { DurableObject } from "cloudflare:workers";
import { type CounterReport, type CounterTotals, CounterTable } from "./counter-table.ts";
import type { CounterCall } from "./shared-rate-limiter.ts";

export type { CounterReport, CounterTotals };

const WINDOW_KEY = "window";
const TOTAL_PREFIX = "total:";

/**
 * The dispatcher's shared request counter: one object per tenant (`idFromName(tenantId)`), which
 * every dispatcher isolate reports to (shared-rate-limiter.ts). It only adds and answers; the
 * isolates decide. Totals are kept in its SQLite storage as well as in memory, so an object that
 * restarts within a window (a deploy, a move) keeps counting from where it was.
 */
export class RateLimitCounter extends DurableObject {
  readonly #table = new CounterTable();

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    const kv = ctx.storage.kv;
    const window = kv.get<number>(WINDOW_KEY);
    if (window === undefined) return;
    this.#table.window = window;
    for (const [key, total] of kv.list<number>({ prefix: TOTAL_PREFIX })) {
      this.#table.totals.set(key.slice(TOTAL_PREFIX.length), total);
    }
  }

  /** RPC: counts an isolate's report and answers the window's totals for the keys it named. */
  sync(report: CounterReport): CounterTotals {
    const kv = this.ctx.storage.kv;
    const before = this.#table.window;
    const answer = this.#table.add(report);
    if (answer.window !== before) {
      for (const [key] of kv.list({ prefix: TOTAL_PREFIX })) kv.delete(key);
      kv.put(WINDOW_KEY, answer.window);
    }
    for (const [key, count] of Object.entries(report.counts)) {
      if (count > 0 && this.#table.totals.has(key)) kv.put(TOTAL_PREFIX + key, this.#table.totals.get(key));
    }
    return answer;
  }
}

const calls = new WeakMap<DurableObjectNamespace<RateLimitCounter>, CounterCall>();

/**
 * Reports to the tenant's object of `namespace` (`idFromName(tenantId)`), by RPC. One function per
 * namespace binding, so the hot path allocates nothing for it.
 *
 * @example shared.take("acme", checks, counterCall(env.RATE_LIMITS), ctx)
 */
export function counterCall(namespace: DurableObjectNamespace<RateLimitCounter>): CounterCall {
  let call = calls.get(namespace);
  if (call === undefined) {
    call = (tenantId, report) =>
      namespace.get(namespace.idFromName(tenantId)).sync(report) as unknown as Promise<CounterTotals>;
    calls.set(namespace, call);
  }
  return call;
}
