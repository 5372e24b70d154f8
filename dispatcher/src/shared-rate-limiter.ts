import type { CounterReport, CounterTotals } from "./counter-table.ts";
import type { RateDecision, RateLimitCheck, RateLimiter } from "./rate-limiter.ts";

/** Sends one report to a tenant's counter object and answers its totals. */
export type CounterCall = (tenantId: string, report: CounterReport) => Promise<CounterTotals>;

/** What keeps a background report alive past the response (the request's `ExecutionContext`). */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

export interface SharedRateLimiterOptions {
  /** Window length: the limits are "per minute"; windows are aligned to it (`floor(now / windowMs)`). */
  windowMs?: number;
  /** The requests an isolate may admit per key before its counter has heard of them, as a share of the limit. */
  allowanceShare?: number;
  /** A report is sent in the background after this long without one, however few requests were admitted. */
  syncIntervalMs?: number;
  /** A report unanswered after this long counts as the object being unreachable. */
  syncTimeoutMs?: number;
  /** After a failed report, the tenant is counted per isolate (by `fallback`) for this long. */
  degradedMs?: number;
  /** Tenants kept per isolate (least recently seen dropped first) and keys kept per tenant. */
  maxTenants?: number;
  maxKeysPerTenant?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Where failures are said (once per degraded period per tenant). */
  log?: (event: string, tenantId: string, error: unknown) => void;
}

interface KeyState {
  /** Every isolate's requests in this window, as the counter last answered. */
  known: number;
  /** Admitted here, not reported yet. */
  unreported: number;
  /** Admitted here, in a report not answered yet. */
  inFlight: number;
  /** {@link allowanceOf} the limit this key was last checked against. */
  allowance: number;
}

interface TenantState {
  window: number;
  keys: Map<string, KeyState>;
  /** Reports sent and not answered. */
  syncing: number;
  lastSync: number;
  degradedUntil: number;
}

/** The share of a limit each isolate may admit before its counter knows: 1% (at least one request). */
export const DEFAULT_ALLOWANCE_SHARE = 0.01;

/**
 * The requests one isolate may admit against a limit before reporting them (at least 1).
 *
 * @example allowanceOf(6000) // 60
 */
export function allowanceOf(limit: number, share = DEFAULT_ALLOWANCE_SHARE): number {
  return Math.max(1, Math.floor(limit * share));
}

/**
 * Rate limits that hold across isolates: every isolate reports what it admits to one counter
 * object per tenant (rate-limit-counter.ts) and decides locally from the totals the object last
 * answered plus what it admitted since, so most requests never wait for the object.
 *
 * The rule that bounds the total: an isolate admits at most {@link allowanceOf}(limit) requests per
 * key that the counter has not counted yet (reported or not, answered or not). Past that, the next
 * request waits for a report of its own to be answered (it never awaits another request's report:
 * workerd ties I/O to the request that started it). Reports go out in the background once half
 * the allowance is used or `syncIntervalMs` has passed, so under steady load they are answered
 * before the allowance runs out. Every isolate's decision thus misses at most the other isolates'
 * unreported requests: with N isolates, a window admits at most `limit + N * allowance` (4 isolates
 * at 1% each: 4% over the plan). A refusal needs the counted total to have reached the limit, so
 * while the object answers no tenant gets less than its plan (but for a request counted twice in
 * the moment two reports of one isolate cross).
 *
 * If a report fails or is not answered within `syncTimeoutMs`, the tenant is counted by the
 * per-isolate `fallback` for `degradedMs` (fail open, the limits per isolate as before): a counter
 * outage must not take every tenant's registry down, and each isolate still holds the plan.
 *
 * @example
 *   const shared = new SharedRateLimiter(new RateLimiter());
 *   const decision = await shared.take("acme", [{ key: "acme", limit: 6000 }], counterCall(env.RATE_LIMITS));
 */
export class SharedRateLimiter {
  readonly #tenants = new Map<string, TenantState>();
  readonly #fallback: RateLimiter;
  readonly #windowMs: number;
  readonly #allowanceShare: number;
  readonly #syncIntervalMs: number;
  readonly #syncTimeoutMs: number;
  readonly #degradedMs: number;
  readonly #maxTenants: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #log: (event: string, tenantId: string, error: unknown) => void;

  constructor(
    fallback: RateLimiter,
    {
      windowMs = 60_000,
      allowanceShare = DEFAULT_ALLOWANCE_SHARE,
      syncIntervalMs = 1_000,
      syncTimeoutMs = 1_000,
      degradedMs = 10_000,
      maxTenants = 10_000,
      maxKeysPerTenant = 1_000,
      now = Date.now,
      log = defaultLog,
    }: SharedRateLimiterOptions = {},
  ) {
    this.#fallback = fallback;
    this.#windowMs = windowMs;
    this.#allowanceShare = allowanceShare;
    this.#syncIntervalMs = syncIntervalMs;
    this.#syncTimeoutMs = syncTimeoutMs;
    this.#degradedMs = degradedMs;
    this.#maxTenants = maxTenants;
    this.#maxKeys = maxKeysPerTenant;
    this.#now = now;
    this.#log = log;
  }

  /**
   * Counts one request of `tenantId` against every check, or against none when one is exhausted,
   * as {@link RateLimiter.take} does. Answers at once unless this isolate has used its allowance
   * (then after one report); `ctx.waitUntil` keeps background reports alive past the response.
   */
  take(
    tenantId: string,
    checks: readonly RateLimitCheck[],
    call: CounterCall,
    ctx?: WaitUntil,
  ): RateDecision | Promise<RateDecision> {
    const now = this.#now();
    const tenant = this.#tenant(tenantId, now);
    if (now < tenant.degradedUntil) return this.#fallback.take(checks);
    const decision = this.#decide(tenant, checks, now, false);
    if (decision !== undefined) {
      if (decision.allowed) this.#maybeSync(tenantId, tenant, now, call, ctx);
      return decision;
    }
    return this.#takeAfterSync(tenantId, tenant, checks, call);
  }

  /** Tenants with state in this isolate. */
  get size(): number {
    return this.#tenants.size;
  }

  async #takeAfterSync(
    tenantId: string,
    tenant: TenantState,
    checks: readonly RateLimitCheck[],
    call: CounterCall,
  ): Promise<RateDecision> {
    // Other requests of this isolate may fill the allowance again while this one waits: a few
    // tries, then the totals just answered decide alone (they are at most one round trip old).
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (!(await this.#sync(tenantId, tenant, call))) return this.#fallback.take(checks);
      const now = this.#now();
      if (tenant.window !== this.#windowOf(now)) return this.take(tenantId, checks, call);
      const decision = this.#decide(tenant, checks, now, attempt === 3);
      if (decision !== undefined) return decision;
    }
    return this.#fallback.take(checks);
  }

  /** The decision from what this isolate knows; undefined when it must first report (allowance used). */
  #decide(
    tenant: TenantState,
    checks: readonly RateLimitCheck[],
    now: number,
    ignoreAllowance: boolean,
  ): RateDecision | undefined {
    const resetSeconds = Math.max(1, Math.ceil(((tenant.window + 1) * this.#windowMs - now) / 1000));
    const states: KeyState[] = [];
    let tightest: RateDecision | undefined;
    let mustSync = false;
    for (const { key, limit } of checks) {
      const state = this.#key(tenant, key);
      state.allowance = allowanceOf(limit, this.#allowanceShare);
      states.push(state);
      const unsynced = state.unreported + state.inFlight;
      const used = state.known + unsynced;
      if (used >= limit) return { allowed: false, limit, remaining: 0, resetSeconds };
      if (!ignoreAllowance && unsynced >= state.allowance) mustSync = true;
      const remaining = limit - used - 1;
      if (tightest === undefined || remaining < tightest.remaining)
        tightest = { allowed: true, limit, remaining, resetSeconds };
    }
    if (mustSync) return undefined;
    for (const state of states) state.unreported += 1;
    return tightest ?? { allowed: true, limit: 0, remaining: 0, resetSeconds };
  }

  /** A background report once half of some key's allowance is unreported, or after a quiet interval. */
  #maybeSync(tenantId: string, tenant: TenantState, now: number, call: CounterCall, ctx: WaitUntil | undefined): void {
    if (tenant.syncing > 0) return;
    let due = now - tenant.lastSync >= this.#syncIntervalMs;
    if (!due) {
      for (const state of tenant.keys.values()) {
        if (state.unreported > 0 && state.unreported * 2 >= state.allowance) {
          due = true;
          break;
        }
      }
    }
    if (!due) return;
    const sync = this.#sync(tenantId, tenant, call);
    ctx?.waitUntil(sync);
  }

  /** Reports what is unreported and takes in the totals; false when the object failed (then degraded). */
  async #sync(tenantId: string, tenant: TenantState, call: CounterCall): Promise<boolean> {
    const window = tenant.window;
    const counts: Record<string, number> = {};
    const sent: [KeyState, number][] = [];
    for (const [key, state] of tenant.keys) {
      counts[key] = state.unreported;
      sent.push([state, state.unreported]);
      state.inFlight += state.unreported;
      state.unreported = 0;
    }
    tenant.syncing += 1;
    tenant.lastSync = this.#now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("the rate limit counter did not answer in time")),
          this.#syncTimeoutMs,
        );
      });
      const answer = await Promise.race([call(tenantId, { window, counts }), timeout]);
      if (answer.window === tenant.window) {
        for (const [key, total] of Object.entries(answer.totals)) {
          const state = tenant.keys.get(key);
          if (state !== undefined && total > state.known) state.known = total;
        }
      }
      return true;
    } catch (error) {
      if (tenant.degradedUntil <= this.#now()) this.#log("rate_limit_counter_failed", tenantId, error);
      tenant.degradedUntil = this.#now() + this.#degradedMs;
      return false;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      tenant.syncing -= 1;
      if (tenant.window === window) for (const [state, count] of sent) state.inFlight -= count;
    }
  }

  #windowOf(now: number): number {
    return Math.floor(now / this.#windowMs);
  }

  #tenant(tenantId: string, now: number): TenantState {
    const window = this.#windowOf(now);
    let tenant = this.#tenants.get(tenantId);
    if (tenant === undefined) {
      while (this.#tenants.size >= this.#maxTenants) {
        const oldest = this.#tenants.keys().next();
        if (oldest.done === true) break;
        this.#tenants.delete(oldest.value);
      }
      tenant = { window, keys: new Map(), syncing: 0, lastSync: 0, degradedUntil: 0 };
    } else {
      // Most recently seen last: the first entry is the one to drop.
      this.#tenants.delete(tenantId);
      if (tenant.window !== window) {
        tenant.window = window;
        tenant.keys = new Map();
      }
    }
    this.#tenants.set(tenantId, tenant);
    return tenant;
  }

  #key(tenant: TenantState, key: string): KeyState {
    let state = tenant.keys.get(key);
    if (state === undefined) {
      if (tenant.keys.size >= this.#maxKeys) {
        const oldest = tenant.keys.keys().next();
        if (oldest.done !== true) tenant.keys.delete(oldest.value);
      }
      state = { known: 0, unreported: 0, inFlight: 0, allowance: 1 };
      tenant.keys.set(key, state);
    }
    return state;
  }
}

function defaultLog(event: string, tenantId: string, error: unknown): void {
  console.error(JSON.stringify({ event, tenantId, error: error instanceof Error ? error.message : String(error) }));
}
