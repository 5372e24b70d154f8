/** `tenant list`: every tenant, with status, residency, plan and domains. */
import { listTenants } from "../tenant.ts";
import { COMMON_HELP, EXIT, printJson, type TenantCommand } from "./tenant-command.ts";
import { formatList } from "./tenant-report-format.ts";

export const listCommand: TenantCommand = {
  name: "list",
  summary: "Every tenant, with status, residency, plan and domains.",
  args: [],
  options: {},
  usage: `Usage: npm run tenant -- list [--json]

Every tenant with a record, with status, residency, plan, KV mode and domains, and tenant Workers
left without a record ("orphaned": delete them to clean up).

Options:
${COMMON_HELP}`,
  async run({ io, json, connect }) {
    const tenants = await listTenants({ target: await connect() });
    if (json) printJson(io, { ok: true, command: "list", tenants });
    else io.stdout(formatList(tenants));
    return EXIT.ok;
  },
};
