/** `tenant create <id> --domain <host> ...`: create the tenant, or finish / repair / upgrade it. */
import { KV_MODES, LOCATION_HINTS, PLAN_NAMES } from "../../../contracts/tenant-record.ts";
import { InputError } from "../errors.ts";
import { KV_HEADROOM } from "../kv-namespace.ts";
import { readLocalTrafficUrl, withLocalUrls } from "../local-urls.ts";
import { createTenant } from "../tenant.ts";
import { isLocalOnlyHostname, parseTenantSpec, type TenantSpec } from "../tenant-spec.ts";
import { readTargetSettings, type Target } from "../config.ts";
import { DEFAULT_REGISTRY_ID, splitRegistryRef } from "../../../contracts/registry-ref.ts";
import {
  COMMON_HELP,
  EXIT,
  printJson,
  type TenantCommand,
  type TenantCommandRun,
  UsageError,
  where,
} from "./tenant-command.ts";
import { formatCreate } from "./tenant-report-format.ts";

/** The flags create shares with update: what the tenant is allowed to do. */
export const TENANT_LIMIT_OPTIONS = {
  plan: { type: "string" },
  cache: { type: "string" },
  "cors-origin": { type: "string", multiple: true },
  "rate-limit": { type: "string" },
} as const;

/**
 * `--rate-limit <n>/min` as a number of requests per minute; anything else is handed on as given,
 * so the spec reports it together with every other problem.
 *
 * @example
 *   parseRateLimit("1200/min") // 1200
 */
export function parseRateLimit(value: string): number | string {
  const match = /^\s*(\d{1,9})\s*\/\s*min\s*$/.exec(value);
  return match === null ? value : Number(match[1]);
}

export const createCommand: TenantCommand = {
  name: "create",
  summary: "Create the tenant, or finish / repair it. Safe to re-run.",
  args: ["id"],
  options: {
    domain: { type: "string", multiple: true },
    residency: { type: "string" },
    "location-hint": { type: "string" },
    kv: { type: "string" },
    ...TENANT_LIMIT_OPTIONS,
  },
  usage: `Usage: npm run tenant -- create <id> --domain <host> [--domain <host> ...] [options]

Create the tenant, or finish / repair it. Safe to re-run: a complete tenant is left as is.
This is the tenant's default registry; its other registries: 'registry create <id> <registry>'.

Options:
  --domain <host>          a hostname of the tenant; repeatable, at least one. An existing tenant's
                           domains change with 'domains add|remove', not here.
  --residency eu|uk|global default: the existing tenant's, else global
  --plan ${PLAN_NAMES.join("|")}    default: the existing tenant's, else standard
  --location-hint ${LOCATION_HINTS.join("|")}
                           global only; default weur
  --cache on|off           default: the existing tenant's, else the residency profile's
                           (on for global, off for eu and uk)
  --kv ${KV_MODES.join("|")}   where the cache lives: its own KV namespace, or the one many tenants
                           share under a key prefix. Default: dedicated, or shared when fewer than
                           ${KV_HEADROOM} of the account's KV namespaces are free. Fixed at creation.
  --cors-origin <origin>   a browser origin (https://app.acme.com) allowed to call the API;
                           repeatable. Default: the existing tenant's, else none
  --rate-limit <n>/min     requests per minute for the whole tenant. Default: the existing
                           tenant's, else the plan's
${COMMON_HELP}`,
  async run(run) {
    const [id, ...extra] = run.args;
    if (extra.length > 0) {
      throw new UsageError(
        `unexpected argument(s) after the tenant id: ${extra.join(" ")} (give each hostname with --domain)`,
      );
    }
    if (id?.includes(":") === true) {
      throw new UsageError(
        `create takes a tenant id; a registry of a tenant is made with ` +
          `'npm run tenant -- registry create ${id.replace(":", " ")} --domain <host>'`,
      );
    }
    return createFromCommandLine(id, run);
  },
};

/** What another registry takes from its tenant unless its own flags say otherwise (registry create). */
export interface InheritedSpec {
  residency?: TenantSpec["residency"];
  plan?: TenantSpec["plan"];
}

/**
 * Create (or finish, repair) the registry `ref` names with the options on the command line:
 * `create <id>` and `registry create <tenant> <registry>` alike. Everything local is validated
 * before the first API call; `beforeCreate` runs once the target is known (registry create checks
 * the tenant exists there).
 */
export async function createFromCommandLine(
  ref: string | undefined,
  { values, io, json, onProgress, connect }: TenantCommandRun,
  /** Checks before anything is made; may answer what the spec takes when its flags are not given. */
  beforeCreate?: (target: Target) => Promise<InheritedSpec | undefined>,
): Promise<number> {
  // Validate everything local before the first API call (target discovery included).
  let spec = parseTenantSpec({
    id: ref,
    domains: values.domain ?? [],
    ...(values.residency !== undefined ? { residency: values.residency } : {}),
    ...(values.plan !== undefined ? { plan: values.plan } : {}),
    ...(values["location-hint"] !== undefined ? { locationHint: values["location-hint"] } : {}),
    ...(values.cache !== undefined ? { cacheMode: values.cache } : {}),
    ...(values.kv !== undefined ? { kvMode: values.kv } : {}),
    ...(values["cors-origin"] !== undefined ? { corsOrigins: values["cors-origin"] } : {}),
    ...(values["rate-limit"] !== undefined
      ? { requestsPerMinute: parseRateLimit(values["rate-limit"] as string) }
      : {}),
  });
  const settings = readTargetSettings(io.env ?? process.env);
  if (settings.kind === "cloudflare") {
    const localOnly = spec.domains.filter(isLocalOnlyHostname);
    if (localOnly.length > 0) {
      throw new InputError(
        localOnly.map((h) => `'${h}' only resolves on this machine: use a real domain when targeting Cloudflare`),
      );
    }
  }
  const target = await connect();
  const inherited = await beforeCreate?.(target);
  if (inherited?.residency !== undefined && values.residency === undefined)
    spec = { ...spec, residency: inherited.residency };
  if (inherited?.plan !== undefined && values.plan === undefined) spec = { ...spec, plan: inherited.plan };
  if (!json) {
    const residency = spec.residency ? `residency ${spec.residency}` : "residency as before, or global";
    const { registryId } = splitRegistryRef(spec.id);
    const what = registryId === DEFAULT_REGISTRY_ID ? `tenant ${spec.id}` : `registry ${spec.id}`;
    io.stdout(`Creating ${what} (${residency}) on ${where(target)}\n`);
  }
  const local = target.kind === "local" ? await readLocalTrafficUrl(target.baseURL) : undefined;
  const result = withLocalUrls(await createTenant(spec, { target }, onProgress), local);
  if (json) printJson(io, { ok: true, command: "create", ...result });
  else io.stdout(formatCreate(result));
  return EXIT.ok;
}
