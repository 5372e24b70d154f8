/**
 * The tenant record, `tenant:<id>` in the routing store: the desired spec plus what the
 * provisioner last made real. Written `provisioning` before the first change and `active` when
 * the tenant is complete; deleted last. It is memory, not truth: every run still looks each
 * resource up by its deterministic name. Its vocabulary (residencies, location hints, plans) is
 * defined here because every tool that reads a record must agree on it.
 */
import { z } from "zod";

/** Where a tenant's data may live (docs/provisioner.md, "Residency"). */
export const RESIDENCIES = ["eu", "uk", "global"] as const;
export type Residency = (typeof RESIDENCIES)[number];

/** D1's primary location hints, as Cloudflare names them. */
export const LOCATION_HINTS = ["wnam", "enam", "weur", "eeur", "apac", "oc"] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

/** Plans, cheapest first; their limits are the provisioner's (PLANS in provisioner/src/tenant-spec.ts). */
export const PLAN_NAMES = ["free", "standard", "pro"] as const;
export type Plan = (typeof PLAN_NAMES)[number];

/**
 * Where a tenant's cache lives: its own KV namespace, or the platform's shared one under a prefix
 * of its own (contracts/cache-prefix.ts), for accounts near Cloudflare's 1,000 namespaces.
 */
export const KV_MODES = ["dedicated", "shared"] as const;
export type KvMode = (typeof KV_MODES)[number];

export const tenantRecordSchema = z.object({
  tenantId: z.string(),
  status: z.enum(["provisioning", "active"]),
  spec: z.object({
    id: z.string(),
    domains: z.array(z.string()),
    residency: z.enum(RESIDENCIES),
    plan: z.enum(PLAN_NAMES),
    locationHint: z.enum(LOCATION_HINTS).optional(),
    cacheMode: z.enum(["on", "off"]),
    /** Absent in records made before the shared mode, all of which have their own namespace. */
    kvMode: z.enum(KV_MODES).default("dedicated"),
    corsOrigins: z.array(z.string()).default([]),
    requestsPerMinute: z.number().optional(),
  }),
  resources: z.object({
    d1: z.object({ name: z.string(), id: z.string(), jurisdiction: z.string().nullable().optional() }).optional(),
    /** The cache namespace (the shared one in shared mode, with the tenant's key prefix). */
    kv: z.object({ title: z.string(), id: z.string(), prefix: z.string().optional() }).optional(),
    script: z.object({ name: z.string(), tag: z.string(), metadataFingerprint: z.string() }).optional(),
    customHostnames: z.array(z.object({ hostname: z.string(), id: z.string() })).optional(),
    /**
     * Regional hostnames for the tenant's own domains, made before issue 11: Cloudflare refuses a
     * regional hostname outside the SaaS zone, so none is made now; kept so delete removes them.
     */
    regionalHostnames: z.array(z.object({ hostname: z.string(), regionKey: z.string() })).optional(),
    /**
     * The regional CNAME target an eu or uk tenant's hostnames point at (`eu.<zone>`, `uk.<zone>`):
     * a regional hostname in the SaaS zone that every tenant of the residency shares.
     */
    regionalTarget: z.object({ hostname: z.string(), regionKey: z.string() }).optional(),
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
  /**
   * Set while an operator has the tenant suspended (`tenant suspend`): its route records say
   * `suspended` (the dispatcher answers 403) and its script carries the `suspended` tag. Kept here
   * so a re-run of create, or a domain added meanwhile, stays suspended.
   */
  suspension: z.object({ reason: z.string().nullable(), since: z.string() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TenantRecord = z.infer<typeof tenantRecordSchema>;

/**
 * Routing-store key of a tenant record: one per registry, by its ref (contracts/registry-ref.ts),
 * so a tenant's registries are `tenant:acme` (the default) and the keys under `tenant:acme:`.
 *
 * @example
 *   tenantRecordKey("acme") // "tenant:acme"
 *   tenantRecordKey("acme:staging") // "tenant:acme:staging"
 */
export function tenantRecordKey(tenantId: string): string {
  return `tenant:${tenantId}`;
}
