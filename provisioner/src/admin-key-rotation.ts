/**
 * `tenant keys rotate-admin`: a new admin key, printed once; the old one is refused from the next
 * request on. The admin key is not a row in the tenant's D1 (it cannot be revoked like the others):
 * its sha-256 is the Worker's ADMIN_KEY_HASH secret, which the Worker reads on every request, and
 * the tenant record keeps the same hash so that a re-run of create or a template upgrade uploads it
 * again instead of bringing the old key back. The record is written first, then the secret (one
 * `PUT .../secrets`, no code upload): a run stopped between the two leaves the old key working and
 * the new one never shown, and running the command again finishes the rotation.
 */
import { ADMIN_KEY_ID, generateKey, hashKey } from "../../contracts/api-key.ts";
import { StateConflictError, TenantNotFoundError } from "./errors.ts";
import { StepRunner, type ProgressListener, type StepDone } from "./progress.ts";
import { takeLease, type TenantDeps } from "./tenant.ts";
import { tenantNames } from "./tenant-names.ts";
import { readTenantRecord, writeTenantRecord } from "./tenant-record-store.ts";
import { parseTenantId } from "./tenant-spec.ts";
import { getWorkerScriptTags, putWorkerScriptSecret } from "./worker-script.ts";

export interface AdminKeyRotation {
  id: string;
  /** The new admin key: shown once, never stored (only its hash is). */
  adminKey: string;
  steps: StepDone[];
}

/**
 * Replace a tenant's admin key.
 *
 * @example
 *   const { adminKey } = await rotateAdminKey("acme", { target });
 */
export async function rotateAdminKey(
  id: string,
  deps: TenantDeps,
  onProgress?: ProgressListener,
): Promise<AdminKeyRotation> {
  const tenantId = parseTenantId(id);
  const { target } = deps;
  const now = deps.now ?? (() => new Date());
  const names = tenantNames(tenantId);
  const steps = new StepRunner(onProgress);
  const lease = await takeLease(target, tenantId, "rotate-admin", steps, deps.lease);
  try {
    const record = await readTenantRecord(target, tenantId);
    if (!record) throw new TenantNotFoundError(tenantId);
    if (record.status !== "active") {
      throw new StateConflictError(
        `tenant '${tenantId}' did not finish provisioning: re-run create, which finishes it and prints its admin key`,
      );
    }
    if ((await getWorkerScriptTags(target, names.script)) === undefined) {
      throw new StateConflictError(`tenant '${tenantId}' has no Worker ${names.script}: re-run create to repair it`);
    }
    const adminKey = (deps.generateAdminKey ?? (() => generateKey(ADMIN_KEY_ID)))();
    const adminKeyHash = await hashKey(adminKey);
    await steps.run("tenant-record", `Tenant record ${names.tenantKey}`, async () => {
      await writeTenantRecord(target, { ...record, adminKeyHash, updatedAt: now().toISOString() });
      return { value: undefined, outcome: "written", detail: "new admin key hash" };
    });
    await steps.run("worker", `Worker ${names.script} secret ADMIN_KEY_HASH`, async () => {
      await putWorkerScriptSecret(target, names.script, "ADMIN_KEY_HASH", adminKeyHash);
      return { value: undefined, outcome: "updated", detail: "the old admin key is refused from now on" };
    });
    return { id: tenantId, adminKey, steps: steps.done };
  } finally {
    await lease.release();
  }
}
