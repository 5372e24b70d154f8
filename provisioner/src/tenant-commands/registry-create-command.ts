/**
 * `tenant registry create <tenant> <registry> --domain <host> ...`: another registry of an
 * existing tenant, isolated as a tenant is (its own D1 database, cache, Worker, hostnames, keys,
 * audit log). It is create's run for the ref `<tenant>:<registry>`, so it is just as idempotent
 * and resumable; the tenant must exist (its default registry, made by `create`).
 */
import { DEFAULT_REGISTRY_ID } from "../../../contracts/registry-ref.ts";
import { TenantNotFoundError } from "../errors.ts";
import { readTenantRecord } from "../tenant-record-store.ts";
import { parseRegistryRef } from "../tenant-spec.ts";
import { createCommand, createFromCommandLine } from "./create-command.ts";
import { COMMON_HELP, type TenantCommand, UsageError } from "./tenant-command.ts";

export const registryCreateCommand: TenantCommand = {
  name: "registry create",
  summary: "Create another registry of a tenant (or finish / repair it). Safe to re-run.",
  args: ["tenant", "registry"],
  options: createCommand.options,
  usage: `Usage: npm run tenant -- registry create <tenant> <registry> --domain <host> [options]

Create another registry of an existing tenant, or finish / repair it (safe to re-run, like
create). The registry is isolated as a tenant is: its own D1 database, cache, Worker, hostnames,
API keys and audit log; its hostnames are its own (a hostname of another registry is refused,
exit 3). Other commands name it <tenant>:<registry> (show acme:staging, keys create acme:staging).
<registry> is 1-19 lower-case letters, digits and hyphens; 'default' is the tenant's own registry,
the one 'create <tenant>' makes. Exit 4 when the tenant does not exist (create it first).

Options: create's (npm run tenant -- create --help); --residency and --plan default to the
tenant's own (its default registry's), so a tenant's data stays where it chose:
  --domain <host> (1 or more), --residency eu|uk|global, --plan, --location-hint, --cache on|off,
  --kv dedicated|shared, --cors-origin <origin>, --rate-limit <n>/min
${COMMON_HELP}`,
  async run(run) {
    const [tenant, registry, ...extra] = run.args;
    if (extra.length > 0) {
      throw new UsageError(
        `unexpected argument(s) after the registry id: ${extra.join(" ")} (give each hostname with --domain)`,
      );
    }
    const ref = parseRegistryRef(tenant, registry);
    return createFromCommandLine(ref, run, async (target) => {
      if (ref === tenant) return undefined;
      // A tenant's registries keep its residency (where its data may live) and plan, unless told otherwise.
      const record = await readTenantRecord(target, tenant!);
      if (record !== undefined) return { residency: record.spec.residency, plan: record.spec.plan };
      throw new TenantNotFoundError(
        tenant!,
        `tenant '${tenant}' does not exist: create it first ('npm run tenant -- create ${tenant} --domain <host>'), ` +
          `then its registries (its own is '${DEFAULT_REGISTRY_ID}')`,
      );
    });
  },
};
