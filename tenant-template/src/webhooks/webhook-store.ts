/**
 * The webhook tables (migration 0010): the registered webhooks, the events some webhook wanted,
 * and the deliveries, which are both the outbox the pump works from (webhook-pump.ts) and the
 * delivery log the API answers.
 */
import type { ChangeEvent } from "./webhook-events.ts";
import type { DeliveryRecord, WebhookRecord } from "./webhook-records.ts";

export type { DeliveryRecord, WebhookRecord };

type Queryable = Pick<D1Database, "prepare">;

/** At most this many webhooks per registry: each change fans out to every one in one statement. */
export const MAX_WEBHOOKS = 20;

interface WebhookRow {
  id: string;
  url: string;
  events: string | null;
  description: string;
  created_at: string;
  created_by: string;
  previous_secret_expires_at: number | null;
}

/** What the API answers of a webhook (never a secret). */
const WEBHOOK_COLUMNS = "id, url, events, description, created_at, created_by, previous_secret_expires_at";

function recordOf(row: WebhookRow): WebhookRecord {
  const previousUntil = row.previous_secret_expires_at;
  return {
    id: row.id,
    url: row.url,
    events: row.events === null ? null : (JSON.parse(row.events) as string[]),
    description: row.description,
    createdAt: row.created_at,
    createdBy: row.created_by,
    previousSecretExpiresAt: previousUntil !== null && previousUntil > Date.now() ? iso(previousUntil) : null,
  };
}

/** A new webhook id: `wh_` and 20 random base-32 characters. */
export function generateWebhookId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let id = "wh_";
  for (const byte of crypto.getRandomValues(new Uint8Array(20))) id += alphabet[byte & 31];
  return id;
}

/**
 * Inserts a webhook unless the registry already has {@link MAX_WEBHOOKS}: one statement, so two
 * concurrent creates cannot both pass the count. `meta.changes` is 0 when it was refused.
 */
export function insertWebhookStatement(
  db: Queryable,
  webhook: Omit<WebhookRecord, "previousSecretExpiresAt"> & { secret: string },
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO webhooks (id, url, events, description, created_at, created_by, secret)
       SELECT ?, ?, ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM webhooks) < ${MAX_WEBHOOKS}`,
    )
    .bind(
      webhook.id,
      webhook.url,
      webhook.events === null ? null : JSON.stringify(webhook.events),
      webhook.description,
      webhook.createdAt,
      webhook.createdBy,
      webhook.secret,
    );
}

export async function findWebhook(db: Queryable, id: string): Promise<WebhookRecord | null> {
  const row = await db.prepare(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?`).bind(id).first<WebhookRow>();
  return row === null ? null : recordOf(row);
}

/**
 * Gives a webhook a new secret, in one statement: the secret it had keeps signing beside the new
 * one until `previousExpiresAt` (epoch ms), or stops at once when that is null (a leaked secret).
 * A secret that was already the previous one is dropped. Answers the webhook, or null if it is gone.
 *
 * @example
 *   await rotateWebhookSecret(db, "wh_...", generateWebhookSecret(), Date.now() + 86_400_000)
 */
export async function rotateWebhookSecret(
  db: Queryable,
  id: string,
  secret: string,
  previousExpiresAt: number | null,
): Promise<WebhookRecord | null> {
  // An UPDATE reads every column as it was before it: `previous_secret = secret` keeps the old one.
  const row = await db
    .prepare(
      `UPDATE webhooks
          SET previous_secret = CASE WHEN ?1 IS NULL THEN NULL ELSE secret END,
              previous_secret_expires_at = ?1, secret = ?2
        WHERE id = ?3 RETURNING ${WEBHOOK_COLUMNS}`,
    )
    .bind(previousExpiresAt, secret, id)
    .first<WebhookRow>();
  return row === null ? null : recordOf(row);
}

export async function listWebhooks(db: Queryable): Promise<WebhookRecord[]> {
  const { results } = await db
    .prepare(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at, id`)
    .all<WebhookRow>();
  return results.map(recordOf);
}

/** Deletes a webhook with its deliveries, and the events no delivery refers to any more. */
export function deleteWebhookStatements(db: Queryable, id: string): D1PreparedStatement[] {
  return [
    db.prepare("DELETE FROM webhook_deliveries WHERE webhook_id = ?").bind(id),
    db.prepare("DELETE FROM webhooks WHERE id = ?").bind(id),
    db.prepare(
      `DELETE FROM webhook_events
        WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)`,
    ),
  ];
}

/** What every delivery body carries besides the event's own data. */
export interface EventEnvelope {
  tenant: string;
  actor: string;
  requestId: string;
}

/** A new event id: `evt_`, the time (so ids sort by time) and randomness. */
export function generateEventId(now: number): string {
  const random = crypto.getRandomValues(new Uint8Array(8));
  let hex = "";
  for (const byte of random) hex += byte.toString(16).padStart(2, "0");
  return `evt_${now.toString(36).padStart(9, "0")}${hex}`;
}

/** The JSON a delivery sends, exactly as signed. */
export function eventBody(id: string, event: ChangeEvent, envelope: EventEnvelope, now: number): string {
  return JSON.stringify({
    id,
    type: event.type,
    time: new Date(now).toISOString(),
    tenant: envelope.tenant,
    data: { ...event.data, actor: envelope.actor, requestId: envelope.requestId },
  });
}

const SUBSCRIBED = "(w.events IS NULL OR EXISTS (SELECT 1 FROM json_each(w.events) WHERE json_each.value = ?))";

/**
 * The statements that put events in the outbox: each event is stored, and a delivery made for each
 * webhook subscribed to it, only if there is one: a registry without webhooks pays two statements
 * that write nothing, in a batch it runs anyway (the audit entry's). The deliveries' `meta.changes`
 * tell whether anything is now due (`deliveryResults` are their indexes in `statements`).
 */
export function outboxStatements(
  db: Queryable,
  events: readonly ChangeEvent[],
  envelope: EventEnvelope,
  now: number,
): { statements: D1PreparedStatement[]; deliveryResults: number[] } {
  const statements: D1PreparedStatement[] = [];
  const deliveryResults: number[] = [];
  for (const event of events) {
    const id = generateEventId(now);
    statements.push(
      db
        .prepare(
          `INSERT INTO webhook_events (id, type, lane, body, created_at)
           SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhooks w WHERE ${SUBSCRIBED})`,
        )
        .bind(id, event.type, event.lane, eventBody(id, event, envelope, now), now, event.type),
    );
    deliveryResults.push(statements.length);
    statements.push(
      db
        .prepare(
          `INSERT INTO webhook_deliveries (webhook_id, event_id, lane, status, created_at, next_attempt_at)
           SELECT w.id, ?, ?, 'pending', ?, ? FROM webhooks w WHERE ${SUBSCRIBED} ORDER BY w.id`,
        )
        .bind(id, event.lane, now, now, event.type),
    );
  }
  return { statements, deliveryResults };
}

/** The test event: stored and queued for one webhook only. */
export function testEventStatements(
  db: Queryable,
  webhookId: string,
  event: ChangeEvent,
  envelope: EventEnvelope,
  now: number,
): { id: string; statements: D1PreparedStatement[] } {
  const id = generateEventId(now);
  return {
    id,
    statements: [
      db
        .prepare("INSERT INTO webhook_events (id, type, lane, body, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(id, event.type, event.lane, eventBody(id, event, envelope, now), now),
      db
        .prepare(
          `INSERT INTO webhook_deliveries (webhook_id, event_id, lane, status, created_at, next_attempt_at)
           VALUES (?, ?, ?, 'pending', ?, ?)`,
        )
        .bind(webhookId, id, event.lane, now, now),
    ],
  };
}

interface DeliveryRow {
  id: number;
  event_id: string;
  type: string;
  status: DeliveryRecord["status"];
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A page of a webhook's deliveries, newest first; `before` is the previous page's cursor.
 *
 * @example
 *   await listDeliveries(db, "wh_...", { limit: 50, status: "failed" })
 */
export async function listDeliveries(
  db: Queryable,
  webhookId: string,
  query: { limit: number; before?: number | undefined; status?: DeliveryRecord["status"] | undefined },
): Promise<{ items: DeliveryRecord[]; nextCursor: string | null }> {
  const { results } = await db
    .prepare(
      `SELECT d.id, d.event_id, e.type, d.status, d.attempts, d.created_at, d.next_attempt_at,
              d.last_attempt_at, d.last_status, d.last_error
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
        WHERE d.webhook_id = ? AND d.id < ? AND (? IS NULL OR d.status = ?)
        ORDER BY d.id DESC LIMIT ?`,
    )
    .bind(
      webhookId,
      query.before ?? Number.MAX_SAFE_INTEGER,
      query.status ?? null,
      query.status ?? null,
      query.limit + 1,
    )
    .all<DeliveryRow>();
  const page = results.slice(0, query.limit);
  return {
    items: page.map((row) => ({
      id: row.id,
      eventId: row.event_id,
      eventType: row.type,
      status: row.status,
      attempts: row.attempts,
      createdAt: new Date(row.created_at).toISOString(),
      lastAttemptAt: iso(row.last_attempt_at),
      lastStatus: row.last_status,
      lastError: row.last_error,
      nextAttemptAt: row.status === "pending" ? iso(row.next_attempt_at) : null,
    })),
    nextCursor: results.length > query.limit ? String(page.at(-1)?.id) : null,
  };
}
