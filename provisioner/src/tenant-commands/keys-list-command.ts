/** `tenant keys list <id>`: the tenant's API keys (keys-cli.ts runs it). */
import { runKeysCli } from "../keys-cli.ts";
import { COMMON_HELP, type TenantCommand } from "./tenant-command.ts";

export const keysListCommand: TenantCommand = {
  name: "keys list",
  summary: "The tenant's API keys (never a secret or a hash).",
  args: ["id"],
  options: {},
  usage: `Usage: npm run tenant -- keys list <id> [--json]

The tenant's API keys, with role, status, scope and expiry (never a secret or a hash). The admin
key is not listed: replace it with 'keys rotate-admin'.

Options:
${COMMON_HELP}`,
  run: ({ argv, io }) => runKeysCli(["list", ...argv], io),
};
