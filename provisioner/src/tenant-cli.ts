/**
 * The tenant CLI (`npm run tenant -- <command>`), as a function of argv and output streams so
 * tests can run it in-process. scripts/tenant.ts is a thin wrapper around {@link runTenantCli}.
 *
 * Exit codes: 0 ok, 1 API/system failure (safe to re-run), 2 bad usage or input,
 * 3 conflict (e.g. a hostname owned by another tenant), 4 tenant not found.
 */
import { parseArgs } from "node:util";
import { type ConnectIo, connectTarget } from "./connect-target.ts";
import { readTargetSettings } from "./config.ts";
import { ConfigError, InputError, StateConflictError, TenantNotFoundError, unreachableApiHint } from "./errors.ts";
import { KEYS_USAGE, runKeysCli } from "./keys-cli.ts";
import { readLocalTrafficUrl, type RouteWithLocalUrl, withLocalUrls } from "./local-urls.ts";
import { formatProgress, type ProgressEvent } from "./progress.ts";
import { KV_MODES, LOCATION_HINTS, PLAN_NAMES } from "../../contracts/tenant-record.ts";
import {
  createTenant,
  deleteTenant,
  listTenants,
  showTenant,
  type CreateTenantResult,
  type DeleteTenantResult,
  type TenantReport,
  type TenantSummary,
} from "./tenant.ts";
import { isLocalOnlyHostname, parseTenantId, parseTenantSpec } from "./tenant-spec.ts";
import { KV_HEADROOM } from "./kv-namespace.ts";

export const EXIT = { ok: 0, failure: 1, usage: 2, conflict: 3, notFound: 4 } as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  /** Hooks for tests: reuse a resolved target instead of building one from the environment. */
  resolveTarget?: ConnectIo["resolveTarget"];
}

const USAGE = `Usage: npm run tenant -- <command> [options]

Commands:
  create <id> --domain <host> [--domain <host> ...] [--residency eu|uk|global]
              [--plan ${PLAN_NAMES.join("|")}] [--location-hint ${LOCATION_HINTS.join("|")}]
              [--cache on|off] [--kv ${KV_MODES.join("|")}] [--cors-origin <origin> ...]
              [--rate-limit <n>/min] [--json]
      Create the tenant, or finish / repair it. Safe to re-run: a complete tenant is left as is.
      --kv           where the tenant's cache lives: its own KV namespace (dedicated, the default),
                     or the one namespace many tenants share, each under its own key prefix
                     (shared). Without --kv a new tenant is shared when fewer than ${KV_HEADROOM} of the
                     account's KV namespaces are free. Fixed at creation: a re-run keeps it.
      --cors-origin  a browser origin (https://app.acme.com) allowed to call the API; repeatable.
      --rate-limit   requests per minute for the whole tenant, instead of the plan's.
  show <id> [--json]      Everything the tenant has, checked live, and the DNS records it needs.
  list [--json]           Every tenant, with status, residency, plan and domains.
  delete <id> [--json]    Remove everything the tenant has (its data too), in reverse order.
${KEYS_USAGE}

Options:
  --json      Print exactly one JSON object on stdout (progress goes to stderr).
  -h, --help  Show this help.

Target:
  No CLOUDFLARE_API_TOKEN: the local platform (npm start) at CLOUDFLARE_API_BASE_URL,
  default http://127.0.0.1:8788/client/v4.
  CLOUDFLARE_API_TOKEN set: Cloudflare; also needs CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_ZONE_ID.
  WFP_DISPATCH_NAMESPACE (default tenants), WFP_ROUTES_KV_ID (default: the KV namespace titled
  wfp-routes), WFP_CNAME_TARGET, WFP_KV_NAMESPACE_LIMIT (default 1000, Cloudflare's; set it if
  Cloudflare raised the account's), WFP_API_MAX_ATTEMPTS (default 5), WFP_API_RATE_LIMIT
  (default 1000/300: requests per seconds; Cloudflare allows 1,200 per 5 minutes per user, counting
  the dashboard and every other process, so the default leaves room for them).

Exit codes: 0 ok, 1 API or system failure (safe to re-run), 2 bad usage or input,
  3 conflict (e.g. hostname owned by another tenant), 4 tenant not found.`;

class UsageError extends Error {
  override readonly name = "UsageError";
}

const COMMANDS = ["create", "show", "list", "delete"] as const;
type Command = (typeof COMMANDS)[number];

/** Options each command accepts (besides --json and --help). */
const COMMAND_OPTIONS: Record<Command, readonly string[]> = {
  create: ["domain", "residency", "plan", "location-hint", "cache", "kv", "cors-origin", "rate-limit"],
  show: [],
  list: [],
  delete: [],
};

/**
 * Run the CLI. Returns the exit code; never calls process.exit.
 *
 * @example
 *   const code = await runTenantCli(["create", "acme", "--domain", "registry.acme.localhost"], {
 *     stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t),
 *   });
 */
export async function runTenantCli(argv: readonly string[], io: CliIo): Promise<number> {
  // `keys create|list|revoke`: the tenant's API keys (keys-cli.ts).
  if (argv[0] === "keys") return runKeysCli(argv.slice(1), io);
  const wantsJson = argv.includes("--json");
  let command: Command | undefined;
  const progress: ProgressEvent[] = [];
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    command = parsed.command;
    const { values, id } = parsed;
    const json = values.json === true;
    const out = json ? io.stderr : io.stdout;
    const onProgress = (event: ProgressEvent): void => {
      progress.push(event);
      const line = formatProgress(event);
      if (line) out(`${line}\n`);
    };

    // Validate everything local before the first API call (target discovery included).
    const spec =
      command === "create"
        ? parseTenantSpec({
            id,
            domains: values.domain ?? [],
            ...(values.residency !== undefined ? { residency: values.residency } : {}),
            ...(values.plan !== undefined ? { plan: values.plan } : {}),
            ...(values["location-hint"] !== undefined ? { locationHint: values["location-hint"] } : {}),
            ...(values.cache !== undefined ? { cacheMode: values.cache } : {}),
            ...(values.kv !== undefined ? { kvMode: values.kv } : {}),
            ...(values["cors-origin"] !== undefined ? { corsOrigins: values["cors-origin"] } : {}),
            ...(values["rate-limit"] !== undefined ? { requestsPerMinute: parseRateLimit(values["rate-limit"]) } : {}),
          })
        : undefined;
    const tenantId = command === "show" || command === "delete" ? parseTenantId(id) : undefined;
    const settings = readTargetSettings(io.env ?? process.env);
    if (spec && settings.kind === "cloudflare") {
      const localOnly = spec.domains.filter(isLocalOnlyHostname);
      if (localOnly.length > 0) {
        throw new InputError(
          localOnly.map((h) => `'${h}' only resolves on this machine: use a real domain when targeting Cloudflare`),
        );
      }
    }

    const target = await connectTarget(settings, io);
    const deps = { target };
    const where =
      target.kind === "local" ? `the local platform (${target.baseURL})` : `Cloudflare account ${target.accountId}`;
    // Locally, each hostname is also printed with the URL that reaches it without DNS (local-urls.ts).
    const localTrafficUrl = async () => (target.kind === "local" ? readLocalTrafficUrl(target.baseURL) : undefined);

    switch (command) {
      case "create": {
        if (!json) {
          const residency = spec!.residency ? `residency ${spec!.residency}` : "residency as before, or global";
          io.stdout(`Creating tenant ${spec!.id} (${residency}) on ${where}\n`);
        }
        const result = withLocalUrls(await createTenant(spec!, deps, onProgress), await localTrafficUrl());
        if (json) io.stdout(`${JSON.stringify({ ok: true, command, ...result }, null, 2)}\n`);
        else io.stdout(formatCreate(result));
        return EXIT.ok;
      }
      case "show": {
        const report = withLocalUrls(await showTenant(tenantId!, deps), await localTrafficUrl());
        if (json) io.stdout(`${JSON.stringify({ ok: true, command, ...report }, null, 2)}\n`);
        else io.stdout(formatShow(report));
        return EXIT.ok;
      }
      case "list": {
        const tenants = await listTenants(deps);
        if (json) io.stdout(`${JSON.stringify({ ok: true, command, tenants }, null, 2)}\n`);
        else io.stdout(formatList(tenants));
        return EXIT.ok;
      }
      case "delete": {
        if (!json) io.stdout(`Deleting tenant ${tenantId} on ${where}\n`);
        const result = await deleteTenant(tenantId!, deps, onProgress);
        if (json) io.stdout(`${JSON.stringify({ ok: true, command, ...result }, null, 2)}\n`);
        else io.stdout(formatDelete(result));
        return EXIT.ok;
      }
    }
  } catch (error) {
    const code = exitCodeOf(error);
    const message = errorMessage(error, command);
    if (wantsJson) {
      io.stdout(
        `${JSON.stringify(
          {
            ok: false,
            ...(command ? { command } : {}),
            error: {
              type: error instanceof Error ? error.name : "Error",
              message,
              exitCode: code,
              safeToRerun: code === EXIT.failure,
              ...(error instanceof InputError ? { problems: error.problems } : {}),
            },
            steps: progress.filter((e) => e.phase !== "start"),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      io.stderr(`\n${message.startsWith("Error ") ? message : `Error: ${message}`}\n`);
      if (code === EXIT.usage && !(error instanceof ConfigError))
        io.stderr(`Run 'npm run tenant -- --help' for usage.\n`);
    }
    return code;
  }
}

interface ParsedCommandLine {
  help: boolean;
  command: Command;
  id: string | undefined;
  values: {
    domain?: string[] | undefined;
    residency?: string | undefined;
    plan?: string | undefined;
    "location-hint"?: string | undefined;
    cache?: string | undefined;
    kv?: string | undefined;
    "cors-origin"?: string[] | undefined;
    "rate-limit"?: string | undefined;
    json?: boolean | undefined;
  };
}

/** `parseArgs` over the tenant commands' options; a {@link UsageError} when they do not parse. */
function parseOptions(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        domain: { type: "string", multiple: true },
        residency: { type: "string" },
        plan: { type: "string" },
        "location-hint": { type: "string" },
        cache: { type: "string" },
        kv: { type: "string" },
        "cors-origin": { type: "string", multiple: true },
        "rate-limit": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    // parseArgs explains unknown options and missing values well; keep its words.
    throw new UsageError((error as Error).message);
  }
}

function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const { values, positionals } = parseOptions(argv);
  if (values.help) return { help: true, command: "list", id: undefined, values };
  const [name, id, ...extra] = positionals;
  // `keys` is dispatched before this parser (runKeysCli), but it is a command all the same.
  const named = [...COMMANDS, "keys"].join(", ");
  if (name === undefined) throw new UsageError(`give a command: ${named}`);
  if (!(COMMANDS as readonly string[]).includes(name)) {
    throw new UsageError(`unknown command '${name}': use one of ${named}`);
  }
  const command = name as Command;
  if (command === "list") {
    if (id !== undefined) throw new UsageError(`list takes no arguments (got '${id}')`);
  } else {
    if (id === undefined) throw new UsageError(`${command} needs a tenant id: npm run tenant -- ${command} <id>`);
    if (extra.length > 0) {
      throw new UsageError(
        `unexpected argument(s) after the tenant id: ${extra.join(" ")} (give each hostname with --domain)`,
      );
    }
  }
  const allowed = new Set(COMMAND_OPTIONS[command]);
  const misplaced = Object.keys(values).filter((k) => k !== "json" && k !== "help" && !allowed.has(k));
  if (misplaced.length > 0) {
    throw new UsageError(`${command} does not take ${misplaced.map((k) => `--${k}`).join(", ")}`);
  }
  return { help: false, command, id, values };
}

/**
 * `--rate-limit <n>/min` as a number of requests per minute; anything else is handed on as given,
 * so the spec reports it together with every other problem.
 *
 * @example
 *   parseRateLimit("1200/min") // 1200
 */
function parseRateLimit(value: string): number | string {
  const match = /^\s*(\d{1,9})\s*\/\s*min\s*$/.exec(value);
  return match === null ? value : Number(match[1]);
}

function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof InputError || error instanceof ConfigError) return EXIT.usage;
  if (error instanceof StateConflictError) return EXIT.conflict;
  if (error instanceof TenantNotFoundError) return EXIT.notFound;
  return EXIT.failure;
}

function errorMessage(error: unknown, command: Command | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  if (exitCodeOf(error) !== EXIT.failure) return message;
  const what = command ?? "the command";
  const hint =
    command === "create" || command === "delete"
      ? `${what} did not finish, and nothing is left half-done that a re-run cannot fix: ` +
        `run the same command again (it is safe to re-run).`
      : `it is safe to run the command again.`;
  return `${message}\n${hint}${unreachableApiHint(error)}`;
}

function indent(lines: readonly string[], prefix = "  "): string {
  return lines.map((l) => `${prefix}${l}`).join("\n");
}

function formatHostnames(report: TenantReport): string[] {
  return report.resources.routes.flatMap(({ hostname, record, localUrl }: RouteWithLocalUrl) => {
    const custom = report.resources.customHostnames.find((h) => h.hostname === hostname);
    // A regional hostname of its own (made before issue 11), else its residency's regional target.
    const regional =
      report.resources.regionalHostnames.find((h) => h.hostname === hostname) ??
      report.resources.regionalHostnames.find(
        (h) => h.hostname !== hostname && !report.spec?.domains.includes(h.hostname),
      );
    const parts = [
      custom ? `custom hostname ${custom.status ?? "?"} (ssl ${custom.sslStatus ?? "?"})` : "no custom hostname",
      ...(regional ? [`regional ${regional.regionKey} (via ${regional.hostname})`] : []),
      record
        ? `route -> ${record.script} (${record.status}, plan ${record.plan}` +
          (record.rateLimit
            ? `, ${record.rateLimit.requestsPerMinute}/min, ${record.rateLimit.keyRequestsPerMinute}/min per key`
            : "") +
          (record.corsOrigins && record.corsOrigins.length > 0 ? `, CORS ${record.corsOrigins.join(" ")}` : "") +
          ")"
        : "no route",
    ];
    const line = `${hostname}  ${parts.join(", ")}`;
    return localUrl === undefined ? [line] : [line, `  local URL (no DNS needed): ${localUrl}`];
  });
}

function formatDns(report: TenantReport): string {
  const lines = report.dns.records.map((r) => `${r.type.padEnd(5)} ${r.name} -> ${r.value}   (${r.purpose})`);
  const body = lines.length > 0 ? indent(lines) : "  (none)";
  return `DNS records the tenant must add:\n${body}${report.dns.note ? `\n  Note: ${report.dns.note}` : ""}`;
}

function formatResidency(report: TenantReport): string {
  const r = report.residency;
  if (!r) return "Residency: unknown (no tenant record)";
  return [
    `Residency ${r.residency}: ` +
      `D1 ${r.d1Jurisdiction ? `jurisdiction ${r.d1Jurisdiction}` : `location hint ${r.d1LocationHint}`}, ` +
      `read replication ${r.readReplication}, ` +
      `regional hostnames ${r.regionalHostnameRegion ?? "none"}, KV cache ${r.cacheMode}`,
    "  Guaranteed:",
    r.guarantees.length > 0 ? indent(r.guarantees, "    - ") : "    (nothing about where data is)",
    ...(r.bestEffort.length > 0 ? ["  Best effort:", indent(r.bestEffort, "    - ")] : []),
    "  Not guaranteed:",
    indent(r.nonGuarantees, "    - "),
    ...(r.notes.length > 0 ? ["  Notes:", indent(r.notes, "    - ")] : []),
  ].join("\n");
}

function formatCreate(result: CreateTenantResult): string {
  const headline = result.changed
    ? `Tenant ${result.id} is active (template ${result.templateTag}).`
    : `Tenant ${result.id} was already complete: nothing changed.`;
  const key =
    result.adminKey !== undefined
      ? [
          "Admin API key - shown ONCE, store it now (e.g. in a password manager); it cannot be shown again:",
          `  ${result.adminKey}`,
        ].join("\n")
      : "Admin key unchanged: the key issued when this tenant was first completed still applies.";
  return [
    "",
    headline,
    "",
    `Hostnames:\n${indent(formatHostnames(result))}`,
    "",
    `${formatKv(result.resources.kv)}: ${result.kvModeReason}.`,
    "",
    formatDns(result),
    "",
    formatResidency(result),
    "",
    key,
    "",
  ].join("\n");
}

/**
 * The tenant's cache namespace in one line.
 *
 * @example
 *   formatKv({ title: "wfp-cache-shared", id: "9f1c", mode: "shared", prefix: "t/acme/0f2a/" })
 *   // "KV cache shared: wfp-cache-shared (9f1c), keys under t/acme/0f2a/"
 */
function formatKv(kv: TenantReport["resources"]["kv"]): string {
  if (kv === undefined) return "KV cache namespace missing";
  const where = `${kv.title} (${kv.id})`;
  return kv.mode === "shared"
    ? `KV cache shared: ${where}, keys under ${kv.prefix ?? "?"}`
    : `KV cache dedicated: ${where}`;
}

function formatShow(report: TenantReport): string {
  const r = report.resources;
  const d1 = r.d1
    ? `${r.d1.name} (${r.d1.id}${r.d1.jurisdiction ? `, jurisdiction ${r.d1.jurisdiction}` : ""})`
    : "missing";
  const lines = [
    `Tenant ${report.id}: ${report.status}${report.complete ? ", complete" : ", INCOMPLETE"}`,
    ...(report.spec
      ? [
          `  residency ${report.spec.residency}, plan ${report.spec.plan}, cache ${report.spec.cacheMode}, ` +
            `KV ${report.spec.kvMode}`,
        ]
      : []),
    ...(report.problems.length > 0 ? ["Problems:", indent(report.problems, "  - ")] : []),
    "Resources:",
    `  D1 database   ${d1}`,
    `  KV namespace  ${
      r.kv
        ? `${r.kv.title} (${r.kv.id}${r.kv.mode === "shared" ? `, shared, keys under ${r.kv.prefix ?? "?"}` : ""})`
        : "missing"
    }`,
    `  Worker        ${r.script ? `${r.script.name} [${r.script.tags.join(", ")}]` : "missing"}`,
    "",
    `Hostnames:\n${r.routes.length > 0 ? indent(formatHostnames(report)) : "  (none)"}`,
    "",
    formatDns(report),
    "",
    formatResidency(report),
    "",
  ];
  return lines.join("\n");
}

function formatList(tenants: readonly TenantSummary[]): string {
  if (tenants.length === 0) return "No tenants.\n";
  const rows = tenants.map((t) => [
    t.id,
    t.status,
    t.residency ?? "-",
    t.plan ?? "-",
    t.kvMode ?? "-",
    t.domains.join(", ") || "-",
  ]);
  const header = ["ID", "STATUS", "RESIDENCY", "PLAN", "KV", "DOMAINS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

function formatDelete(result: DeleteTenantResult): string {
  if (!result.existed)
    return `\nTenant ${result.id} does not exist: nothing to delete (nothing named after it was found).\n`;
  const skipped = result.skippedHostnames.map(
    (s) => `  ${s.hostname} is routed to tenant '${s.routedTo}' and was left alone`,
  );
  return [`\nTenant ${result.id} is deleted: nothing of it is left.`, ...skipped, ""].join("\n");
}
