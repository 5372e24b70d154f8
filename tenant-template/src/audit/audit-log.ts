/**
 * The tenant's audit log (`audit_log`, migration 0005; docs/security.md): one row per mutation
 * through either API, per key change and per refused request by a known key. Writing an entry also
 * prunes, in the same batch, at most PRUNE_BATCH entries older than the tenant's retention, so the
 * log stays bounded without a scheduled job.
 */

import type { AuditEntry, AuditOutcome, StoredAuditEntry } from "../../../contracts/audit-entry.ts";

export type { AuditEntry, AuditOutcome, StoredAuditEntry };

type Queryable = Pick<D1Database, "prepare" | "batch">;

/** The retention used when the setting is missing or unreadable. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;
/** Old entries removed per write, at most: pruning never makes one request slow. */
const PRUNE_BATCH = 100;
/** Refusals recorded per key id per minute, at most (see docs/security.md). */
const DENIED_PER_KEY_PER_MINUTE = 20;

const INSERT_COLUMNS = "at, actor, action, target, outcome, status, request_id, before_hash, after_hash";

/** `outcome` for an HTTP status. */
export function outcomeOf(status: number): AuditOutcome {
  if (status === 401 || status === 403) return "denied";
  return status < 400 ? "ok" : "error";
}

function values(entry: AuditEntry): unknown[] {
  return [
    entry.at ?? new Date().toISOString(),
    entry.actor,
    entry.action,
    entry.target,
    entry.outcome,
    entry.status,
    entry.requestId,
    entry.beforeHash,
    entry.afterHash,
  ];
}

/**
 * The statement that prunes entries older than the tenant's retention (bounded).
 *
 * @example
 *   await db.batch([auditInsertStatement(db, entry), pruneStatement(db)]);
 */
function pruneStatement(db: Queryable, now: Date = new Date()): D1PreparedStatement {
  return db
    .prepare(
      `DELETE FROM audit_log WHERE id IN (
         SELECT id FROM audit_log
          WHERE at < strftime('%Y-%m-%dT%H:%M:%fZ', ?, '-' || coalesce((SELECT CAST(value AS INTEGER) ` +
        `FROM tenant_settings WHERE name = 'auditRetentionDays'), ${DEFAULT_AUDIT_RETENTION_DAYS}) || ' days')
          ORDER BY at LIMIT ${PRUNE_BATCH})`,
    )
    .bind(now.toISOString());
}

/** The statement that records one entry (to batch with the change it records). */
function auditInsertStatement(db: Queryable, entry: AuditEntry): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO audit_log (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(...values(entry));
}

/** Statements to run in the entry's batch, and which of their results say deliveries were queued. */
export interface AuditCompanions {
  statements: D1PreparedStatement[];
  /** Indexes into `statements` whose `meta.changes` count queued webhook deliveries. */
  deliveryResults: number[];
}

/**
 * Records an entry and prunes, with the change's webhook outbox statements when there are any
 * (webhooks/webhook-store.ts), in one batch. Answers whether any webhook delivery was queued. A
 * failure is logged, never thrown (the request it describes has already happened, and its answer
 * must not change because the log could not be written); if the batch with the outbox fails, the
 * entry is written alone, so webhooks never cost the audit log an entry.
 *
 * @example
 *   await recordAudit(env.DB, {
 *     actor: "admin",
 *     action: "product.create",
 *     target: "/api/products/0192...",
 *     outcome: "ok",
 *     status: 201,
 *     requestId,
 *     beforeHash: null,
 *     afterHash,
 *   });
 */
export async function recordAudit(db: Queryable, entry: AuditEntry, companions?: AuditCompanions): Promise<boolean> {
  const own = [auditInsertStatement(db, entry), pruneStatement(db)];
  if (companions !== undefined) {
    try {
      const results = await db.batch([...own, ...companions.statements]);
      return companions.deliveryResults.some((index) => (results[own.length + index]?.meta.changes ?? 0) > 0);
    } catch (error) {
      console.error(
        JSON.stringify({
          event: "webhook_outbox_failed",
          requestId: entry.requestId,
          action: entry.action,
          error: String(error),
        }),
      );
    }
  }
  try {
    await db.batch(own);
  } catch (error) {
    console.error(
      JSON.stringify({
        event: "audit_write_failed",
        requestId: entry.requestId,
        action: entry.action,
        error: String(error),
      }),
    );
  }
  return false;
}

/**
 * Records a refusal unless this key id already has DENIED_PER_KEY_PER_MINUTE refusals in the last
 * minute: one conditional INSERT, so a flood of bad guesses at a known key id grows the log by a
 * bounded amount. (Requests with no key, or naming a key id that does not exist, are not recorded.)
 *
 * @example
 *   await recordDenied(env.DB, {
 *     actor: "k3x9",
 *     action: "key.create",
 *     target: "/api/keys",
 *     outcome: "denied",
 *     status: 403,
 *     requestId,
 *     beforeHash: null,
 *     afterHash: null,
 *   });
 */
export async function recordDenied(db: Queryable, entry: AuditEntry, now: Date = new Date()): Promise<void> {
  const since = new Date(now.getTime() - 60_000).toISOString();
  try {
    await db.batch([
      db
        .prepare(
          `INSERT INTO audit_log (${INSERT_COLUMNS})
           SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
            WHERE (SELECT count(*) FROM audit_log
                    WHERE actor = ? AND outcome = 'denied'
                      AND id >= coalesce((SELECT id FROM audit_log WHERE at >= ? ` +
            `ORDER BY at LIMIT 1), 9223372036854775807)) < ${DENIED_PER_KEY_PER_MINUTE}`,
        )
        .bind(...values({ ...entry, at: entry.at ?? now.toISOString() }), entry.actor, since),
      pruneStatement(db, now),
    ]);
  } catch (error) {
    console.error(
      JSON.stringify({
        event: "audit_write_failed",
        requestId: entry.requestId,
        action: entry.action,
        error: String(error),
      }),
    );
  }
}

/** Filters of `GET /api/audit`; every one optional. */
export interface AuditQuery {
  actor?: string | undefined;
  action?: string | undefined;
  /** Entries whose target starts with this. */
  target?: string | undefined;
  outcome?: AuditOutcome | undefined;
  /** ISO times: `since` <= at < `until`. */
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
  /** Entries older than this id (the previous page's `nextCursor`). */
  before?: number | undefined;
}

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  outcome: AuditOutcome;
  status: number;
  request_id: string;
  before_hash: string | null;
  after_hash: string | null;
}

/**
 * A page of entries, newest first.
 *
 * @example
 *   const { items, nextCursor } = await queryAudit(db, { actor: "admin", limit: 50 });
 */
export async function queryAudit(
  db: Queryable,
  query: AuditQuery,
): Promise<{ items: StoredAuditEntry[]; nextCursor: string | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const equal = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = ?`);
    params.push(value);
  };
  equal("actor", query.actor);
  equal("action", query.action);
  equal("outcome", query.outcome);
  if (query.target !== undefined) {
    where.push("substr(target, 1, ?) = ?");
    params.push(query.target.length, query.target);
  }
  if (query.since !== undefined) {
    where.push("at >= ?");
    params.push(query.since);
  }
  if (query.until !== undefined) {
    where.push("at < ?");
    params.push(query.until);
  }
  if (query.before !== undefined) {
    where.push("id < ?");
    params.push(query.before);
  }
  const filter = where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "";
  const sql = `SELECT * FROM audit_log${filter} ORDER BY id DESC LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...params, query.limit + 1)
    .all<AuditRow>();
  const page = results.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row.id,
      at: row.at,
      actor: row.actor,
      action: row.action,
      target: row.target,
      outcome: row.outcome,
      status: row.status,
      requestId: row.request_id,
      beforeHash: row.before_hash,
      afterHash: row.after_hash,
    })),
    nextCursor: results.length > query.limit && last !== undefined ? String(last.id) : null,
  };
}
