/**
 * The tenant spec: the desired state an operator asks for. One zod schema is the source of truth;
 * every message says what to fix, and all problems are reported at once.
 */
import { domainToASCII } from "node:url";
import { z } from "zod";
import { InputError } from "./errors.ts";
import {
  KV_MODES,
  type KvMode,
  LOCATION_HINTS,
  type LocationHint,
  PLAN_NAMES,
  type Plan,
  RESIDENCIES,
  type Residency,
} from "../../contracts/tenant-record.ts";
import { registryRef, splitRegistryRef } from "../../contracts/registry-ref.ts";
import { REGISTRY_ID_PATTERN, TENANT_ID_PATTERN } from "./tenant-names.ts";

/** What a plan gives a tenant; the route record carries it to the dispatcher. */
export interface PlanLimits {
  /** Handed to `DISPATCHER.get(..., { limits })`. */
  cpuMs: number;
  subRequests: number;
  /** Requests per minute to the whole tenant (every key and anonymous requests together). */
  requestsPerMinute: number;
  /** Requests per minute for one API key id; at most the tenant's own limit. */
  keyRequestsPerMinute: number;
}

/** Per-plan limits: CPU and subrequests for the tenant Worker, request rates for the dispatcher. */
export const PLANS = {
  free: { cpuMs: 10, subRequests: 10, requestsPerMinute: 600, keyRequestsPerMinute: 300 },
  standard: { cpuMs: 50, subRequests: 50, requestsPerMinute: 6_000, keyRequestsPerMinute: 3_000 },
  pro: { cpuMs: 200, subRequests: 200, requestsPerMinute: 60_000, keyRequestsPerMinute: 30_000 },
} as const satisfies Record<Plan, PlanLimits>;
export const DEFAULT_PLAN: Plan = "standard";

/**
 * Why a hostname is not acceptable, or undefined when it is. Expects lower-cased, trimmed input.
 *
 * @example
 *   hostnameProblem("https://acme.com") // "remove the scheme: give 'acme.com', not 'https://acme.com'"
 *   hostnameProblem("registry.acme.localhost") // undefined
 */
export function hostnameProblem(hostname: string): string | undefined {
  if (hostname === "") return "a hostname cannot be empty";
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(hostname);
  if (scheme) {
    const bare = hostname.slice(scheme[0].length).split(/[/:?#]/)[0] ?? "";
    return `remove the scheme: give '${bare}', not '${hostname}'`;
  }
  if (/[/?#]/.test(hostname)) return `remove the path: give '${hostname.split(/[/?#]/)[0]}' only`;
  if (hostname.includes("*")) return "wildcard hostnames are not supported: list each hostname with its own --domain";
  if (hostname.includes(":"))
    return `remove the port: give '${hostname.split(":")[0]}' (tenants are served on the platform's port)`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is all of ASCII: this finds non-ASCII
  if (/[^\x00-\x7f]/.test(hostname)) {
    const ascii = domainToASCII(hostname);
    return ascii ? `use the ASCII (punycode) form '${ascii}'` : "contains characters that are not valid in a hostname";
  }
  if (hostname.endsWith(".")) return `remove the trailing dot: '${hostname.slice(0, -1)}'`;
  if (/^\d+(\.\d+){3}$/.test(hostname)) return "an IP address cannot be a tenant hostname: give a domain name";
  if (hostname.length > 253) return "is longer than 253 characters";
  const labels = hostname.split(".");
  if (labels.length < 2)
    return `must be a fully qualified name such as 'registry.${hostname}.com' or '${hostname}.localhost'`;
  for (const label of labels) {
    if (label.length === 0) return "has an empty label (two dots in a row)";
    if (label.length > 63) return `label '${label.slice(0, 20)}...' is longer than 63 characters`;
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(label)) {
      return `label '${label}' may only contain letters, digits and hyphens, and cannot start or end with a hyphen`;
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return "the last label cannot be all digits";
  const tld = labels[labels.length - 1]!;
  // Cloudflare refuses these custom hostnames (400, codes 1409 and 1411); `.localhost` is the
  // local platform's, refused for Cloudflare where the target is known (tenant-cli.ts).
  if (RESERVED_TOP_LEVEL_DOMAINS.has(tld))
    return (
      `'.${tld}' is a reserved top-level domain, which Cloudflare does not accept for custom hostnames: ` +
      "give the tenant's real domain"
    );
  const prohibited = PROHIBITED_DOMAINS.find((d) => hostname === d || hostname.endsWith(`.${d}`));
  if (prohibited !== undefined)
    return (
      `hostnames under ${prohibited} are documentation examples, which Cloudflare does not accept for custom ` +
      "hostnames: give the tenant's real domain"
    );
  return undefined;
}

/** Reserved top-level domains Cloudflare refuses for custom hostnames (code 1409), but `localhost`. */
const RESERVED_TOP_LEVEL_DOMAINS: ReadonlySet<string> = new Set(["test", "example", "invalid"]);
/** Domains Cloudflare refuses custom hostnames under (code 1411). */
const PROHIBITED_DOMAINS = ["example.com", "example.net", "example.org"] as const;

/**
 * True for hostnames that only resolve on this machine (`*.localhost`): fine for the local
 * platform, refused for Cloudflare.
 *
 * @example
 *   isLocalOnlyHostname("registry.acme.localhost") // true
 */
export function isLocalOnlyHostname(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost");
}

/**
 * Why a CORS origin is not acceptable, or undefined when it is. An origin is exactly what a
 * browser sends in `Origin`: scheme, host and an optional port; no path, query, user or wildcard.
 *
 * @example
 *   corsOriginProblem("https://app.acme.com")       // undefined
 *   corsOriginProblem("https://app.acme.com/login") // "remove the path: give 'https://app.acme.com'"
 */
function corsOriginProblem(origin: string): string | undefined {
  if (origin === "*") return "'*' is not allowed: list each origin with its own --cors-origin";
  if (!/^https?:\/\//.test(origin)) return "must start with https:// or http:// (e.g. https://app.acme.com)";
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return "is not a valid origin (scheme://host[:port])";
  }
  if (url.username !== "" || url.password !== "") return "must not contain a user name or password";
  if (url.hostname.includes("*")) return "wildcards are not allowed: list each origin with its own --cors-origin";
  const bare = url.origin;
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*[/?#]/.test(origin)) return `remove the path: give '${bare}'`;
  if (bare !== origin) return `give it in canonical form: '${bare}'`;
  return undefined;
}

/**
 * A CORS origin as the browser sends it: lower-case scheme and host, default port dropped.
 *
 * @example
 *   normalizeCorsOrigin(" HTTPS://App.Acme.com:443 ") // "https://app.acme.com"
 */
function normalizeCorsOrigin(origin: string): string {
  const trimmed = origin.trim();
  try {
    const url = new URL(trimmed);
    if (/^https?:\/\/[^/?#@]*$/i.test(trimmed) && !url.hostname.includes("*")) return url.origin;
  } catch {
    // Reported as it was given by corsOriginProblem.
  }
  return trimmed;
}

const corsOriginSchema = z
  .string({ error: "each --cors-origin must be an origin such as https://app.acme.com" })
  .transform(normalizeCorsOrigin)
  .superRefine((value, ctx) => {
    const problem = corsOriginProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `CORS origin '${value}' ${problem}` });
  });

const hostnameSchema = z
  .string({ error: "each --domain must be a hostname such as registry.acme.com" })
  .transform((value) => value.trim().toLowerCase())
  .superRefine((value, ctx) => {
    const problem = hostnameProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `'${value}' ${prefixed(problem)}` });
  });

function prefixed(problem: string): string {
  return /^(is|has|must|contains|label|the|a |an )/.test(problem) ? problem : `is not a valid hostname: ${problem}`;
}

const TENANT_ID_RULE =
  "tenant id must be 3-32 characters of lower-case letters, digits and hyphens, " +
  "start with a letter and not end with a hyphen (e.g. 'acme' or 'acme-eu')";
const REGISTRY_ID_RULE =
  "registry id must be 1-19 characters of lower-case letters, digits and hyphens, " +
  "start with a letter and not end with a hyphen (e.g. 'staging' or 'prod-eu')";

const tenantIdSchema = z
  .string({ error: "a tenant id is required, e.g. 'acme'" })
  .regex(TENANT_ID_PATTERN, TENANT_ID_RULE);
const registryIdSchema = z
  .string({ error: "a registry id is required, e.g. 'staging'" })
  .regex(REGISTRY_ID_PATTERN, REGISTRY_ID_RULE);

/**
 * A registry ref (contracts/registry-ref.ts): `acme` for the tenant's default registry,
 * `acme:staging` for another; `acme:default` is the same as `acme`.
 */
const registryRefSchema = z
  .string({ error: "a tenant id is required, e.g. 'acme' (or 'acme:staging' for one of its registries)" })
  .superRefine((value, ctx) => {
    const { tenantId, registryId } = splitRegistryRef(value);
    if (!TENANT_ID_PATTERN.test(tenantId)) ctx.addIssue({ code: "custom", message: TENANT_ID_RULE });
    if (!REGISTRY_ID_PATTERN.test(registryId)) ctx.addIssue({ code: "custom", message: REGISTRY_ID_RULE });
  })
  .transform((value) => {
    const { tenantId, registryId } = splitRegistryRef(value);
    return registryRef(tenantId, registryId);
  });

export const tenantSpecSchema = z
  .object({
    id: registryRefSchema,
    domains: z
      .array(hostnameSchema, { error: "give at least one --domain" })
      .min(1, "give at least one --domain <hostname> (e.g. --domain registry.acme.localhost)")
      .transform((domains) => [...new Set(domains)]),
    residency: z.enum(RESIDENCIES, { error: `residency must be one of: ${RESIDENCIES.join(", ")}` }).optional(),
    plan: z.enum(PLAN_NAMES, { error: `plan must be one of: ${PLAN_NAMES.join(", ")}` }).optional(),
    locationHint: z
      .enum(LOCATION_HINTS, { error: `location hint must be one of: ${LOCATION_HINTS.join(", ")}` })
      .optional(),
    cacheMode: z.enum(["on", "off"], { error: "cache must be 'on' or 'off'" }).optional(),
    /** Where the cache lives; absent: dedicated, or shared when the account is nearly out of namespaces. */
    kvMode: z.enum(KV_MODES, { error: `--kv must be one of: ${KV_MODES.join(", ")}` }).optional(),
    corsOrigins: z
      .array(corsOriginSchema)
      .max(50, "at most 50 --cors-origin values")
      .transform((origins) => [...new Set(origins)])
      .optional(),
    /** Operator override of the plan's requests per minute for the whole tenant (`--rate-limit <n>/min`). */
    requestsPerMinute: z
      .number({ error: "rate limit must be a number of requests per minute, e.g. --rate-limit 1200/min" })
      .int("rate limit must be a whole number of requests per minute")
      .min(1, "rate limit must be at least 1/min")
      .max(1_000_000, "rate limit must be at most 1000000/min")
      .optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.locationHint !== undefined && spec.residency !== undefined && spec.residency !== "global") {
      ctx.addIssue({
        code: "custom",
        path: ["locationHint"],
        message:
          `a location hint only applies to --residency global: ${spec.residency} ` +
          `pins the database to a jurisdiction, which overrides any hint`,
      });
    }
  });

/** What the operator asked for, before defaults that depend on an existing tenant are filled in. */
export type TenantSpecInput = z.input<typeof tenantSpecSchema>;
export type TenantSpec = z.output<typeof tenantSpecSchema>;

/** A spec with every default applied: what the provisioner converges to. */
export interface ResolvedTenantSpec {
  id: string;
  domains: string[];
  residency: Residency;
  plan: Plan;
  locationHint?: LocationHint;
  cacheMode: "on" | "off";
  /** The tenant's own KV namespace, or the shared one under its key prefix (fixed at creation). */
  kvMode: KvMode;
  /** Browser origins allowed to call the tenant's API (CORS); empty: none. */
  corsOrigins: string[];
  /** Replaces the plan's tenant-wide requests per minute when set. */
  requestsPerMinute?: number;
}

/**
 * The request rates the dispatcher enforces for a spec: the plan's, with an operator override of
 * the tenant-wide rate (a key never gets more than the tenant).
 *
 * @example
 *   rateLimitOf({ plan: "standard", requestsPerMinute: 100 }) // { requestsPerMinute: 100, keyRequestsPerMinute: 100 }
 */
export function rateLimitOf(spec: Pick<ResolvedTenantSpec, "plan" | "requestsPerMinute">): {
  requestsPerMinute: number;
  keyRequestsPerMinute: number;
} {
  const plan = PLANS[spec.plan];
  const requestsPerMinute = spec.requestsPerMinute ?? plan.requestsPerMinute;
  return { requestsPerMinute, keyRequestsPerMinute: Math.min(plan.keyRequestsPerMinute, requestsPerMinute) };
}

/**
 * Validate a spec, collecting every problem. Throws {@link InputError}; makes no API call.
 *
 * @example
 *   parseTenantSpec({ id: "acme", domains: ["Registry.Acme.localhost"], residency: "eu" })
 *   // { id: "acme", domains: ["registry.acme.localhost"], residency: "eu" }
 */
export function parseTenantSpec(input: unknown): TenantSpec {
  const result = tenantSpecSchema.safeParse(input);
  if (result.success) return result.data;
  throw new InputError(
    // Every message names its subject ("tenant id must...", "'x.com:80' ..."), so no field paths.
    result.error.issues.map((issue) => issue.message),
  );
}

/**
 * Validate a registry ref on its own (show / delete / keys ...): a tenant id names its default
 * registry, `<tenant>:<registry>` another.
 *
 * @example
 *   parseTenantId("Acme") // throws InputError: tenant id must be 3-32 characters ...
 *   parseTenantId("acme:staging") // "acme:staging"
 *   parseTenantId("acme:default") // "acme"
 */
export function parseTenantId(id: unknown): string {
  const result = registryRefSchema.safeParse(id);
  if (result.success) return result.data;
  throw new InputError(result.error.issues.map((issue) => issue.message));
}

/**
 * Validate a tenant id that must not name a registry (`registry create|list|delete <tenant>`).
 *
 * @example
 *   parsePlainTenantId("acme:staging") // throws InputError: tenant id must be ...
 */
export function parsePlainTenantId(id: unknown): string {
  const result = tenantIdSchema.safeParse(id);
  if (result.success) return result.data;
  throw new InputError(result.error.issues.map((issue) => issue.message));
}

/**
 * Validate a tenant id and a registry id, collecting both problems, into the registry's ref.
 *
 * @example
 *   parseRegistryRef("acme", "staging") // "acme:staging"
 *   parseRegistryRef("acme", "default") // "acme"
 */
export function parseRegistryRef(tenantId: unknown, registryId: unknown): string {
  const tenant = tenantIdSchema.safeParse(tenantId);
  const registry = registryIdSchema.safeParse(registryId);
  if (tenant.success && registry.success) return registryRef(tenant.data, registry.data);
  throw new InputError([
    ...(tenant.success ? [] : tenant.error.issues.map((issue) => issue.message)),
    ...(registry.success ? [] : registry.error.issues.map((issue) => issue.message)),
  ]);
}

/** What `tenant update` may change on an existing tenant; what is absent stays as it is. */
export interface TenantChanges {
  plan?: Plan;
  cacheMode?: "on" | "off";
  corsOrigins?: string[];
  requestsPerMinute?: number;
}

const tenantChangesSchema = z.object({
  plan: tenantSpecSchema.shape.plan,
  cacheMode: tenantSpecSchema.shape.cacheMode,
  corsOrigins: tenantSpecSchema.shape.corsOrigins,
  requestsPerMinute: tenantSpecSchema.shape.requestsPerMinute,
});

/**
 * Validate `tenant update`'s changes with create's rules, collecting every problem; at least one
 * change is required. Throws {@link InputError}; makes no API call.
 *
 * @example
 *   parseTenantChanges({ plan: "pro", requestsPerMinute: 100 }) // { plan: "pro", requestsPerMinute: 100 }
 */
export function parseTenantChanges(input: {
  plan?: unknown;
  cacheMode?: unknown;
  corsOrigins?: unknown;
  requestsPerMinute?: unknown;
}): TenantChanges {
  const result = tenantChangesSchema.safeParse(input);
  if (!result.success) throw new InputError(result.error.issues.map((issue) => issue.message));
  const changes = Object.fromEntries(Object.entries(result.data).filter(([, v]) => v !== undefined)) as TenantChanges;
  if (Object.keys(changes).length === 0) {
    throw new InputError(["give at least one change: --plan, --rate-limit, --cors-origin or --cache"]);
  }
  return changes;
}
