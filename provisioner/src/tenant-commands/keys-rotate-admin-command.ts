/** `tenant keys rotate-admin <id>`: a new admin key, printed once; the old one stops working. */
import { rotateAdminKey } from "../admin-key-rotation.ts";
import { parseTenantId } from "../tenant-spec.ts";
import { COMMON_HELP, EXIT, printJson, type TenantCommand, where } from "./tenant-command.ts";

export const keysRotateAdminCommand: TenantCommand = {
  name: "keys rotate-admin",
  summary: "Replace the tenant's admin key: a new one is printed once, the old one is refused.",
  args: ["id"],
  options: {},
  usage: `Usage: npm run tenant -- keys rotate-admin <id> [--json]

Replace the tenant's admin key (the one 'create' printed): a new key is printed once, and the old
one is refused from the tenant's next request on. Only the Worker's ADMIN_KEY_HASH secret and the
tenant record change; no code is uploaded. Each run makes a new key.

Options:
${COMMON_HELP}`,
  async run({ args, io, json, onProgress, connect }) {
    const id = parseTenantId(args[0]);
    const target = await connect();
    if (!json) io.stdout(`Rotating the admin key of tenant ${id} on ${where(target)}\n`);
    const result = await rotateAdminKey(id, { target }, onProgress);
    if (json) printJson(io, { ok: true, command: "keys rotate-admin", ...result });
    else
      io.stdout(
        [
          "",
          `The old admin key of tenant ${id} is refused from now on.`,
          "New admin API key - shown ONCE, store it now (e.g. in a password manager); it cannot be shown again:",
          `  ${result.adminKey}`,
          "",
        ].join("\n"),
      );
    return EXIT.ok;
  },
};
