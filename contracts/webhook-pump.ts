/**
 * How a tenant's webhook deliveries are driven (docs/webhooks.md). The tenant Worker keeps its
 * outbox in its own D1 database and delivers from it; the dispatcher keeps one `WebhookClock`
 * Durable Object per tenant script, whose alarm asks the tenant to deliver what is due. The two
 * speak only through these headers and this path:
 *
 * 1. A tenant answer that leaves deliveries due carries {@link WEBHOOK_WAKE_HEADER}: the epoch
 *    milliseconds at which the tenant wants its pump run. The dispatcher removes the header from
 *    the answer and, without delaying it, tells the tenant's clock (the earliest time wins).
 * 2. When its alarm fires, the clock sends `POST` {@link WEBHOOK_PUMP_PATH} to the tenant's Worker
 *    (on the host it was last woken from), with the tenant's dispatch proof and
 *    {@link WEBHOOK_PUMP_HEADER}. Clients cannot send either: the dispatcher strips every `x-wfp-*`
 *    request header.
 * 3. The pump's 200 answer carries {@link WEBHOOK_WAKE_HEADER} again when more is due later; no
 *    header means nothing is pending, and the clock sleeps until the next wake.
 */

/** Response header: epoch ms at which the tenant wants its webhook pump run. */
export const WEBHOOK_WAKE_HEADER = "x-wfp-webhook-wake";

/** Request header the dispatcher's clock sets on a pump request; its value is always `1`. */
export const WEBHOOK_PUMP_HEADER = "x-wfp-webhook-pump";

/** The pump request's path on the tenant's host. */
export const WEBHOOK_PUMP_PATH = "/__wfp/webhooks/pump";

/**
 * The wake time a header carries, or null when it is absent or not a time.
 *
 * @example
 *   wakeTimeOf(response.headers.get(WEBHOOK_WAKE_HEADER)) // 1765100000000, or null
 */
export function wakeTimeOf(value: string | null): number | null {
  if (value === null || !/^\d{1,16}$/.test(value)) return null;
  return Number(value);
}
