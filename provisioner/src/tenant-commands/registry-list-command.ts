/**
 * `tenant registry list <tenant>`: the tenant's registries (its default one and the others), with
 * status, residency, plan and domains. Reads the tenant's records only: two calls plus one per
 * registry, whatever the size of the fleet.
 */
import { splitRegistryRef } from "../../../contracts/registry-ref.ts";
import { TenantNotFoundError } from "../errors.ts";
import { readTenantRegistries } from "../tenant-record-store.ts";
import { parsePlainTenantId } from "../tenant-spec.ts";
import type { TenantSummary } from "../tenant.ts";
import { COMMON_HELP, EXIT, printJson, type TenantCommand } from "./tenant-command.ts";
import { formatList } from "./tenant-report-format.ts";

export const registryListCommand: TenantCommand = {
  name: "registry list",
  summary: "A tenant's registries, with status, residency, plan and domains.",
  args: ["tenant"],
  options: {},
  usage: `Usage: npm run tenant -- registry list <tenant> [--json]

The tenant's registries: its default one (named by the tenant id alone) and the others
(<tenant>:<registry>), with status, residency, plan, KV mode and domains. Exit 4 when the tenant
has none.

Options:
${COMMON_HELP}`,
  async run({ args, io, json, connect }) {
    const tenant = parsePlainTenantId(args[0]);
    const records = await readTenantRegistries(await connect(), tenant);
    if (records.length === 0)
      throw new TenantNotFoundError(tenant, `tenant '${tenant}' has no registry (no tenant record)`);
    const registries: TenantSummary[] = records.map((r) => {
      const { tenantId, registryId } = splitRegistryRef(r.tenantId);
      return {
        id: r.tenantId,
        tenant: tenantId,
        registry: registryId,
        status: r.status,
        residency: r.spec.residency,
        plan: r.spec.plan,
        kvMode: r.spec.kvMode,
        domains: r.spec.domains,
        updatedAt: r.updatedAt,
      };
    });
    if (json) printJson(io, { ok: true, command: "registry list", tenant, registries });
    else io.stdout(formatList(registries, { registryColumn: true }));
    return EXIT.ok;
  },
};
