/**
 * Which Cloudflare the provisioner talks to. The only difference between the real thing and the
 * local platform is where the settings come from: with no `CLOUDFLARE_API_TOKEN` the local
 * platform is assumed and the account and zone are discovered from its API; with a token every
 * id must be given. After this module, no code knows which target it is talking to.
 */
import type Cloudflare from "cloudflare";
import { collectAll, type RetryPolicy } from "./cloudflare-client.ts";
import { CLOUDFLARE_RATE_LIMIT, rateLimitFor, type TokenBucketOptions } from "./token-bucket.ts";
import { apiCall, ConfigError } from "./errors.ts";
import { KV_NAMESPACE_LIMIT } from "./kv-namespace.ts";

export const LOCAL_API_BASE_URL = "http://127.0.0.1:8788/client/v4";
export const CLOUDFLARE_API_BASE_URL = "https://api.cloudflare.com/client/v4";
/** Any bearer token is accepted locally; the SDK still needs one to build its auth header. */
export const LOCAL_API_TOKEN = "local-platform-token";
export const DEFAULT_DISPATCH_NAMESPACE = "tenants";
export const ROUTES_KV_TITLE = "wfp-routes";

/** What the environment says, before any API call. */
export interface TargetSettings {
  kind: "local" | "cloudflare";
  baseURL: string;
  apiToken: string;
  /** Required for Cloudflare; discovered (GET /accounts) locally when absent. */
  accountId?: string;
  /** Required for Cloudflare; discovered (GET /zones) locally when absent. */
  zoneId?: string;
  dispatchNamespace: string;
  /** `WFP_ROUTES_KV_ID`; otherwise the namespace titled `wfp-routes` is looked up. */
  routesNamespaceId?: string;
  /** `WFP_CNAME_TARGET`: what tenants point their CNAME at; otherwise the zone's fallback origin. */
  cnameTarget?: string;
  /**
   * `WFP_TEMPLATE_DIR`: the tenant-template/ every upload builds (create, update, doctor --fix,
   * rollout), e.g. a release's checkout; default this repository's.
   */
  templateDir?: string;
  /** `WFP_API_MAX_ATTEMPTS` etc.: retry tuning (tests set 1 to see injected faults directly). */
  retry: Partial<RetryPolicy>;
  /** `WFP_API_RATE_LIMIT` as "<requests>/<seconds>"; default 1000/300, below Cloudflare's 1,200 per 5 minutes. */
  rateLimit: Pick<TokenBucketOptions, "capacity" | "refillPerSecond">;
  /**
   * `WFP_KV_NAMESPACE_LIMIT`: the account's limit on KV namespaces, default Cloudflare's 1,000 (set
   * it when Cloudflare has raised the account's). `tenant create` shares a cache namespace near it.
   */
  kvNamespaceLimit: number;
}

/**
 * The account and zone, before the platform's own resources are known: what `platform init`,
 * which creates them, works with.
 */
export interface AccountTarget {
  kind: "local" | "cloudflare";
  client: Cloudflare;
  baseURL: string;
  accountId: string;
  zoneId: string;
  /** Known when discovered (local) or looked up; used only for output. */
  zoneName?: string;
  dispatchNamespace: string;
  cnameTarget?: string;
  /** TargetSettings.kvNamespaceLimit; absent: Cloudflare's default, KV_NAMESPACE_LIMIT. */
  kvNamespaceLimit?: number;
  /** `WFP_TEMPLATE_DIR` (TargetSettings.templateDir). */
  templateDir?: string;
}

/** Everything a resource module needs: the client and the ids it operates in. */
export interface Target extends AccountTarget {
  routesNamespaceId: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function positiveInteger(env: Env, name: string): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${name} must be a whole number (got '${raw}')`);
  }
  return value;
}

/**
 * Read the target from environment variables. Throws {@link ConfigError} naming any missing
 * variable; makes no API call.
 *
 * @example
 *   readTargetSettings({}) // local platform at http://127.0.0.1:8788/client/v4
 *   readTargetSettings({ CLOUDFLARE_API_TOKEN: "t" })
 *   // throws: CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_ZONE_ID are required ...
 */
export function readTargetSettings(env: Env = process.env): TargetSettings {
  const token = nonEmpty(env.CLOUDFLARE_API_TOKEN);
  const retry: Partial<RetryPolicy> = {};
  const maxAttempts = positiveInteger(env, "WFP_API_MAX_ATTEMPTS");
  if (maxAttempts !== undefined) retry.maxAttempts = Math.max(1, maxAttempts);
  const baseDelayMs = positiveInteger(env, "WFP_API_RETRY_BASE_MS");
  if (baseDelayMs !== undefined) retry.baseDelayMs = baseDelayMs;

  let rateLimit = CLOUDFLARE_RATE_LIMIT;
  const rawLimit = nonEmpty(env.WFP_API_RATE_LIMIT);
  if (rawLimit !== undefined) {
    const match = /^(\d+)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(rawLimit);
    if (!match || Number(match[1]) < 1 || Number(match[2]) <= 0) {
      throw new ConfigError(`WFP_API_RATE_LIMIT must look like '1200/300' (requests per seconds), got '${rawLimit}'`);
    }
    rateLimit = rateLimitFor(Number(match[1]), Number(match[2]));
  }

  const kvNamespaceLimit = positiveInteger(env, "WFP_KV_NAMESPACE_LIMIT") ?? KV_NAMESPACE_LIMIT;
  if (kvNamespaceLimit < 1) throw new ConfigError("WFP_KV_NAMESPACE_LIMIT must be at least 1");

  const common = {
    kvNamespaceLimit,
    dispatchNamespace: nonEmpty(env.WFP_DISPATCH_NAMESPACE) ?? DEFAULT_DISPATCH_NAMESPACE,
    ...optional("routesNamespaceId", nonEmpty(env.WFP_ROUTES_KV_ID)),
    ...optional("cnameTarget", nonEmpty(env.WFP_CNAME_TARGET)),
    ...optional("templateDir", nonEmpty(env.WFP_TEMPLATE_DIR)),
    ...optional("accountId", nonEmpty(env.CLOUDFLARE_ACCOUNT_ID)),
    ...optional("zoneId", nonEmpty(env.CLOUDFLARE_ZONE_ID)),
    retry,
    rateLimit,
  };

  if (token === undefined) {
    return {
      kind: "local",
      baseURL: nonEmpty(env.CLOUDFLARE_API_BASE_URL) ?? LOCAL_API_BASE_URL,
      apiToken: LOCAL_API_TOKEN,
      ...common,
    };
  }
  const missing = ["CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_ZONE_ID"].filter((name) => nonEmpty(env[name]) === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `CLOUDFLARE_API_TOKEN is set, so the target is Cloudflare, which also needs ${missing.join(" and ")}. ` +
        `Set ${missing.length === 1 ? "it" : "them"} (the zone is your Cloudflare for SaaS zone), ` +
        `or unset CLOUDFLARE_API_TOKEN to use the local platform.`,
    );
  }
  return {
    kind: "cloudflare",
    baseURL: nonEmpty(env.CLOUDFLARE_API_BASE_URL) ?? CLOUDFLARE_API_BASE_URL,
    apiToken: token,
    ...common,
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/**
 * The account (`GET /accounts`) and zone (`GET /zones`) when the settings do not give them.
 *
 * @example
 *   const account = await resolveAccount(createCloudflareClient(settings), settings);
 */
export async function resolveAccount(client: Cloudflare, settings: TargetSettings): Promise<AccountTarget> {
  let accountId = settings.accountId;
  if (accountId === undefined) {
    const accounts = await apiCall("listing", "accounts at", settings.baseURL, () =>
      client.accounts.list({ per_page: 5 }),
    );
    const first = accounts.getPaginatedItems()[0];
    if (!first) throw new ConfigError(`the API at ${settings.baseURL} lists no account; set CLOUDFLARE_ACCOUNT_ID`);
    accountId = first.id;
  }

  let zoneId = settings.zoneId;
  let zoneName: string | undefined;
  if (zoneId === undefined) {
    const zones = await apiCall("listing", "zones at", settings.baseURL, () => client.zones.list({ per_page: 5 }));
    const first = zones.getPaginatedItems()[0];
    if (!first) throw new ConfigError(`the API at ${settings.baseURL} lists no zone; set CLOUDFLARE_ZONE_ID`);
    zoneId = first.id;
    zoneName = first.name;
  }
  return {
    kind: settings.kind,
    client,
    baseURL: settings.baseURL,
    accountId,
    zoneId,
    ...(zoneName === undefined ? {} : { zoneName }),
    dispatchNamespace: settings.dispatchNamespace,
    ...(settings.cnameTarget === undefined ? {} : { cnameTarget: settings.cnameTarget }),
    kvNamespaceLimit: settings.kvNamespaceLimit,
    ...(settings.templateDir === undefined ? {} : { templateDir: settings.templateDir }),
  };
}

/**
 * Fill in what the settings leave open by asking the API: the account and zone
 * ({@link resolveAccount}) and the routing KV namespace by its title.
 *
 * @example
 *   const settings = readTargetSettings();
 *   const target = await resolveTarget(createCloudflareClient(settings), settings);
 */
export async function resolveTarget(client: Cloudflare, settings: TargetSettings): Promise<Target> {
  const account = await resolveAccount(client, settings);
  let routesNamespaceId = settings.routesNamespaceId;
  if (routesNamespaceId === undefined) {
    const namespaces = await apiCall("looking up", "the routing KV namespace", ROUTES_KV_TITLE, () =>
      collectAll(
        client.kv.namespaces.list({ account_id: account.accountId, per_page: 100 }),
        (ns) => ns.title === ROUTES_KV_TITLE,
      ),
    );
    const routes = namespaces.find((ns) => ns.title === ROUTES_KV_TITLE);
    if (!routes) {
      throw new ConfigError(
        `no KV namespace titled '${ROUTES_KV_TITLE}' in account ${account.accountId}: the platform is not ` +
          "set up in this account yet; run npm run platform -- init (or set WFP_ROUTES_KV_ID)",
      );
    }
    routesNamespaceId = routes.id;
  }
  return { ...account, routesNamespaceId };
}
