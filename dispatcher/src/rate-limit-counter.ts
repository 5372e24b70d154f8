import { DurableObject } from "cloudflare:workers";
import { type CounterReport, type CounterTotals, CounterTable } from "./counter-table.ts";
import type { CounterCall } from "./shared-rate-limiter.ts";

export type { CounterReport, CounterTotals };

const WINDOW_KEY = "window";
const TOTAL_PREFIX = "total:";
/** Totals are written to storage at most this often (each write is a SQLite commit). */
const PERSIST_EVERY_MS = 1_000;

/**
 * The dispatcher's shared request counter: one object per tenant (`idFromName(tenantId)`), which
 * every dispatcher isolate reports to (shared-rate-limiter.ts). It only adds and answers; the
 * isolates decide. Totals live in memory and are written to its SQLite storage at most once a
 * second (the keys changed since), so an object evicted or restarted within a window (Cloudflare
 * hibernates an idle object after about 10 s) starts again from what it had written, at most a
 * second's reports behind. A write per report cost a fifth of the dispatcher's throughput locally,
 * where the object's commits share workerd with the dispatcher (docs/security.md).
 */
export class RateLimitCounter extends DurableObject {
  readonly #table = new CounterTable();
  readonly #dirty = new Set<string>();
  #windowDirty = false;
  #flush: ReturnType<typeof setTimeout> | undefined;

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
    const before = this.#table.window;
    const answer = this.#table.add(report);
    if (answer.window !== before) {
      this.#windowDirty = true;
      this.#dirty.clear();
    }
    for (const [key, count] of Object.entries(report.counts)) {
      if (count > 0 && this.#table.totals.has(key)) this.#dirty.add(key);
    }
    if ((this.#windowDirty || this.#dirty.size > 0) && this.#flush === undefined) {
      this.#flush = setTimeout(() => this.#persist(), PERSIST_EVERY_MS);
    }
    return answer;
  }

  #persist(): void {
    this.#flush = undefined;
    const kv = this.ctx.storage.kv;
    if (this.#windowDirty) {
      for (const [key] of kv.list({ prefix: TOTAL_PREFIX })) kv.delete(key);
      kv.put(WINDOW_KEY, this.#table.window);
      this.#windowDirty = false;
    }
    for (const key of this.#dirty) kv.put(TOTAL_PREFIX + key, this.#table.totals.get(key));
    this.#dirty.clear();
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
