/**
 * Moving one tenant to a template version, as a rollout or a rollback does: its pending migrations
 * first (never new code over missing migrations), then the new code uploaded with the tenant's own
 * bindings and secrets from its record (exactly what `tenant create` would upload for that
 * version), its tags saying the version and migration level, the record updated, and the tenant's
 * /health asked through the dispatcher until it answers the new version with a healthy D1.
 *
 * API calls: 1 record read, 1 migration read + 1 per pending migration, 1 upload, 1 record write.
 */
import { LOCAL_TENANT_PATH_PREFIX } from "../../../contracts/local-tenant-url.ts";
import type { Target } from "../config.ts";
import { applyMigrations, type Migration } from "../migrations.ts";
import { readTenantRecord, type TenantRecord, writeTenantRecord } from "../tenant-record-store.ts";
import { FLEET_TAG, migrationTag, tenantNames } from "../tenant-names.ts";
import { metadataFingerprint, tenantScriptMetadata, uploadWorkerScript } from "../worker-script.ts";
import type { TemplateBundle } from "./template-bundles.ts";

/** The tags a rollout sets itself; any other tag on a script (e.g. `suspended`) is kept. */
export function isManagedTag(tag: string): boolean {
  return tag === FLEET_TAG || tag.startsWith("tenant-") || tag.startsWith("tpl-") || tag.startsWith("mig-");
}

export interface UpgradeOptions {
  /** Apply these migrations first (a rollout); none for a rollback, whose code runs on the newer schema. */
  migrations?: readonly Migration[];
  /** The script's tags now (from the fleet listing): what is not the rollout's own is kept. */
  liveTags: readonly string[];
  /** Where tenant traffic enters: the local platform's traffic URL, or undefined on Cloudflare (https://<host>). */
  trafficUrl: string | undefined;
  /** How long /health may take to answer the new version. */
  verifyTimeoutMs: number;
}

export interface UpgradeResult {
  tenantId: string;
  appliedMigrations: string[];
  /** The migration level after it (`mig-NNNN`). */
  migrationTag: string;
}

/** A tenant a rollout cannot move: what is wrong with it, and what to do. */
export class TenantNotReadyError extends Error {
  override readonly name = "TenantNotReadyError";
}

/**
 * Move one tenant to `bundle` (see the module comment).
 *
 * @example
 *   await upgradeTenant(target, "acme", bundle, { migrations, liveTags, trafficUrl, verifyTimeoutMs: 30_000 });
 */
export async function upgradeTenant(
  target: Target,
  tenantId: string,
  bundle: TemplateBundle,
  options: UpgradeOptions,
): Promise<UpgradeResult> {
  const record = await readTenantRecord(target, tenantId);
  const d1 = record?.resources.d1;
  const kv = record?.resources.kv;
  if (record?.status !== "active" || !d1 || !kv || !record.adminKeyHash || !record.dispatchProof) {
    throw new TenantNotReadyError(
      `tenant '${tenantId}' is not complete (${record ? `status ${record.status}` : "no tenant record"}): ` +
        `run npm run tenant -- create ${tenantId} first`,
    );
  }

  let applied: string[] = [];
  let level = options.liveTags.find((t) => t.startsWith("mig-"));
  if (options.migrations !== undefined) {
    const outcome = await applyMigrations(target, d1.id, d1.name, options.migrations);
    if (outcome.error) throw outcome.error;
    applied = outcome.results.filter((r) => r.status === "Success").map((r) => r.migrationName);
    level = migrationTag(options.migrations.at(-1)?.name);
  }

  const names = tenantNames(tenantId);
  const kept = options.liveTags.filter((t) => !isManagedTag(t));
  const tags = [...names.scriptTags, bundle.tag, ...(level === undefined ? [] : [level]), ...kept];
  const metadata = tenantScriptMetadata(
    bundle,
    {
      d1DatabaseId: d1.id,
      kvNamespaceId: kv.id,
      ...(kv.prefix === undefined ? {} : { cachePrefix: kv.prefix }),
      tenantId,
      templateVersion: bundle.version,
      residency: record.spec.residency,
      cacheMode: record.spec.cacheMode,
      adminKeyHash: record.adminKeyHash,
      dispatchProof: record.dispatchProof,
    },
    tags,
  );
  await uploadWorkerScript(target, names.script, bundle, metadata);
  const updated: TenantRecord = {
    ...record,
    resources: {
      ...record.resources,
      script: { name: names.script, tag: bundle.tag, metadataFingerprint: metadataFingerprint(metadata) },
      ...(options.migrations === undefined ? {} : { migrations: options.migrations.map((m) => m.name) }),
    },
    updatedAt: new Date().toISOString(),
  };
  await writeTenantRecord(target, updated);

  await verifyTenant(record.spec.domains[0]!, bundle.version, options);
  return { tenantId, appliedMigrations: applied, migrationTag: level ?? "mig-unknown" };
}

/**
 * Ask the tenant's /health through the dispatcher until it answers `version` with a healthy D1;
 * throws with what it answered last when it does not within the timeout.
 */
async function verifyTenant(
  hostname: string,
  version: string,
  options: Pick<UpgradeOptions, "trafficUrl" | "verifyTimeoutMs">,
): Promise<void> {
  const url =
    options.trafficUrl === undefined
      ? `https://${hostname}/health`
      : `${new URL(options.trafficUrl).origin}${LOCAL_TENANT_PATH_PREFIX}${hostname}/health`;
  const deadline = Date.now() + options.verifyTimeoutMs;
  let last = "no answer";
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      const text = await response.text();
      last = `${response.status} ${text.slice(0, 200)}`;
      if (response.ok) {
        const health = JSON.parse(text) as { templateVersion?: string; database?: string };
        if (health.templateVersion === version && health.database === "ok") return;
      }
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`${hostname}/health did not answer version ${version} with a healthy D1 (last: ${last})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
