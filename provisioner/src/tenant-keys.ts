/**
 * Operator-side management of a tenant's API keys (`npm run tenant -- keys ...`, docs/security.md).
 * The operator acts with the Cloudflare API token, not with a tenant key: the CLI writes the
 * tenant's D1 database through the D1 query API (the same client the provisioner uses for
 * migrations), hashes the key here (only the hash is sent), and records each change in the
 * tenant's audit log as actor `operator`, in the same D1 batch as the change itself.
 */
import { DOCUMENT_ID } from "../../contracts/document-id.ts";
import { randomUUID } from "node:crypto";
import type { Target } from "./config.ts";
import { findD1Database } from "./d1-database.ts";
import { apiCall, InputError, TenantNotFoundError } from "./errors.ts";
import { tenantNames } from "./tenant-names.ts";
import {
  ADMIN_KEY_ID,
  generateKey,
  generateKeyId,
  hashJson,
  hashKey,
  KEY_ID,
  KEY_RECORD_COLUMNS,
  presentKey,
  ROLES,
  type ApiKeyRecord,
  type KeyRecordRow,
  type Role,
} from "../../contracts/api-key.ts";

/** The actor the tenant's audit log records for changes made with the CLI. */
const OPERATOR_ACTOR = "operator";

/** A key's record exactly as the tenant's `/api/keys` shows it (one definition: the audit hashes cover it). */
export type TenantKeyRecord = ApiKeyRecord;

/** What `keys create` asks for, already validated by {@link parseNewKey}. */
export interface NewTenantKey {
  role: Role;
  productId: string | null;
  subjectPrefix: string | null;
  description: string | null;
  expiresAt: string | null;
}

/** No key with this id in the tenant. Exit code 4, like a missing tenant. */
export class KeyNotFoundError extends Error {
  override readonly name = "KeyNotFoundError";
  constructor(
    readonly tenantId: string,
    readonly keyId: string,
  ) {
    super(`tenant '${tenantId}' has no API key '${keyId}' (npm run tenant -- keys list ${tenantId})`);
  }
}

const RELATIVE = /^(\d{1,5})([dh])$/;

/**
 * Validates `keys create` options, collecting every problem (exit 2, before any API call).
 * `expires` is an ISO 8601 time or a duration from now: `30d`, `12h`.
 *
 * @example
 *   parseNewKey({ role: "read", expires: "30d" }, new Date())
 */
export function parseNewKey(
  options: {
    role?: string | undefined;
    product?: string | undefined;
    subjectPrefix?: string | undefined;
    expires?: string | undefined;
    description?: string | undefined;
  },
  now: Date = new Date(),
): NewTenantKey {
  const problems: string[] = [];
  const role = options.role;
  if (role === undefined) problems.push(`give the key a role: --role ${ROLES.join("|")}`);
  else if (!(ROLES as readonly string[]).includes(role))
    problems.push(`--role must be one of ${ROLES.join(", ")} (got '${role}')`);
  if (options.product !== undefined && !DOCUMENT_ID.test(options.product))
    problems.push(
      `--product must be a product id, e.g. 00000000-0000-7000-8000-000000000001 (got '${options.product}')`,
    );
  if (
    options.subjectPrefix !== undefined &&
    (options.subjectPrefix === "" || options.subjectPrefix.length > 255 || /\p{Cc}/u.test(options.subjectPrefix))
  ) {
    problems.push("--subject-prefix must be 1-255 characters, without control characters");
  }
  if (role === "admin" && (options.product !== undefined || options.subjectPrefix !== undefined))
    problems.push(
      "an admin key cannot be scoped (admin endpoints are tenant-wide): " +
        "drop --product / --subject-prefix or use --role write",
    );
  let expiresAt: string | null = null;
  if (options.expires !== undefined) {
    const relative = RELATIVE.exec(options.expires);
    const at =
      relative !== null
        ? now.getTime() + Number(relative[1]) * (relative[2] === "d" ? 86_400_000 : 3_600_000)
        : Date.parse(options.expires);
    if (!Number.isFinite(at) || (relative === null && !/^\d{4}-\d{2}-\d{2}(?:T|$)/.test(options.expires)))
      problems.push(
        `--expires must be an ISO 8601 time (2027-01-31T00:00:00Z) ` +
          `or a duration like 30d or 12h (got '${options.expires}')`,
      );
    else if (at <= now.getTime()) problems.push(`--expires must be in the future (got '${options.expires}')`);
    else expiresAt = new Date(at).toISOString();
  }
  if (options.description !== undefined && options.description.length > 500)
    problems.push("--description must be at most 500 characters");
  if (problems.length > 0) throw new InputError(problems);
  return {
    role: role as Role,
    productId: options.product ?? null,
    subjectPrefix: options.subjectPrefix ?? null,
    description: options.description ?? null,
    expiresAt,
  };
}

/**
 * Validates a key id given to `keys revoke` (exit 2, before any API call).
 *
 * @example
 *   parseKeyId("q8c1zk0m3v7d")
 */
export function parseKeyId(keyId: string | undefined): string {
  if (keyId === undefined)
    throw new InputError(["give the key id to revoke: npm run tenant -- keys revoke <tenant> <keyId>"]);
  if (keyId === ADMIN_KEY_ID)
    throw new InputError([
      "the admin key cannot be revoked: it is the tenant's provisioning key (its hash is the ADMIN_KEY_HASH secret); " +
        "replace it with 'npm run tenant -- keys rotate-admin <tenant>' " +
        "(a new key, printed once; the old one stops working)",
    ]);
  if (!KEY_ID.test(keyId)) throw new InputError([`'${keyId}' is not a key id ([a-z0-9], at most 32 characters)`]);
  return keyId;
}

// The query API binds strings only: '' stands for NULL in optional columns.
const AUDIT_INSERT =
  "INSERT INTO audit_log (at, actor, action, target, outcome, status, request_id, before_hash, after_hash) " +
  "VALUES (?, ?, ?, ?, 'ok', ?, ?, NULLIF(?, ''), NULLIF(?, ''))";

interface Statement {
  sql: string;
  params: string[];
}

/** The tenant's D1 database, or TenantNotFoundError. */
async function tenantDatabase(target: Target, tenantId: string): Promise<{ id: string; name: string }> {
  const name = tenantNames(tenantId).d1Database;
  const database = await findD1Database(target, name);
  if (database === undefined) throw new TenantNotFoundError(tenantId);
  return { id: database.id, name };
}

/** Runs statements as one D1 batch (all or nothing) and answers each one's rows. */
async function run(
  target: Target,
  database: { id: string; name: string },
  action: string,
  statements: Statement[],
): Promise<Record<string, unknown>[][]> {
  const page = await apiCall(action, "D1 database", database.name, () =>
    target.client.d1.database.query(database.id, {
      account_id: target.accountId,
      batch: statements.map(({ sql, params }) => ({ sql, params })),
    }),
  );
  return page.getPaginatedItems().map((result) => (result.results ?? []) as Record<string, unknown>[]);
}

function auditStatement(
  action: string,
  keyId: string,
  status: number,
  before: string | null,
  after: string | null,
  at: string,
): Statement {
  return {
    sql: AUDIT_INSERT,
    params: [
      at,
      OPERATOR_ACTOR,
      action,
      `/api/keys/${keyId}`,
      String(status),
      `cli-${randomUUID()}`,
      before ?? "",
      after ?? "",
    ],
  };
}

/**
 * Creates a key in the tenant's D1 and records it in the audit log; the key is in the answer only.
 *
 * @example
 *   const { key, record } = await createTenantKey(target, "acme", parseNewKey({ role: "read" }));
 */
export async function createTenantKey(
  target: Target,
  tenantId: string,
  input: NewTenantKey,
  now: Date = new Date(),
): Promise<{ key: string; record: TenantKeyRecord }> {
  const database = await tenantDatabase(target, tenantId);
  if (input.productId !== null) {
    const [rows] = await run(target, database, "checking the product of a key in", [
      { sql: "SELECT id FROM products WHERE id = ?", params: [input.productId] },
    ]);
    if ((rows ?? []).length === 0) throw new InputError([`tenant '${tenantId}' has no product '${input.productId}'`]);
  }
  const id = generateKeyId();
  const key = generateKey(id);
  const createdAt = now.toISOString();
  const record = presentKey(
    {
      id,
      role: input.role,
      product_id: input.productId,
      subject_prefix: input.subjectPrefix,
      description: input.description,
      created_at: createdAt,
      created_by: OPERATOR_ACTOR,
      expires_at: input.expiresAt,
      revoked_at: null,
      revoked_by: null,
    },
    now,
  );
  await run(target, database, "creating an API key in", [
    {
      sql:
        `INSERT INTO api_keys (id, key_hash, role, product_id, subject_prefix, ` +
        `description, created_at, created_by, expires_at) ` +
        `VALUES (?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?, ?, NULLIF(?, ''))`,
      params: [
        id,
        await hashKey(key),
        input.role,
        input.productId ?? "",
        input.subjectPrefix ?? "",
        input.description ?? "",
        createdAt,
        OPERATOR_ACTOR,
        input.expiresAt ?? "",
      ],
    },
    auditStatement("key.create", id, 201, null, await hashJson(record), createdAt),
  ]);
  return { key, record };
}

/**
 * Every key of the tenant (never a hash), oldest first. The admin key is not a row: not listed.
 *
 * @example
 *   const keys = await listTenantKeys(target, "acme");
 */
export async function listTenantKeys(target: Target, tenantId: string): Promise<TenantKeyRecord[]> {
  const database = await tenantDatabase(target, tenantId);
  const [rows] = await run(target, database, "listing the API keys of", [
    { sql: `SELECT ${KEY_RECORD_COLUMNS} FROM api_keys ORDER BY rowid`, params: [] },
  ]);
  return (rows ?? []).map((row) => presentKey(row as unknown as KeyRecordRow));
}

/**
 * Revokes a key (refused from its next request on) and records it; revoking a revoked key changes
 * nothing and records nothing.
 *
 * @example
 *   const { record, changed } = await revokeTenantKey(target, "acme", "q8c1zk0m3v7d");
 */
export async function revokeTenantKey(
  target: Target,
  tenantId: string,
  keyId: string,
  now: Date = new Date(),
): Promise<{ record: TenantKeyRecord; changed: boolean }> {
  const database = await tenantDatabase(target, tenantId);
  const select: Statement = { sql: `SELECT ${KEY_RECORD_COLUMNS} FROM api_keys WHERE id = ?`, params: [keyId] };
  const [rows] = await run(target, database, "reading an API key of", [select]);
  const row = rows?.[0] as KeyRecordRow | undefined;
  if (row === undefined) throw new KeyNotFoundError(tenantId, keyId);
  const before = presentKey(row, now);
  if (row.revoked_at !== null) return { record: before, changed: false };
  const revokedAt = now.toISOString();
  const after = presentKey({ ...row, revoked_at: revokedAt, revoked_by: OPERATOR_ACTOR }, now);
  await run(target, database, "revoking an API key in", [
    {
      sql: "UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
      params: [revokedAt, OPERATOR_ACTOR, keyId],
    },
    auditStatement("key.revoke", keyId, 200, await hashJson(before), await hashJson(after), revokedAt),
  ]);
  return { record: after, changed: true };
}
