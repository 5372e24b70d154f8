/**
 * Every `npm run tenant` command, in the order `--help` lists them. A new command is a file of its
 * own (see tenant-command.ts) and one line here.
 */
import { createCommand } from "./create-command.ts";
import { deleteCommand } from "./delete-command.ts";
import { domainsAddCommand } from "./domains-add-command.ts";
import { domainsRemoveCommand } from "./domains-remove-command.ts";
import { keysCreateCommand } from "./keys-create-command.ts";
import { keysListCommand } from "./keys-list-command.ts";
import { keysRevokeCommand } from "./keys-revoke-command.ts";
import { keysRotateAdminCommand } from "./keys-rotate-admin-command.ts";
import { listCommand } from "./list-command.ts";
import { registryCreateCommand } from "./registry-create-command.ts";
import { registryDeleteCommand } from "./registry-delete-command.ts";
import { registryListCommand } from "./registry-list-command.ts";
import { resumeCommand } from "./resume-command.ts";
import { showCommand } from "./show-command.ts";
import { suspendCommand } from "./suspend-command.ts";
import type { TenantCommand } from "./tenant-command.ts";
import { updateCommand } from "./update-command.ts";

export const TENANT_COMMANDS: readonly TenantCommand[] = [
  createCommand,
  showCommand,
  listCommand,
  deleteCommand,
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  keysRotateAdminCommand,
  suspendCommand,
  resumeCommand,
  updateCommand,
  domainsAddCommand,
  domainsRemoveCommand,
  registryCreateCommand,
  registryListCommand,
  registryDeleteCommand,
];
