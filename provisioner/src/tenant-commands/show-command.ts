/** `tenant show <id>`: everything the tenant has, checked live, and the DNS records it needs. */
import { readLocalTrafficUrl, withLocalUrls } from "../local-urls.ts";
import { showTenant } from "../tenant.ts";
import { parseTenantId } from "../tenant-spec.ts";
import { COMMON_HELP, EXIT, printJson, type TenantCommand } from "./tenant-command.ts";
import { formatShow } from "./tenant-report-format.ts";

export const showCommand: TenantCommand = {
  name: "show",
  summary: "Everything the tenant has, checked live, and the DNS records it needs.",
  args: ["id"],
  options: {},
  usage: `Usage: npm run tenant -- show <id> [--json]

Everything the tenant has, checked live (read-only), what is missing or wrong, and the DNS records
its hostnames need. Exit 4 when nothing of the tenant exists.

Options:
${COMMON_HELP}`,
  async run({ args, io, json, connect }) {
    const id = parseTenantId(args[0]);
    const target = await connect();
    const local = target.kind === "local" ? await readLocalTrafficUrl(target.baseURL) : undefined;
    const report = withLocalUrls(await showTenant(id, { target }), local);
    if (json) printJson(io, { ok: true, command: "show", ...report });
    else io.stdout(formatShow(report));
    return EXIT.ok;
  },
};
