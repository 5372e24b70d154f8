/**
 * The tenant record in the routing store (`tenant:<id>`, its shape in contracts/tenant-record.ts):
 * read, written, deleted and listed through the Cloudflare API.
 */
import { REGISTRY_REF_SEPARATOR } from "../../contracts/registry-ref.ts";
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
 * Refs of every registry with a record, in key order: each tenant's default registry by the
 * tenant id, its other registries as `<tenant>:<registry>` (contracts/registry-ref.ts).
 *
 * @example
 *   await listTenantIds(target) // ["acme", "acme:staging", "globex"]
 */
export async function listTenantIds(target: Target): Promise<string[]> {
  const keys = await listRoutingKeys(target, "tenant:");
  return keys.map((k) => k.name.slice("tenant:".length)).sort();
}

/**
 * The records of one tenant's registries: its default registry's (`tenant:<id>`, first when it
 * exists) and those under `tenant:<id>:`. Two calls plus one read per other registry, whatever
 * the size of the fleet.
 *
 * @example
 *   (await readTenantRegistries(target, "acme")).map((r) => r.tenantId) // ["acme", "acme:staging"]
 */
export async function readTenantRegistries(target: Target, tenantId: string): Promise<TenantRecord[]> {
  const [first, refs] = await Promise.all([
    readTenantRecord(target, tenantId),
    listOtherRegistryRefs(target, tenantId),
  ]);
  const others: TenantRecord[] = [];
  for (const ref of refs) {
    const record = await readTenantRecord(target, ref);
    if (record) others.push(record); // absent: deleted between the list and the read
  }
  return first ? [first, ...others] : others;
}

/**
 * Refs of a tenant's registries other than its default one, from one key listing (`tenant:<id>:`).
 *
 * @example
 *   await listOtherRegistryRefs(target, "acme") // ["acme:staging"]
 */
export async function listOtherRegistryRefs(target: Target, tenantId: string): Promise<string[]> {
  const keys = await listRoutingKeys(target, `${tenantRecordKey(tenantId)}${REGISTRY_REF_SEPARATOR}`);
  return keys.map((k) => k.name.slice("tenant:".length)).sort();
}
