/**
 * The tenant's API keys: the `admin` key (its hash is the ADMIN_KEY_HASH secret the provisioner
 * sets) and the keys in the `api_keys` table (migration 0005). Authentication hashes the presented
 * key and compares digests in constant time; an unknown key id costs the same comparison, and every
 * refusal looks the same to the client (docs/security.md).
 */
import {
  ADMIN_KEY_ID,
  digestsEqual,
  hashKey,
  keyStatus,
  presentKey,
  ROLES,
  type ApiKeyRecord,
  type KeyRecordRow,
  type Role,
} from "../../../contracts/api-key.ts";
import { fixedWidthEqual, paddedSecret, type PaddedSecret } from "./fixed-width-equal.ts";

/** Who a request acts as once its key is accepted. */
export interface Principal {
  keyId: string;
  role: Role;
  /** Set: /api is limited to this product's subtree. */
  productId: string | null;
  /** Set: the Confluent API is limited to subjects starting with this. */
  subjectPrefix: string | null;
}

/** The outcome of checking a presented key. */
export type Authentication =
  | { ok: true; principal: Principal }
  /** `known`: the key id exists (so the refusal may be recorded against it). */
  | { ok: false; known: boolean };

type Queryable = Pick<D1Database, "prepare">;

interface KeyRow extends KeyRecordRow {
  key_hash: string;
}

// Compared against when the key id is unknown, so that case takes as long as a wrong secret.
const NO_SUCH_KEY = "0".repeat(64);

/**
 * The admin key, once a request presented it and its hash matched ADMIN_KEY_HASH (which it is
 * kept with: a different hash, and it no longer counts). This isolate's own memory, as the
 * request that carried it was: every later request with the admin key is checked against it in
 * constant time (fixed-width-equal.ts) instead of hashing the key again. A wrong key is still
 * hashed and compared as before.
 */
let verifiedAdmin: { hash: string; key: PaddedSecret } | undefined;

/**
 * Checks a presented key against the admin hash or the `api_keys` table: the digest must match,
 * the key must not be revoked and must not have expired (`now` >= `expires_at`).
 *
 * @example
 *   const result = await authenticateKey(env.DB, env.ADMIN_KEY_HASH, "admin", presentedKey);
 *   if (result.ok) c.set("principal", result.principal);
 */
export async function authenticateKey(
  db: Queryable,
  adminKeyHash: string | undefined,
  keyId: string,
  key: string,
  now: Date = new Date(),
): Promise<Authentication> {
  if (keyId === ADMIN_KEY_ID) {
    // A Worker without the secret (a misconfigured upload) accepts no admin key at all.
    const stored = typeof adminKeyHash === "string" && /^[0-9a-f]{64}$/.test(adminKeyHash) ? adminKeyHash : NO_SUCH_KEY;
    const admin = { ok: true, principal: { keyId, role: "admin", productId: null, subjectPrefix: null } } as const;
    // The key this isolate already saw match the hash: compared in constant time, without hashing.
    if (verifiedAdmin !== undefined && verifiedAdmin.hash === stored && fixedWidthEqual(key, verifiedAdmin.key))
      return admin;
    const matches = digestsEqual(await hashKey(key), stored) && stored !== NO_SUCH_KEY;
    if (!matches) return { ok: false, known: true };
    const padded = paddedSecret(key);
    if (padded !== null) verifiedAdmin = { hash: stored, key: padded };
    return admin;
  }
  const presented = await hashKey(key);
  const row = await db.prepare("SELECT * FROM api_keys WHERE id = ?").bind(keyId).first<KeyRow>();
  const matches = digestsEqual(presented, row?.key_hash ?? NO_SUCH_KEY);
  if (row === null) return { ok: false, known: false };
  if (!matches || keyStatus(row, now) !== "active" || !(ROLES as readonly string[]).includes(row.role))
    return { ok: false, known: true };
  return {
    ok: true,
    principal: { keyId, role: row.role as Role, productId: row.product_id, subjectPrefix: row.subject_prefix },
  };
}

/** What a new key is given (everything but its id, hash and creation facts). */
export interface NewKey {
  role: Role;
  productId: string | null;
  subjectPrefix: string | null;
  description: string | null;
  expiresAt: string | null;
}

/**
 * The statement that stores a new key (run it in a batch with its audit entry).
 *
 * @example
 *   await db.batch([insertKeyStatement(db, id, await hashKey(key), input, "admin", now)]);
 */
export function insertKeyStatement(
  db: Queryable,
  id: string,
  keyHash: string,
  key: NewKey,
  createdBy: string,
  createdAt: string,
): D1PreparedStatement {
  return db
    .prepare(
      "INSERT INTO api_keys (id, key_hash, role, product_id, subject_prefix, " +
        "description, created_at, created_by, expires_at) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(
      id,
      keyHash,
      key.role,
      key.productId,
      key.subjectPrefix,
      key.description,
      createdAt,
      createdBy,
      key.expiresAt,
    );
}

/** One key by id (without its hash), or null. */
export async function findKey(db: Queryable, id: string): Promise<ApiKeyRecord | null> {
  const row = await db.prepare("SELECT * FROM api_keys WHERE id = ?").bind(id).first<KeyRow>();
  return row === null ? null : presentKey(row);
}

/**
 * A page of keys, oldest first; `after` is the previous page's cursor (a rowid).
 *
 * @example
 *   const { items, nextCursor } = await listKeys(db, 100, null);
 */
export async function listKeys(
  db: Queryable,
  limit: number,
  after: number | null,
): Promise<{ items: ApiKeyRecord[]; nextCursor: string | null }> {
  const { results } = await db
    .prepare("SELECT rowid AS position, * FROM api_keys WHERE rowid > ? ORDER BY rowid LIMIT ?")
    .bind(after ?? 0, limit + 1)
    .all<KeyRow & { position: number }>();
  const page = results.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => presentKey(row)),
    nextCursor: results.length > limit && last !== undefined ? String(last.position) : null,
  };
}

/**
 * The statement that revokes a key (a key already revoked keeps its first revocation).
 *
 * @example
 *   await revokeKeyStatement(db, "k3x9", "admin", new Date().toISOString()).run();
 */
export function revokeKeyStatement(
  db: Queryable,
  id: string,
  revokedBy: string,
  revokedAt: string,
): D1PreparedStatement {
  return db
    .prepare("UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL")
    .bind(revokedAt, revokedBy, id);
}
