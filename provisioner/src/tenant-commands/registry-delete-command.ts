/**
 * `tenant registry delete <tenant> <registry>`: delete's full teardown of one registry, the
 * others untouched. The default registry is the tenant itself: it is refused while the tenant has
 * other registries (exit 3), unless --all-registries.
 */
import { parseRegistryRef } from "../tenant-spec.ts";
import { DELETE_OPTIONS, deleteFromCommandLine } from "./delete-command.ts";
import { COMMON_HELP, type TenantCommand, UsageError } from "./tenant-command.ts";

export const registryDeleteCommand: TenantCommand = {
  name: "registry delete",
  summary: "Remove one registry of a tenant (its data too); the others stay.",
  args: ["tenant", "registry"],
  options: DELETE_OPTIONS,
  usage: `Usage: npm run tenant -- registry delete <tenant> <registry> [--yes] [--backup <file>] [--json]

Remove everything the registry has, its data too, in reverse order of creation (as delete does a
tenant); the tenant's other registries are not touched. On a terminal it asks you to type
<tenant>:<registry> first. Exit 4 when nothing of the registry exists. Safe to re-run.
'default' is the tenant's own registry: deleting it deletes the tenant, which is refused while it
has other registries (exit 3, nothing deleted) unless --all-registries.

Options:
  --yes            do not ask (required when stdin is not a terminal); default: ask
  --backup <file>  first save the registry's export (GET /api/export) to <file>; default: no backup
  --all-registries with 'default': delete every registry of the tenant, then the tenant
${COMMON_HELP}`,
  async run(run) {
    const [tenant, registry, ...extra] = run.args;
    if (extra.length > 0) throw new UsageError(`unexpected argument(s) after the registry id: ${extra.join(" ")}`);
    return deleteFromCommandLine(parseRegistryRef(tenant, registry), run);
  },
};
