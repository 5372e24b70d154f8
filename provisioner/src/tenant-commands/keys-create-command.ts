/** `tenant keys create <id> --role ...`: an API key for the tenant (keys-cli.ts runs it). */
import { KEYS_CREATE_OPTIONS, runKeysCli } from "../keys-cli.ts";
import { COMMON_HELP, type TenantCommand } from "./tenant-command.ts";

export const keysCreateCommand: TenantCommand = {
  name: "keys create",
  summary: "Create an API key for the tenant; the key is printed once.",
  args: ["id"],
  options: KEYS_CREATE_OPTIONS,
  usage: `Usage: npm run tenant -- keys create <id> --role read|write|admin [options] [--json]

Create an API key for the tenant with the operator's Cloudflare token; the key is printed once.

Options:
  --role read|write|admin       required
  --product <productId>         limit /api to one product's subtree; default: the whole tenant
  --subject-prefix <prefix>     limit the Confluent API to subjects with this prefix; default: all
  --expires <ISO time>|<N>d|<N>h  default: never
  --description <text>          default: none
${COMMON_HELP}`,
  run: ({ argv, io }) => runKeysCli(["create", ...argv], io),
};
