/**
 * `npm run tenant -- keys create|list|revoke <tenant> ...`: a tenant's API keys, managed by the
 * operator with the Cloudflare API token (tenant-keys.ts; docs/security.md). Same conventions as
 * the rest of the tenant CLI: --json prints one JSON object, bad input is refused before any API
 * call, and the exit codes are the CLI's (0 ok, 1 API failure, 2 bad input, 4 no such tenant/key).
 */
import { parseArgs } from "node:util";
import { readTargetSettings } from "./config.ts";
import { ConfigError, InputError, TenantNotFoundError, unreachableApiHint } from "./errors.ts";
import {
  createTenantKey,
  KeyNotFoundError,
  listTenantKeys,
  parseKeyId,
  parseNewKey,
  revokeTenantKey,
  type TenantKeyRecord,
} from "./tenant-keys.ts";
import { parseTenantId } from "./tenant-spec.ts";
import { connectTarget } from "./connect-target.ts";
import type { CliIo } from "./tenant-commands/tenant-command.ts";

const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 4 } as const;
const SUBCOMMANDS = ["create", "list", "revoke"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The flags of `keys create`; the tenant CLI's `keys create` command declares the same ones. */
export const KEYS_CREATE_OPTIONS = {
  role: { type: "string" },
  product: { type: "string" },
  "subject-prefix": { type: "string" },
  expires: { type: "string" },
  description: { type: "string" },
} as const;

/** `parseArgs` over the `keys` options; a {@link UsageError} in its words when they do not parse. */
function parseKeysArgs(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { ...KEYS_CREATE_OPTIONS, json: { type: "boolean" } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Runs `keys ...` (argv after `keys`). Returns the exit code.
 *
 * @example
 *   await runKeysCli(["create", "acme", "--role", "read", "--json"], io)
 */
export async function runKeysCli(argv: readonly string[], io: CliIo): Promise<number> {
  const wantsJson = argv.includes("--json");
  let command = "keys";
  try {
    const { values, positionals } = parseKeysArgs(argv);
    const [sub, tenant, keyId, ...extra] = positionals;
    if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub))
      throw new UsageError(`keys needs one of ${SUBCOMMANDS.join(", ")}${sub === undefined ? "" : ` (got '${sub}')`}`);
    const subcommand = sub as Subcommand;
    command = `keys ${subcommand}`;
    if (tenant === undefined) throw new UsageError(`${command} needs a tenant id: npm run tenant -- ${command} <id>`);
    const createOptions = ["role", "product", "subject-prefix", "expires", "description"];
    const misplaced = Object.keys(values).filter(
      (name) => name !== "json" && (subcommand !== "create" || !createOptions.includes(name)),
    );
    if (misplaced.length > 0)
      throw new UsageError(`${command} does not take ${misplaced.map((name) => `--${name}`).join(", ")}`);
    if ((subcommand === "revoke" ? extra.length : keyId === undefined ? 0 : 1 + extra.length) > 0)
      throw new UsageError(
        `unexpected argument(s): ${[...(subcommand === "revoke" ? [] : [keyId]), ...extra].join(" ")}`,
      );

    // Everything local is checked before the first API call.
    const tenantId = parseTenantId(tenant);
    const input =
      subcommand === "create"
        ? parseNewKey({
            role: values.role,
            product: values.product,
            subjectPrefix: values["subject-prefix"],
            expires: values.expires,
            description: values.description,
          })
        : undefined;
    const revokeId = subcommand === "revoke" ? parseKeyId(keyId) : undefined;

    const settings = readTargetSettings(io.env ?? process.env);
    const target = await connectTarget(settings, io);
    const json = values.json === true;

    switch (subcommand) {
      case "create": {
        const { key, record } = await createTenantKey(target, tenantId, input!);
        if (json) io.stdout(`${JSON.stringify({ ok: true, command, tenant: tenantId, key, record }, null, 2)}\n`);
        else io.stdout(formatCreated(tenantId, key, record));
        return EXIT.ok;
      }
      case "list": {
        const keys = await listTenantKeys(target, tenantId);
        if (json) io.stdout(`${JSON.stringify({ ok: true, command, tenant: tenantId, keys }, null, 2)}\n`);
        else io.stdout(formatList(keys));
        return EXIT.ok;
      }
      case "revoke": {
        const { record, changed } = await revokeTenantKey(target, tenantId, revokeId!);
        if (json) io.stdout(`${JSON.stringify({ ok: true, command, tenant: tenantId, changed, record }, null, 2)}\n`);
        else
          io.stdout(
            changed
              ? `Revoked API key ${record.id} of tenant ${tenantId}: it is refused from its next request on.\n`
              : `API key ${record.id} of tenant ${tenantId} ` +
                  `was already revoked (at ${record.revokedAt}): nothing changed.\n`,
          );
        return EXIT.ok;
      }
    }
  } catch (error) {
    const code = exitCodeOf(error);
    let message = error instanceof Error ? error.message : String(error);
    if (code === EXIT.failure) {
      const missingTables = /no such table/i.test(message)
        ? " The tenant's database predates API keys: " +
          "run 'npm run tenant -- create <id>' again to apply the template's migrations."
        : "";
      message =
        `${message}\nNothing was half-done: it is safe to run the command again.` +
        `${missingTables}${unreachableApiHint(error)}`;
    }
    if (wantsJson) {
      const failure = {
        ok: false,
        command,
        error: {
          type: error instanceof Error ? error.name : "Error",
          message,
          exitCode: code,
          safeToRerun: code === EXIT.failure,
          ...(error instanceof InputError ? { problems: error.problems } : {}),
        },
      };
      io.stdout(`${JSON.stringify(failure, null, 2)}\n`);
    } else {
      io.stderr(`\n${message.startsWith("Error ") ? message : `Error: ${message}`}\n`);
      if (code === EXIT.usage) io.stderr(`Run 'npm run tenant -- --help' for usage.\n`);
    }
    return code;
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof InputError || error instanceof ConfigError) return EXIT.usage;
  if (error instanceof TenantNotFoundError || error instanceof KeyNotFoundError) return EXIT.notFound;
  return EXIT.failure;
}

function scopeOf(record: TenantKeyRecord): string {
  const parts = [
    ...(record.productId === null ? [] : [`product ${record.productId}`]),
    ...(record.subjectPrefix === null ? [] : [`subjects ${record.subjectPrefix}*`]),
  ];
  return parts.length === 0 ? "whole tenant" : parts.join(", ");
}

function formatCreated(tenantId: string, key: string, record: TenantKeyRecord): string {
  return [
    "",
    `Created API key ${record.id} for tenant ${tenantId}: role ${record.role}, ` +
      `${scopeOf(record)}, ${record.expiresAt === null ? "never expires" : `expires ${record.expiresAt}`}.`,
    "",
    "API key - shown ONCE, store it now (e.g. in a secret manager); it cannot be shown again:",
    `  ${key}`,
    "",
    `Send it as 'Authorization: Bearer <key>', or as HTTP Basic with user name ${record.id} ` +
      `and the part after 'wfp_${record.id}_' as password (Confluent clients: basic.auth.user.info).`,
    "",
  ].join("\n");
}

function formatList(keys: readonly TenantKeyRecord[]): string {
  const note = "(The admin key printed by 'tenant create' is not listed: it is the tenant's provisioning key.)\n";
  if (keys.length === 0) return `No API keys besides the admin key.\n${note}`;
  const header = ["ID", "ROLE", "STATUS", "SCOPE", "EXPIRES", "CREATED BY", "DESCRIPTION"];
  const rows = keys.map((k) => [
    k.id,
    k.role,
    k.status,
    scopeOf(k),
    k.expiresAt ?? "never",
    k.createdBy,
    k.description ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n${note}`;
}
