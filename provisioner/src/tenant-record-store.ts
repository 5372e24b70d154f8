/**
 * The tenant record in the routing store (`tenant:<id>`, its shape in contracts/tenant-record.ts):
 * read, written, deleted and listed through the Cloudflare API.
 */
import { type TenantRecord, tenantRecordKey, tenantRecordSchema } from "../../contracts/tenant-record.ts";
import type { Target } from "./config.ts";
import { StateConflictError } from "./errors.ts";
import { deleteRoutingValue, listRoutingKeys, readRoutingValue, writeRoutingValue } from "./routing-store.ts";

export type { TenantRecord };

/**
 * Read a tenant record; undefined when absent. A record that does not parse is a conflict the
 * operator must look at, never silently overwritten.
 *
 * @example
 *   const record = await readTenantRecord(target, "acme");
 */
export async function readTenantRecord(target: Target, tenantId: string): Promise<TenantRecord | undefined> {
  const raw = await readRoutingValue(target, tenantRecordKey(tenantId));
  if (raw === undefined) return undefined;
  const parsed = tenantRecordSchema.safeParse(raw);
  if (!parsed.success) {
    throw new StateConflictError(
      `the tenant record '${tenantRecordKey(tenantId)}' in the routing store is not a valid tenant record; ` +
        `inspect it (and delete it if it is stale) before running this again`,
    );
  }
  return parsed.data;
}

/**
 * Write a tenant record.
 *
 * @example
 *   await writeTenantRecord(target, { ...record, status: "active", updatedAt: new Date().toISOString() });
 */
export async function writeTenantRecord(target: Target, record: TenantRecord): Promise<void> {
  await writeRoutingValue(target, tenantRecordKey(record.tenantId), record, { status: record.status });
}

/**
 * Delete a tenant record (absent is fine).
 *
 * @example
 *   await deleteTenantRecord(target, "acme");
 */
export async function deleteTenantRecord(target: Target, tenantId: string): Promise<void> {
  await deleteRoutingValue(target, tenantRecordKey(tenantId));
}

/**
 * Ids of every tenant with a record, in key order.
 *
 * @example
 *   await listTenantIds(target) // ["acme", "globex"]
 */
export async function listTenantIds(target: Target): Promise<string[]> {
  const keys = await listRoutingKeys(target, "tenant:");
  return keys.map((k) => k.name.slice("tenant:".length)).sort();
}
