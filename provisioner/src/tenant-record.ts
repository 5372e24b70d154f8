/**
 * The tenant record, `tenant:<id>` in the routing store: the desired spec plus what the
 * provisioner last made real. Written `provisioning` before the first change and `active` when
 * the tenant is complete; deleted last. It is memory, not truth: every run still looks each
 * resource up by its deterministic name.
 */
import { z } from "zod";
import type { Target } from "./config.ts";
import { StateConflictError } from "./errors.ts";
import { LOCATION_HINTS, RESIDENCIES } from "./residency.ts";
import { deleteRoutingValue, listRoutingKeys, readRoutingValue, writeRoutingValue } from "./routing-store.ts";
import { tenantRecordKey } from "./tenant-names.ts";
import { PLAN_NAMES, type Plan } from "./tenant-spec.ts";

export const tenantRecordSchema = z.object({
  tenantId: z.string(),
  status: z.enum(["provisioning", "active"]),
  spec: z.object({
    id: z.string(),
    domains: z.array(z.string()),
    residency: z.enum(RESIDENCIES),
    plan: z.enum(PLAN_NAMES as [Plan, ...Plan[]]),
    locationHint: z.enum(LOCATION_HINTS).optional(),
    cacheMode: z.enum(["on", "off"]),
    corsOrigins: z.array(z.string()).default([]),
    requestsPerMinute: z.number().optional(),
  }),
  resources: z.object({
    d1: z.object({ name: z.string(), id: z.string(), jurisdiction: z.string().nullable().optional() }).optional(),
    kv: z.object({ title: z.string(), id: z.string() }).optional(),
    script: z.object({ name: z.string(), tag: z.string(), metadataFingerprint: z.string() }).optional(),
    customHostnames: z.array(z.object({ hostname: z.string(), id: z.string() })).optional(),
    regionalHostnames: z.array(z.object({ hostname: z.string(), regionKey: z.string() })).optional(),
    migrations: z.array(z.string()).optional(),
  }),
  /**
   * sha-256 of the admin key shown to the operator when the tenant became active. Kept so a
   * later repair or template upgrade re-uploads the same hash instead of rotating the key.
   * The hash of a 256-bit random key reveals nothing usable.
   */
  adminKeyHash: z.string().optional(),
  /**
   * The tenant's dispatch proof (256 random bits, base64url), kept here so that every re-run,
   * resumed or not, uploads and routes with the same value. It is also in every route record
   * of the tenant, in this same namespace, so keeping it here exposes nothing new. Absent on a
   * tenant created before proofs existed: the next create mints one.
   */
  dispatchProof: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TenantRecord = z.infer<typeof tenantRecordSchema>;

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
