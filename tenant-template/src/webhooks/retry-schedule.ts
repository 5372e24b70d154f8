/**
 * When a failed delivery is tried again (docs/webhooks.md, "Retries"): exponential backoff from
 * 5 seconds, four times longer each time, up to 3 hours between attempts, each delay varied by up
 * to a fifth so that many deliveries failed together do not return together; and never after the
 * event is 24 hours old, when the delivery is given up. So about 14 attempts: 5 s, 20 s, 80 s,
 * 5 min, 21 min, 85 min, then every 3 hours, and a last one at 24 hours.
 */

export const FIRST_RETRY_MS = 5_000;
export const BACKOFF_FACTOR = 4;
export const MAX_RETRY_DELAY_MS = 3 * 60 * 60_000;
/** How long after its event a delivery is tried at all. */
export const RETRY_WINDOW_MS = 24 * 60 * 60_000;

/**
 * After `attempts` failed attempts of a delivery whose event happened at `createdAt`: the time of
 * the next attempt, or null to give up. `jitter` is in [0, 1) (Math.random by default).
 *
 * @example
 *   nextAttemptAt(1, createdAt, now, 0.5) // now + 5 s
 *   nextAttemptAt(9, createdAt, createdAt + RETRY_WINDOW_MS) // null: given up
 */
export function nextAttemptAt(
  attempts: number,
  createdAt: number,
  now: number,
  jitter: number = Math.random(),
): number | null {
  const end = createdAt + RETRY_WINDOW_MS;
  if (now >= end) return null;
  const base = Math.min(FIRST_RETRY_MS * BACKOFF_FACTOR ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
  const delay = Math.round(base * (0.8 + 0.4 * jitter));
  return Math.min(now + delay, end);
}
