/**
 * `tenant delete <id> [--yes] [--backup <file>]`: everything the tenant has, its data too, in
 * reverse order. Asks first on a terminal; a script says --yes (without a terminal and without
 * --yes it refuses, exit 2, before any call). An id of which nothing exists is exit 4; a tenant
 * partly created (resources without a record) is deleted like any other.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { describeRef, TenantNotFoundError } from "../errors.ts";
import { StepRunner } from "../progress.ts";
import { deleteTenant, tenantExists } from "../tenant.ts";
import { backupTenant } from "../tenant-backup.ts";
import { parseTenantId } from "../tenant-spec.ts";
import {
  COMMON_HELP,
  EXIT,
  printJson,
  type TenantCommand,
  type TenantCommandRun,
  UsageError,
  where,
} from "./tenant-command.ts";
import { formatDelete, refLabel } from "./tenant-report-format.ts";

/** The flags delete shares with `registry delete`. */
export const DELETE_OPTIONS = {
  yes: { type: "boolean" },
  backup: { type: "string" },
  "all-registries": { type: "boolean" },
} as const;

export const deleteCommand: TenantCommand = {
  name: "delete",
  summary: "Remove everything the tenant has (its data too), in reverse order.",
  args: ["id"],
  options: DELETE_OPTIONS,
  usage: `Usage: npm run tenant -- delete <id> [--yes] [--backup <file>] [--all-registries] [--json]

Remove everything the tenant has, its data too, in reverse order of creation (route records
first, so traffic stops). On a terminal it asks you to type the tenant id first. Exit 4 when
nothing of the tenant exists; a partly created tenant is deleted like any other. Safe to re-run.
<id> may name one of the tenant's registries (acme:staging), as 'registry delete' does. A tenant
with other registries is refused (exit 3, nothing deleted) unless --all-registries.

Options:
  --yes            do not ask (required when stdin is not a terminal, e.g. in scripts and CI);
                   default: ask
  --backup <file>  first save the tenant's export (GET /api/export, docs/backup.md) to <file>,
                   through its hostname with a temporary admin key the command makes and revokes;
                   nothing is deleted if that fails. The file must not exist. Default: no backup
  --all-registries also delete the tenant's other registries (each fully, first); default: refuse
                   while it has any. --backup saves the default registry's export only
${COMMON_HELP}`,
  async run(run) {
    return deleteFromCommandLine(parseTenantId(run.args[0]), run);
  },
};

/**
 * Delete the registry `ref` names with the options on the command line: `delete <id>` and
 * `registry delete <tenant> <registry>` alike.
 */
export async function deleteFromCommandLine(
  id: string,
  { values, io, json, onProgress, connect }: TenantCommandRun,
): Promise<number> {
  const yes = values.yes === true;
  const allRegistries = values["all-registries"] === true;
  const backup = values.backup === undefined ? undefined : resolve(values.backup as string);
  if (backup !== undefined) {
    if (existsSync(backup)) throw new UsageError(`--backup ${backup} exists already: give a new file`);
    if (!existsSync(dirname(backup))) throw new UsageError(`--backup: the folder ${dirname(backup)} does not exist`);
  }
  const what = describeRef(id);
  const interactive = io.interactive ?? process.stdin.isTTY === true;
  if (!yes && !interactive) {
    throw new UsageError(
      `delete removes ${what} and all its data, and asks first; stdin is not a terminal, so nothing ` +
        `can be asked and nothing was deleted: add --yes to delete without asking`,
    );
  }
  const target = await connect();
  if (!yes) {
    // Nothing to confirm for a tenant that does not exist (deleteTenant checks again under its lease).
    if (!(await tenantExists(target, id))) throw new TenantNotFoundError(id);
    const ask = io.ask ?? askOnTerminal;
    const answer = await ask(
      `Delete ${what}${allRegistries ? " and every other registry of it" : ""} on ${where(target)}, ` +
        `with all its data${backup ? ` (after a backup to ${backup})` : ""}? ` +
        `Type ${id.includes(":") ? `'${id}'` : "the tenant id"} to confirm: `,
    );
    if (answer.trim() !== id) {
      io.stderr(`Not confirmed ('${answer.trim()}' is not '${id}'): nothing was deleted.\n`);
      return EXIT.usage;
    }
  }
  if (!json) io.stdout(`Deleting ${refLabel(id).toLowerCase()} on ${where(target)}\n`);
  const saved = backup === undefined ? undefined : await backupTenant(target, id, backup, new StepRunner(onProgress));
  const result = await deleteTenant(id, { target }, onProgress, { mustExist: true, allRegistries });
  if (json) printJson(io, { ok: true, command: "delete", ...result, ...(saved ? { backup: saved } : {}) });
  else
    io.stdout(
      formatDelete(result) +
        (saved
          ? `Its export is in ${saved.file} (${saved.bytes} bytes): ` +
            `POST it to /api/import of an empty tenant to restore it.\n`
          : ""),
    );
  return EXIT.ok;
}

/** One line from the terminal; the question goes to stderr so --json's stdout stays one object. */
async function askOnTerminal(question: string): Promise<string> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}
