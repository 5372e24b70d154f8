/**
 * `tenant delete --backup <file>`: the tenant's export (GET /api/export, docs/backup.md) saved
 * before anything is deleted. The export needs an admin-role key, and the provisioner holds none:
 * the admin key is shown once and only its hash is kept. So the backup makes its own, as
 * `keys create` does with the operator's Cloudflare token: a temporary admin-role key written to the
 * tenant's D1 (and its audit log, actor `operator`), expiring in an hour, used for this one request
 * through the tenant's own hostname (the dispatcher, like any client), then revoked. Nothing asks
 * the operator for a tenant secret, and the audit log says who exported.
 */
import { rename, rm, writeFile } from "node:fs/promises";
import type { Target } from "./config.ts";
import { StateConflictError, TenantNotFoundError } from "./errors.ts";
import { readLocalTrafficUrl } from "./local-urls.ts";
import type { StepRunner } from "./progress.ts";
import { createTenantKey, revokeTenantKey } from "./tenant-keys.ts";
import { readTenantRecord } from "./tenant-record-store.ts";

/** How long the export's key lives if the revocation after it never runs. */
const BACKUP_KEY_TTL_MS = 60 * 60 * 1000;

/**
 * Export a tenant's registry into `file` (written whole, then renamed into place).
 *
 * @example
 *   const { bytes } = await backupTenant(target, "acme", "acme-backup.json", steps);
 */
export async function backupTenant(
  target: Target,
  tenantId: string,
  file: string,
  steps: StepRunner,
  now: () => Date = () => new Date(),
): Promise<{ file: string; bytes: number }> {
  const record = await readTenantRecord(target, tenantId);
  if (!record) throw new TenantNotFoundError(tenantId);
  if (record.suspension) {
    throw new StateConflictError(
      `tenant '${tenantId}' is suspended, so its hostnames answer 403 and it cannot be exported through them: ` +
        `resume it first (npm run tenant -- resume ${tenantId}), or delete it without --backup`,
    );
  }
  const hostname = record.spec.domains[0];
  if (hostname === undefined) throw new StateConflictError(`tenant '${tenantId}' has no domain to export through`);
  return steps.run("backup", `Backup of ${tenantId} to ${file}`, async () => {
    const { key, record: keyRecord } = await createTenantKey(
      target,
      tenantId,
      {
        role: "admin",
        productId: null,
        subjectPrefix: null,
        description: "tenant delete --backup: export before delete",
        expiresAt: new Date(now().getTime() + BACKUP_KEY_TTL_MS).toISOString(),
      },
      now(),
    );
    try {
      const url = await exportUrl(target, hostname);
      const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
      const body = await response.text();
      if (!response.ok) {
        throw new Error(
          `GET ${url} answered ${response.status}: ${body.slice(0, 300)} (the export goes through the tenant's ` +
            `hostname ${hostname}, which must reach its Worker)`,
        );
      }
      // A failure mid-stream truncates the document (docs/backup.md): refuse anything that does not parse.
      const parsed = JSON.parse(body) as { format?: unknown };
      if (parsed.format !== "wfp-schema-registry-export") throw new Error(`GET ${url} did not answer an export`);
      const partial = `${file}.partial`;
      await writeFile(partial, body, { flag: "w" });
      await rename(partial, file).catch(async (error: unknown) => {
        await rm(partial, { force: true });
        throw error;
      });
      const bytes = Buffer.byteLength(body);
      return { value: { file, bytes }, outcome: "written", detail: `${bytes} bytes, through ${hostname}` };
    } finally {
      // The database goes with the tenant; revoking still matters when the delete does not follow.
      await revokeTenantKey(target, tenantId, keyRecord.id).catch(() => undefined);
    }
  });
}

/** Locally, the platform's path-based tenant URL (no DNS); on Cloudflare, the hostname itself. */
async function exportUrl(target: Target, hostname: string): Promise<string> {
  if (target.kind === "local") {
    const traffic = await readLocalTrafficUrl(target.baseURL);
    if (traffic === undefined) throw new Error("the local platform did not say its traffic URL (/__platform/info)");
    return `${traffic.replace(/\/$/, "")}/_tenant/${hostname}/api/export`;
  }
  return `https://${hostname}/api/export`;
}
