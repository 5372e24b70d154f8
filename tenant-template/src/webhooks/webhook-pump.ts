/**
 * Delivers what is due from the outbox (docs/webhooks.md, "How deliveries are driven"). Run when
 * the dispatcher's webhook clock asks (contracts/webhook-pump.ts): one pump at a time per tenant,
 * since the clock is one Durable Object whose alarms never overlap; a second pump anyway (an alarm
 * retried after a crash) can at worst send a delivery twice, never record it twice: each result is
 * written only if the row is still as it was read. Receivers dedupe by `webhook-id`.
 *
 * A round takes, for every webhook and lane, its oldest pending delivery if it is due, sends them
 * all (at most {@link PARALLEL} at once, each within {@link ATTEMPT_TIMEOUT_MS}), and records the
 * results in one batch. A lane's next delivery waits for the one before it: delivered, or given up
 * after 24 hours (retry-schedule.ts). Rounds repeat while something is due, within a budget; the
 * answer says when the next one is due.
 */
import { signWebhook } from "../../../contracts/webhook-signature.ts";
import { nextAttemptAt } from "./retry-schedule.ts";
import { webhookUrlRefusal, type WebhookUrlPolicy } from "./webhook-url.ts";

type Queryable = Pick<D1Database, "prepare" | "batch">;

/** Connections a Worker may have open at once (Cloudflare's limit is 6). */
const PARALLEL = 6;
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** Per pump, so one stays far inside a request's subrequest and time limits. */
const MAX_ATTEMPTS_PER_PUMP = 60;
const MAX_ROUNDS = 12;
/** The receiver's answer kept in the log, at most. */
const MAX_ERROR_LENGTH = 300;
/** Delivered and failed rows are kept this long for the log, then pruned by the pump. */
export const LOG_RETENTION_MS = 7 * 24 * 60 * 60_000;
const PRUNE_BATCH = 200;

interface DueRow {
  id: number;
  attempts: number;
  created_at: number;
  event_id: string;
  body: string;
  url: string;
  secret: string;
  /** Set for a while after a rotation (migration 0011): it signs too until it expires. */
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
}

/** What an attempt needs of its delivery, its event and its webhook. */
const DUE_COLUMNS = `d.id, d.attempts, d.created_at, d.event_id, e.body,
  w.url, w.secret, w.previous_secret, w.previous_secret_expires_at`;

interface Outcome {
  row: DueRow;
  delivered: boolean;
  status: number | null;
  error: string | null;
  at: number;
}

export interface PumpResult {
  delivered: number;
  failed: number;
  retrying: number;
  /** When the pump should run next (epoch ms), or null when nothing is pending. */
  nextWakeAt: number | null;
}

/**
 * Sends what is due and records what happened.
 *
 * @example
 *   const result = await pumpWebhooks(env.DB, { allowLoopback: false });
 *   // { delivered: 3, failed: 0, retrying: 1, nextWakeAt: 1765100005000 }
 */
export async function pumpWebhooks(
  db: Queryable,
  policy: WebhookUrlPolicy,
  send: typeof fetch = fetch,
  clock: () => number = Date.now,
): Promise<PumpResult> {
  const result: PumpResult = { delivered: 0, failed: 0, retrying: 0, nextWakeAt: null };
  let attempts = 0;
  for (let round = 0; round < MAX_ROUNDS && attempts < MAX_ATTEMPTS_PER_PUMP; round++) {
    const due = await dueDeliveries(db, clock(), MAX_ATTEMPTS_PER_PUMP - attempts);
    if (due.length === 0) break;
    attempts += due.length;
    const outcomes = await inParallel(due, PARALLEL, (row) => attempt(row, policy, send, clock));
    // The log's pruning rides along with the first round's results: no round trip of its own.
    const prune = round === 0 ? pruneStatements(db, clock()) : [];
    await db.batch([...outcomes.map((outcome) => recordStatement(db, outcome, result)), ...prune]);
  }
  result.nextWakeAt = await nextDue(db);
  return result;
}

/**
 * Removes, in bounded steps, log entries past their retention and the events no entry needs, and
 * forgets rotated-out secrets whose time is over (they no longer sign; a registry has at most 20
 * webhooks).
 */
function pruneStatements(db: Queryable, now: number): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `UPDATE webhooks SET previous_secret = NULL, previous_secret_expires_at = NULL
          WHERE previous_secret_expires_at <= ?`,
      )
      .bind(now),
    db
      .prepare(
        `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
          WHERE status != 'pending' AND created_at < ? ORDER BY id LIMIT ${PRUNE_BATCH})`,
      )
      .bind(now - LOG_RETENTION_MS),
    db
      .prepare(
        `DELETE FROM webhook_events WHERE id IN (SELECT e.id FROM webhook_events e WHERE e.created_at < ?
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id) LIMIT ${PRUNE_BATCH})`,
      )
      .bind(now - LOG_RETENTION_MS),
  ];
}

/** The oldest pending delivery of every webhook and lane, if it is due. */
async function dueDeliveries(db: Queryable, now: number, limit: number): Promise<DueRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${DUE_COLUMNS}
         FROM webhook_deliveries d
         JOIN webhook_events e ON e.id = d.event_id
         JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= ?
          AND d.id = (SELECT min(head.id) FROM webhook_deliveries head
                       WHERE head.status = 'pending' AND head.webhook_id = d.webhook_id AND head.lane = d.lane)
        ORDER BY d.id LIMIT ?`,
    )
    .bind(now, limit)
    .all<DueRow>();
  return results;
}

/** The earliest time a lane's head is due, or null when nothing is pending. */
async function nextDue(db: Queryable): Promise<number | null> {
  return db
    .prepare(
      `SELECT min(d.next_attempt_at) AS at FROM webhook_deliveries d
        WHERE d.status = 'pending'
          AND d.id = (SELECT min(p.id) FROM webhook_deliveries p
                       WHERE p.status = 'pending' AND p.webhook_id = d.webhook_id AND p.lane = d.lane)`,
    )
    .first<number | null>("at");
}

/**
 * Sends one delivery now, whatever its lane (the test delivery, alone in its lane), and records
 * it; a failure is left to the retries.
 *
 * @example
 *   const { outcome, nextAttemptAt } = await deliverNow(env.DB, policy, deliveryId);
 */
export async function deliverNow(
  db: Queryable,
  policy: WebhookUrlPolicy,
  deliveryId: number,
  send: typeof fetch = fetch,
  clock: () => number = Date.now,
): Promise<{ delivered: boolean; status: number | null; error: string | null; pending: boolean }> {
  const row = await db
    .prepare(
      `SELECT ${DUE_COLUMNS}
         FROM webhook_deliveries d
         JOIN webhook_events e ON e.id = d.event_id
         JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.id = ? AND d.status = 'pending'`,
    )
    .bind(deliveryId)
    .first<DueRow>();
  if (row === null) return { delivered: false, status: null, error: "not pending", pending: false };
  const outcome = await attempt(row, policy, send, clock);
  const counts: PumpResult = { delivered: 0, failed: 0, retrying: 0, nextWakeAt: null };
  await recordStatement(db, outcome, counts).run();
  return { delivered: outcome.delivered, status: outcome.status, error: outcome.error, pending: counts.retrying > 0 };
}

/** Sends one delivery; never throws. */
async function attempt(
  row: DueRow,
  policy: WebhookUrlPolicy,
  send: typeof fetch,
  clock: () => number,
): Promise<Outcome> {
  const at = clock();
  const refusal = webhookUrlRefusal(row.url, policy);
  if (refusal !== null) return { row, delivered: false, status: null, error: `url refused: ${refusal}`, at };
  try {
    const secrets =
      row.previous_secret !== null && (row.previous_secret_expires_at ?? 0) > at
        ? [row.secret, row.previous_secret]
        : [row.secret];
    const headers = await signWebhook(secrets, row.event_id, Math.floor(at / 1000), row.body);
    const response = await send(row.url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "user-agent": "schema-registry-webhooks/1" },
      body: row.body,
      // A redirect could lead anywhere the URL check did not see: it counts as a failure.
      redirect: "manual",
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    const text = response.ok ? "" : await response.text().catch(() => "");
    if (response.ok) await response.body?.cancel();
    return {
      row,
      delivered: response.status >= 200 && response.status < 300,
      status: response.status,
      error: response.ok ? null : `HTTP ${response.status}${text === "" ? "" : `: ${text.slice(0, MAX_ERROR_LENGTH)}`}`,
      at,
    };
  } catch (error) {
    const timedOut = (error as Error)?.name === "TimeoutError";
    const message = timedOut
      ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`
      : String((error as Error)?.message ?? error);
    return { row, delivered: false, status: null, error: message.slice(0, MAX_ERROR_LENGTH), at };
  }
}

/** The outcome as an update of the row, only if it is still the row that was read. */
function recordStatement(db: Queryable, outcome: Outcome, result: PumpResult): D1PreparedStatement {
  const { row, at } = outcome;
  const attempts = row.attempts + 1;
  const next = outcome.delivered ? null : nextAttemptAt(attempts, row.created_at, at);
  const status = outcome.delivered ? "delivered" : next === null ? "failed" : "pending";
  if (status === "delivered") result.delivered++;
  else if (status === "failed") result.failed++;
  else result.retrying++;
  return db
    .prepare(
      `UPDATE webhook_deliveries
          SET status = ?, attempts = ?, last_attempt_at = ?, last_status = ?, last_error = ?, next_attempt_at = ?
        WHERE id = ? AND status = 'pending' AND attempts = ?`,
    )
    .bind(status, attempts, at, outcome.status, outcome.error, next ?? at, row.id, row.attempts);
}

async function inParallel<T, R>(items: readonly T[], width: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}
