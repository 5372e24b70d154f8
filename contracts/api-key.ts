/**
 * The tenant API key format and its hashing (docs/security.md, "API keys and roles"), shared by
 * the tenant Worker and the operator CLI (provisioner/src/tenant-keys.ts): Web Crypto only, so the
 * same code runs in workerd and in Node.
 *
 * A key is `wfp_<keyId>_<secret>`: the key id names it in lists and in the audit log, the secret is
 * 256 random bits in base64url. Only the lower-case hex sha-256 of the whole string is stored.
 */
import { sha256Hex } from "./sha256-hex.ts";

/** Roles, weakest first: each one may do everything the ones before it may. */
export const ROLES = ["read", "write", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** The key id of the first admin key, the one `tenant create` prints (its hash is ADMIN_KEY_HASH). */
export const ADMIN_KEY_ID = "admin";

export const KEY_ID = /^[a-z0-9]{1,32}$/;
/** Generated secrets are 43 base64url characters; anything between 16 and 128 is accepted. */
const SECRET = /^[A-Za-z0-9_-]{16,128}$/;
const KEY = /^wfp_([a-z0-9]{1,32})_([A-Za-z0-9_-]{16,128})$/;

/** Whether `role` may do what `needed` allows. */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/**
 * The key id of a whole key string, or null when it is not one.
 *
 * @example
 *   keyIdOf("wfp_k3x9_Vq3...") // "k3x9"
 *   keyIdOf("hello")           // null
 */
export function keyIdOf(key: string): string | null {
  return KEY.exec(key)?.[1] ?? null;
}

/**
 * The whole key from its two halves, as HTTP Basic sends them (user = key id, password = secret);
 * null when either half is malformed.
 *
 * @example
 *   joinKey("k3x9", "Vq3...") // "wfp_k3x9_Vq3..."
 */
export function joinKey(keyId: string, secret: string): string | null {
  return KEY_ID.test(keyId) && SECRET.test(secret) ? `wfp_${keyId}_${secret}` : null;
}

/**
 * A fresh key: `wfp_<keyId>_<43 base64url characters>` (256 random bits).
 *
 * @example
 *   generateKey("k3x9") // "wfp_k3x9_Vq3..."
 */
export function generateKey(keyId: string): string {
  if (!KEY_ID.test(keyId)) throw new Error(`invalid key id '${keyId}'`);
  return `wfp_${keyId}_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/**
 * A fresh key id: 12 characters of [a-z0-9] (62 bits), never `admin`.
 *
 * @example
 *   generateKeyId() // "q8c1zk0m3v7d"
 */
export function generateKeyId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  // 252 = 7 * 36: bytes at or above it are drawn again, so every character is equally likely.
  let id = "";
  while (id.length < 12) {
    for (const byte of crypto.getRandomValues(new Uint8Array(16)))
      if (byte < 252 && id.length < 12) id += alphabet[byte % 36];
  }
  return id;
}

/**
 * Lower-case hex sha-256 of a whole key string, as stored in `api_keys.key_hash` and ADMIN_KEY_HASH.
 *
 * @example
 *   await hashKey("wfp_admin_x") // "5c0e..."
 */
export async function hashKey(key: string): Promise<string> {
  return sha256Hex(key);
}

/**
 * Compares two lower-case hex digests in time that depends only on their length, so a wrong guess
 * learns nothing from how long the refusal took. Different lengths are simply unequal (digests
 * always have the same length; only a malformed stored value could differ).
 *
 * @example
 *   digestsEqual(await hashKey(presented), stored)
 */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index += 1) difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  return difference === 0;
}

/**
 * sha-256 hex of a value's JSON text, for the audit log's before/after hashes.
 *
 * @example
 *   await hashJson({ id: "p1", name: "Shop" })
 */
export async function hashJson(value: unknown): Promise<string> {
  return sha256Hex(JSON.stringify(value));
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** An `api_keys` row without its hash: what the Worker and the operator CLI both read. */
export interface KeyRecordRow {
  id: string;
  role: string;
  product_id: string | null;
  subject_prefix: string | null;
  description: string | null;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

/** The `api_keys` columns of {@link KeyRecordRow}, for SELECTs. */
export const KEY_RECORD_COLUMNS =
  "id, role, product_id, subject_prefix, description, created_at, created_by, expires_at, revoked_at, revoked_by";

/**
 * A key as `/api/keys` and `npm run tenant -- keys` show it (never the hash). Field order is part
 * of the contract: the audit log's before/after hashes cover this JSON, whichever side wrote it.
 */
export interface ApiKeyRecord {
  id: string;
  role: Role;
  productId: string | null;
  subjectPrefix: string | null;
  description: string | null;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  status: "active" | "expired" | "revoked";
}

/** Revoked, else expired (`now` >= `expires_at`), else active. */
export function keyStatus(row: Pick<KeyRecordRow, "expires_at" | "revoked_at">, now: Date): ApiKeyRecord["status"] {
  if (row.revoked_at !== null) return "revoked";
  if (row.expires_at !== null && !(Date.parse(row.expires_at) > now.getTime())) return "expired";
  return "active";
}

/**
 * The row as the API and the CLI show it.
 *
 * @example
 *   presentKey(row).status // "active"
 */
export function presentKey(row: KeyRecordRow, now: Date = new Date()): ApiKeyRecord {
  return {
    id: row.id,
    role: row.role as Role,
    productId: row.product_id,
    subjectPrefix: row.subject_prefix,
    description: row.description,
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
    status: keyStatus(row, now),
  };
}
