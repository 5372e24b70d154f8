import type { RequestIdVariables } from "./request-id.ts";

/** A tenant Worker's bindings, as the provisioner declares them in the upload metadata (docs/contracts.md). */
export interface TenantBindings {
  /** The tenant's own D1 database (`wfp-tenant-<id>`). */
  DB: D1Database;
  /** The tenant's cache: its own KV namespace (`wfp-tenant-<id>-cache`) or the shared one (`wfp-cache-shared`). */
  CACHE: KVNamespace;
  TENANT_ID: string;
  TEMPLATE_VERSION: string;
  RESIDENCY: "eu" | "uk" | "global";
  CACHE_MODE: "on" | "off";
  /** Shared KV mode: the prefix of every cache key (contracts/cache-prefix.ts); absent or "" otherwise. */
  CACHE_PREFIX?: string;
  /** Lower-case hex sha-256 of the tenant's admin API key (secret). */
  ADMIN_KEY_HASH: string;
  /** The per-tenant secret the dispatcher sends as `x-wfp-proof`; requests without it are refused (secret). */
  DISPATCH_PROOF: string;
  /**
   * "true" only on the local platform, which sets it in every Worker it runs: webhooks may then
   * deliver to loopback addresses over http, so tests can run a receiver (webhooks/webhook-url.ts).
   */
  WEBHOOK_ALLOW_LOOPBACK?: string;
}

export interface TenantEnv {
  Bindings: TenantBindings;
  Variables: RequestIdVariables;
}
