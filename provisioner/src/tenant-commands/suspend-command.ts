/** `tenant suspend <id> [--reason <text>]`: the tenant's hostnames answer 403 `tenant_suspended`. */
import { suspendTenant } from "../tenant-suspension.ts";
import { parseTenantId } from "../tenant-spec.ts";
import { COMMON_HELP, EXIT, printJson, type TenantCommand, where } from "./tenant-command.ts";

export const suspendCommand: TenantCommand = {
  name: "suspend",
  summary: "Stop serving the tenant (403 tenant_suspended); its data is kept.",
  args: ["id"],
  options: { reason: { type: "string" } },
  usage: `Usage: npm run tenant -- suspend <id> [--reason <text>] [--json]

Suspend the tenant: every hostname of it answers 403 tenant_suspended (within the dispatcher's
10 s route cache); its data, Worker and keys are untouched, and its Worker carries the script tag
'suspended'. A re-run of create keeps it suspended. Undo with 'resume'. Safe to re-run.

Options:
  --reason <text>  why, kept in the tenant record (default: none, or the reason given before)
${COMMON_HELP}`,
  async run({ values, args, io, json, onProgress, connect }) {
    const id = parseTenantId(args[0]);
    const target = await connect();
    if (!json) io.stdout(`Suspending tenant ${id} on ${where(target)}\n`);
    const reason = values.reason as string | undefined;
    const result = await suspendTenant(id, reason === undefined ? {} : { reason }, { target }, onProgress);
    if (json) printJson(io, { ok: true, command: "suspend", ...result });
    else
      io.stdout(
        `\nTenant ${id} is suspended${result.reason ? ` (${result.reason})` : ""} since ${result.since}` +
          `${result.changed ? "" : " (it already was: nothing changed)"}: its hostnames answer 403 ` +
          `tenant_suspended. 'npm run tenant -- resume ${id}' undoes it.\n`,
      );
    return EXIT.ok;
  },
};
