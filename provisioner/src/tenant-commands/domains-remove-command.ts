/** `tenant domains remove <id> <host>`: one hostname fewer; the last one is refused. */
import { parseHostname, removeTenantDomain } from "../tenant-domains.ts";
import { parseTenantId } from "../tenant-spec.ts";
import { COMMON_HELP, EXIT, printJson, type TenantCommand, where } from "./tenant-command.ts";

export const domainsRemoveCommand: TenantCommand = {
  name: "domains remove",
  summary: "Remove a hostname from a tenant (never its last one).",
  args: ["id", "host"],
  options: {},
  usage: `Usage: npm run tenant -- domains remove <id> <host> [--json]

Remove a hostname from the tenant: its route record first (traffic stops, within the dispatcher's
10 s route cache), then its custom hostname. The tenant's last hostname is refused (exit 2): add
the new one first, or delete the tenant. A hostname it does not have changes nothing. Safe to re-run.

Options:
${COMMON_HELP}`,
  async run({ args, io, json, onProgress, connect }) {
    const id = parseTenantId(args[0]);
    const host = parseHostname(args[1]);
    const target = await connect();
    if (!json) io.stdout(`Removing ${host} from tenant ${id} on ${where(target)}\n`);
    const result = await removeTenantDomain(id, host, { target }, onProgress);
    if (json) printJson(io, { ok: true, command: "domains remove", ...result });
    else {
      const what = result.changed
        ? `Tenant ${id} no longer answers on ${host}`
        : `${host} was not a domain of ${id}: nothing changed`;
      io.stdout(`\n${what} (domains: ${result.domains.join(", ")}).\n`);
    }
    return EXIT.ok;
  },
};
