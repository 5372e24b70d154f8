/** `tenant domains add <id> <host>`: one more hostname for an existing tenant. */
import { addTenantDomain, parseHostname } from "../tenant-domains.ts";
import { parseTenantId } from "../tenant-spec.ts";
import { COMMON_HELP, EXIT, printJson, type TenantCommand, where } from "./tenant-command.ts";
import { formatDns } from "./tenant-report-format.ts";

export const domainsAddCommand: TenantCommand = {
  name: "domains add",
  summary: "Add a hostname to an existing tenant.",
  args: ["id", "host"],
  options: {},
  usage: `Usage: npm run tenant -- domains add <id> <host> [--json]

Add a hostname to an existing tenant: its custom hostname, the residency's regional CNAME target
(eu, uk), and its route record; the Worker and data are untouched. Prints the DNS records the
hostname needs. A hostname routed to another tenant is refused (exit 3). Safe to re-run.

Options:
${COMMON_HELP}`,
  async run({ args, io, json, onProgress, connect }) {
    const id = parseTenantId(args[0]);
    const host = parseHostname(args[1]);
    const target = await connect();
    if (!json) io.stdout(`Adding ${host} to tenant ${id} on ${where(target)}\n`);
    const result = await addTenantDomain(id, host, { target }, onProgress);
    if (json) printJson(io, { ok: true, command: "domains add", ...result });
    else
      io.stdout(
        `\n${result.changed ? `Tenant ${id} now answers on ${host}` : `${host} already was a domain of ${id}`} ` +
          `(domains: ${result.domains.join(", ")}).\n\n${result.dns ? formatDns({ dns: result.dns }) : ""}\n`,
      );
    return EXIT.ok;
  },
};
