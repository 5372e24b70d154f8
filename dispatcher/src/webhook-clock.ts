import { DurableObject } from "cloudflare:workers";
import { DISPATCH_PROOF_HEADER, REQUEST_ID_HEADER } from "../../contracts/dispatch-headers.ts";
import {
  WEBHOOK_PUMP_HEADER,
  WEBHOOK_PUMP_PATH,
  WEBHOOK_WAKE_HEADER,
  wakeTimeOf,
} from "../../contracts/webhook-pump.ts";
import type { DispatcherBindings } from "./env.ts";
import { logEvent } from "./log-event.ts";
import { readRoute } from "./read-route.ts";
import { tenantWorker } from "./tenant-worker.ts";
import type { RouteRecord } from "../../contracts/route-record.ts";

/** The host the clock was last woken from: the pump goes to it, and its route record decides. */
const HOST_KEY = "host";
const DEFAULT_RETRY_MS = 60_000;
/** A suspended tenant (or an unusable route record) waits for an operator: ask again rarely. */
const DEFAULT_HELD_MS = 10 * 60_000;
/**
 * The least time from one pump's start to the next. A burst of writes, each waking the clock,
 * then shares pumps (each takes every due delivery) instead of paying one pump per write; and a
 * tenant that keeps answering "due now" is pumped 4 times a second, not in a loop. It adds at most
 * this much to a delivery's lag.
 */
const MIN_PUMP_GAP_MS = 250;

/** What a run of the alarm leads to: the next run's time, sleep until woken, or the end of the clock. */
type Outcome = number | "sleep" | "stop";

/**
 * A tenant's webhook clock (contracts/webhook-pump.ts, docs/webhooks.md): one SQLite-backed object
 * per tenant script ({@link clockId}: in the `eu` jurisdiction for an eu or uk tenant), whose alarm
 * asks the tenant's Worker to deliver its due webhooks. The tenant keeps the outbox in its own D1
 * database; the clock keeps only the host it was last woken from, and its alarm. An object has one
 * alarm, so the earliest wake wins.
 *
 * When the alarm fires, the host's route record decides: gone, or now another script's (the tenant
 * was deleted or the host moved), the clock clears its storage and stops; suspended (or not a valid
 * record), it asks again after `WEBHOOK_CLOCK_HELD_MS` (10 min); active, it sends the pump. A 200
 * answer's wake header sets the next alarm, none lets the clock sleep until woken; any other answer
 * or a failure retries after `WEBHOOK_CLOCK_RETRY_MS` (60 s). The alarm never throws: Cloudflare's
 * own retries (six, from 2 s) would pump at a rate the tenant never asked for.
 */
export class WebhookClock extends DurableObject<DispatcherBindings> {
  readonly #retryMs: number;
  readonly #heldMs: number;
  /** When the last pump started (this object's life only: a new object may pump at once). */
  #lastPumpAt = 0;

  constructor(ctx: DurableObjectState, env: DispatcherBindings) {
    super(ctx, env);
    this.#retryMs = positiveMs(env.WEBHOOK_CLOCK_RETRY_MS, DEFAULT_RETRY_MS);
    this.#heldMs = positiveMs(env.WEBHOOK_CLOCK_HELD_MS, DEFAULT_HELD_MS);
  }

  /**
   * RPC: the tenant wants its pump run at `at` (epoch ms) for `host`. Sets the alarm unless an
   * earlier one is set. Cheap: a write only when the host changed, and the alarm calls (which
   * workerd answers from the object's memory).
   */
  async wake(host: string, at: number): Promise<void> {
    if (typeof host !== "string" || host.length === 0 || !Number.isFinite(at)) {
      throw new TypeError("wake(host, at): a host name and a time in epoch milliseconds");
    }
    const kv = this.ctx.storage.kv;
    if (kv.get<string>(HOST_KEY) !== host) kv.put(HOST_KEY, host);
    const storage = this.ctx.storage;
    const next = Math.max(at, Date.now(), this.#lastPumpAt + MIN_PUMP_GAP_MS);
    // While the alarm runs, getAlarm() is null until something sets a new one: the run then keeps
    // the earlier of this and its own next time (see alarm()).
    const current = await storage.getAlarm();
    if (current === null || next < current) await storage.setAlarm(next);
  }

  override async alarm(): Promise<void> {
    const host = this.ctx.storage.kv.get<string>(HOST_KEY);
    if (host === undefined) return;
    // The pump request's id, and the id of every line this run logs.
    const requestId = crypto.randomUUID();
    let outcome: Outcome;
    try {
      outcome = await this.#run(host, requestId);
    } catch (error) {
      // The routing store could not be read, or something unexpected: try again later.
      logEvent("webhook_clock_failed", requestId, host, undefined, error);
      outcome = Date.now() + this.#retryMs;
    }
    try {
      await this.#settle(outcome);
    } catch (error) {
      logEvent("webhook_clock_failed", requestId, host, undefined, error);
    }
  }

  /** Reads the route and pumps when it is active; answers what comes next. */
  async #run(host: string, requestId: string): Promise<Outcome> {
    const lookup = await readRoute(this.env.ROUTES, host);
    if (lookup.kind === "unknown") return "stop";
    if (lookup.kind === "invalid") {
      logEvent("webhook_clock_invalid_route", requestId, host);
      return Date.now() + this.#heldMs;
    }
    const { record } = lookup;
    if (!this.#isClockOf(record)) return "stop";
    if (record.status === "suspended") return Date.now() + this.#heldMs;

    const pump = new Request(`https://${host}${WEBHOOK_PUMP_PATH}`, {
      method: "POST",
      headers: { [DISPATCH_PROOF_HEADER]: record.proof, [WEBHOOK_PUMP_HEADER]: "1", [REQUEST_ID_HEADER]: requestId },
    });
    let response: Response;
    this.#lastPumpAt = Date.now();
    try {
      response = await tenantWorker(this.env.DISPATCHER, record).fetch(pump);
    } catch (error) {
      logEvent("webhook_pump_failed", requestId, host, record.tenantId, error);
      return Date.now() + this.#retryMs;
    }
    const wake = wakeTimeOf(response.headers.get(WEBHOOK_WAKE_HEADER));
    // The answer is a status and a header: its body is never read, so it is let go.
    await response.body?.cancel().catch(() => undefined);
    if (response.status !== 200) {
      logEvent("webhook_pump_failed", requestId, host, record.tenantId, `status ${response.status}`);
      return Date.now() + this.#retryMs;
    }
    return wake === null ? "sleep" : Math.max(wake, this.#lastPumpAt + MIN_PUMP_GAP_MS);
  }

  /** Sets the next alarm, keeping an earlier one a wake set during the run; or clears the clock. */
  async #settle(outcome: Outcome): Promise<void> {
    if (outcome === "sleep") return;
    const storage = this.ctx.storage;
    const woken = await storage.getAlarm();
    if (outcome === "stop") {
      // A wake during the run means a live route led to this clock again: let its alarm decide.
      if (woken === null) await storage.deleteAll();
      return;
    }
    await storage.setAlarm(woken === null ? outcome : Math.min(woken, outcome));
  }

  /** Whether this object is the record's clock (the host's record may name another tenant now). */
  #isClockOf(record: RouteRecord): boolean {
    const clocks = this.env.WEBHOOK_CLOCKS;
    return clocks === undefined || clockId(clocks, record).equals(this.ctx.id);
  }
}

function positiveMs(value: string | undefined, fallback: number): number {
  const ms = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(ms) && ms > 0 ? ms : fallback;
}

/**
 * The clock of a route record's script. An eu or uk tenant's is in the `eu` jurisdiction (Durable
 * Objects have no UK one; the tenant's D1 data is in the EU too): the object, and the tenant Worker
 * its alarm calls, run there, so deliveries are read, signed and sent from the EU.
 *
 * @example clocks.get(clockId(clocks, record))
 */
export function clockId(clocks: DurableObjectNamespace<WebhookClock>, record: RouteRecord): DurableObjectId {
  const residency = record.residency;
  const namespace = residency === "eu" || residency === "uk" ? clocks.jurisdiction("eu") : clocks;
  return namespace.idFromName(record.script);
}

/**
 * Tells the record's clock that its pump is due at `at` for `host`, logging rather than throwing
 * when the object cannot be reached (the deliveries then wait for the next wake).
 *
 * @example ctx.waitUntil(wakeClock(env.WEBHOOK_CLOCKS, record, host, at, requestId))
 */
export async function wakeClock(
  clocks: DurableObjectNamespace<WebhookClock>,
  record: RouteRecord,
  host: string,
  at: number,
  requestId: string,
): Promise<void> {
  try {
    await clocks.get(clockId(clocks, record)).wake(host, at);
  } catch (error) {
    logEvent("webhook_wake_failed", requestId, host, record.tenantId, error);
  }
}
