/** `tenant keys revoke <id> <keyId>`: refuse a key from its next request on (keys-cli.ts runs it). */
import { runKeysCli } from "../keys-cli.ts";
import { COMMON_HELP, type TenantCommand } from "./tenant-command.ts";

export const keysRevokeCommand: TenantCommand = {
  name: "keys revoke",
  summary: "Revoke an API key: refused from its next request on.",
  args: ["id", "keyId"],
  options: {},
  usage: `Usage: npm run tenant -- keys revoke <id> <keyId> [--json]

Revoke an API key: it is refused from its next request on. The admin key is not revoked but
replaced: 'keys rotate-admin <id>'. Revoking a revoked key changes nothing.

Options:
${COMMON_HELP}`,
  run: ({ argv, io }) => runKeysCli(["revoke", ...argv], io),
};
