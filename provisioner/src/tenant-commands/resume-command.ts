/** `tenant resume <id>`: a suspended tenant is served again. */
import { resumeTenant } from "../tenant-suspension.ts";
import { parseTenantId } from "../tenant-spec.ts";
import { COMMON_HELP, EXIT, printJson, type TenantCommand, where } from "./tenant-command.ts";

export const resumeCommand: TenantCommand = {
  name: "resume",
  summary: "Serve a suspended tenant again.",
  args: ["id"],
  options: {},
  usage: `Usage: npm run tenant -- resume <id> [--json]

Resume a suspended tenant: its hostnames are served again (within the dispatcher's 10 s route
cache) and the Worker's 'suspended' tag is removed. An active tenant is left as it is.

Options:
${COMMON_HELP}`,
  async run({ args, io, json, onProgress, connect }) {
    const id = parseTenantId(args[0]);
    const target = await connect();
    if (!json) io.stdout(`Resuming tenant ${id} on ${where(target)}\n`);
    const result = await resumeTenant(id, { target }, onProgress);
    if (json) printJson(io, { ok: true, command: "resume", ...result });
    else io.stdout(`\nTenant ${id} is active${result.changed ? "" : " (it already was: nothing changed)"}.\n`);
    return EXIT.ok;
  },
};
