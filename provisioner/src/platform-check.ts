/**
 * `npm run platform -- check`: whether an account and zone are ready for the platform, before
 * anything is created. Each check is one or two read-only calls; each line that is not ready says
 * how to fix it. Nothing is changed.
 *
 * What cannot be known without creating something (D1's jurisdictions) is said as unchecked, not
 * passed.
 */
import { APIConnectionError, APIError } from "cloudflare";
import type Cloudflare from "cloudflare";
import type { Residency } from "../../contracts/tenant-record.ts";
import { collectAll } from "./cloudflare-client.ts";
import { ROUTES_KV_TITLE, type TargetSettings } from "./config.ts";
import { KV_HEADROOM } from "./kv-namespace.ts";
import { SHARED_CACHE_KV_TITLE } from "./tenant-names.ts";
import { residencyProfile } from "./residency.ts";
import { CATCH_ALL_ROUTE } from "./worker-route.ts";
import { readDispatcherName } from "./dispatcher-build.ts";

/** Cloudflare's account limit on D1 databases the platform grows into (not readable through the API). */
export const D1_DATABASE_LIMIT = 50_000;

export type CheckStatus = "ready" | "missing" | "unchecked";

export interface CheckLine {
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do, when the status is not ready. */
  fix?: string;
}

export interface PlatformCheckReport {
  ready: boolean;
  target: { kind: TargetSettings["kind"]; baseURL: string; accountId?: string; zoneId?: string };
  checks: CheckLine[];
  /** Whether the zone's `*` + `/*` route already runs the dispatcher: `platform init` has run. */
  initialised: boolean;
}

/** "403 ... [code 10000]": what the API said, for a line's detail. */
function said(error: unknown): string {
  if (error instanceof APIError) {
    const codes = (error.errors ?? []).map(
      (e) => `${e.message ?? "error"}${e.code === undefined ? "" : ` [code ${e.code}]`}`,
    );
    return `the API answered ${error.status ?? "an error"}${codes.length > 0 ? `: ${codes.join("; ")}` : ""}`;
  }
  return `the call failed: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Runs every check against the account and zone the settings name (discovering them on the local
 * platform, as the tenant CLI does).
 *
 * @example
 *   const report = await checkPlatform(client, readTargetSettings(process.env), ["eu", "uk", "global"]);
 *   report.ready // false when any line is "missing"
 */
export async function checkPlatform(
  client: Cloudflare,
  settings: TargetSettings,
  residencies: readonly Residency[],
): Promise<PlatformCheckReport> {
  const checks: CheckLine[] = [];
  const line = (check: string, status: CheckStatus, detail: string, fix?: string) =>
    checks.push({ check, status, detail, ...(fix === undefined ? {} : { fix }) });
  let accountId = settings.accountId;
  let zoneId = settings.zoneId;
  let initialised = false;
  const report = (): PlatformCheckReport => ({
    ready: checks.every((c) => c.status !== "missing"),
    initialised,
    target: {
      kind: settings.kind,
      baseURL: settings.baseURL,
      ...(accountId === undefined ? {} : { accountId }),
      ...(zoneId === undefined ? {} : { zoneId }),
    },
    checks,
  });

  try {
    const token = await client.user.tokens.verify();
    if (token.status === "active") line("API token", "ready", "active");
    else
      line(
        "API token",
        "missing",
        `status ${token.status}`,
        "create an API token with the permissions the README lists",
      );
  } catch (error) {
    // Nothing else can be known about an API that does not answer: one line, not one per check.
    if (error instanceof APIConnectionError) {
      line(
        "API",
        "missing",
        `could not reach ${settings.baseURL}`,
        settings.kind === "local"
          ? "start the local platform (npm start); one on another --api-port: set " +
              "CLOUDFLARE_API_BASE_URL=http://127.0.0.1:<port>/client/v4"
          : "check the network and CLOUDFLARE_API_BASE_URL",
      );
      return report();
    }
    line(
      "API token",
      "missing",
      said(error),
      "set CLOUDFLARE_API_TOKEN to a token with the permissions the README lists (Against Cloudflare)",
    );
  }

  try {
    if (accountId === undefined) accountId = (await client.accounts.list({ per_page: 5 })).getPaginatedItems()[0]?.id;
    else await client.accounts.get({ account_id: accountId });
    if (accountId === undefined) line("Account", "missing", "the token sees no account", "set CLOUDFLARE_ACCOUNT_ID");
    else line("Account", "ready", accountId);
  } catch (error) {
    line(
      "Account",
      "missing",
      said(error),
      "check CLOUDFLARE_ACCOUNT_ID and the token's Account Settings Read permission",
    );
    accountId = undefined;
  }

  try {
    if (zoneId === undefined) zoneId = (await client.zones.list({ per_page: 5 })).getPaginatedItems()[0]?.id;
    if (zoneId === undefined) line("SaaS zone", "missing", "the token sees no zone", "set CLOUDFLARE_ZONE_ID");
    else line("SaaS zone", "ready", `${(await client.zones.get({ zone_id: zoneId })).name} (${zoneId})`);
  } catch (error) {
    line("SaaS zone", "missing", said(error), "check CLOUDFLARE_ZONE_ID and the token's Zone Read permission");
    zoneId = undefined;
  }

  if (accountId !== undefined) {
    const account_id = accountId;
    try {
      const namespaces = (
        await client.workersForPlatforms.dispatch.namespaces.list({ account_id })
      ).getPaginatedItems();
      const exists = namespaces.some((n) => n.namespace_name === settings.dispatchNamespace);
      line(
        "Workers for Platforms",
        "ready",
        exists
          ? `dispatch namespace '${settings.dispatchNamespace}' exists`
          : `subscribed; no dispatch namespace '${settings.dispatchNamespace}' yet`,
      );
    } catch (error) {
      line(
        "Workers for Platforms",
        "missing",
        said(error),
        "subscribe the account to Workers for Platforms (Workers Paid plus the Workers for Platforms add-on), " +
          "and give the token Workers Scripts Edit",
      );
    }

    try {
      const namespaces = await collectAll(client.kv.namespaces.list({ account_id, per_page: 100 }));
      const limit = settings.kvNamespaceLimit;
      const free = limit - namespaces.length;
      const routes = namespaces.some((n) => n.title === ROUTES_KV_TITLE)
        ? "the routing store exists"
        : "no routing store yet";
      const shared = namespaces.some((n) => n.title === SHARED_CACHE_KV_TITLE);
      const used = `${namespaces.length} of ${limit.toLocaleString("en")} namespaces used (${routes})`;
      // Past the headroom new tenants share one cache namespace (tenant create --kv): only an
      // account with no room left for that one is not ready.
      if (free >= KV_HEADROOM) {
        line("Workers KV", "ready", `${used}: room for ${free} more tenants with their own cache namespace`);
      } else if (shared || free > 0) {
        line("Workers KV", "ready", `${used}: new tenants share the cache namespace ${SHARED_CACHE_KV_TITLE}`);
      } else {
        line(
          "Workers KV",
          "missing",
          `${used}: no room for the shared cache namespace ${SHARED_CACHE_KV_TITLE}`,
          "delete namespaces no tenant uses, or ask Cloudflare to raise the limit (then set WFP_KV_NAMESPACE_LIMIT)",
        );
      }
    } catch (error) {
      line("Workers KV", "missing", said(error), "give the token Workers KV Storage Edit");
    }

    try {
      const databases = await collectAll(client.d1.database.list({ account_id, per_page: 100 }));
      line(
        "D1",
        "ready",
        `${databases.length} of ${D1_DATABASE_LIMIT.toLocaleString("en")} databases used ` +
          "(the default limit; Cloudflare can raise it)",
      );
    } catch (error) {
      line("D1", "missing", said(error), "give the token D1 Edit");
    }

    const regional = residencies.flatMap((r) => {
      const requirement = residencyProfile(r).regionalHostname;
      return requirement === undefined ? [] : [{ residency: r, requirement }];
    });
    if (regional.length > 0) {
      try {
        const regions = (await client.addressing.regionalHostnames.regions.list({ account_id })).getPaginatedItems();
        const lacking = regional.filter(({ requirement }) => !regions.some((r) => requirement.matches(r)));
        if (lacking.length === 0) {
          line(
            "Regional Services",
            "ready",
            `regions for ${regional.map((r) => r.residency).join(" and ")} tenants are available`,
          );
        } else {
          line(
            "Regional Services",
            "missing",
            `no region for ${lacking.map((r) => r.residency).join(" and ")} tenants in the account's regions list`,
            "eu and uk tenants need Regional Services (the Data Localization Suite): ask Cloudflare to enable it",
          );
        }
      } catch (error) {
        line(
          "Regional Services",
          "missing",
          said(error),
          "eu and uk tenants need Regional Services (the Data Localization Suite) and a token with DNS Edit",
        );
      }
      line(
        "D1 jurisdictions",
        "unchecked",
        "D1 says whether the account may use the eu jurisdiction only when a database is created in it",
        "the first eu or uk tenant's create tells (if D1 refuses it, delete that tenant)",
      );
    }
  }

  if (zoneId !== undefined) {
    try {
      const fallback = await client.customHostnames.fallbackOrigin.get({ zone_id: zoneId });
      line(
        "Cloudflare for SaaS",
        "ready",
        `enabled; fallback origin ${fallback.origin ?? "not set"} (${fallback.status ?? "?"})`,
      );
    } catch (error) {
      if (error instanceof APIError && error.status === 404) {
        line("Cloudflare for SaaS", "ready", "enabled; no fallback origin set yet");
      } else {
        line(
          "Cloudflare for SaaS",
          "missing",
          said(error),
          "enable Cloudflare for SaaS on the zone, and give the token SSL and Certificates Edit",
        );
      }
    }
  }

  if (zoneId !== undefined) {
    // platform init's `*/*` route: a route the zone already gives another Worker, init refuses.
    try {
      const dispatcher = await readDispatcherName();
      const routes = (await client.workers.routes.list({ zone_id: zoneId })).getPaginatedItems();
      const catchAll = routes.find((r) => r.pattern === CATCH_ALL_ROUTE);
      if (catchAll === undefined) line("Workers routes", "ready", `no ${CATCH_ALL_ROUTE} route yet (init adds it)`);
      else if (catchAll.script === dispatcher) {
        initialised = true;
        line("Workers routes", "ready", `${CATCH_ALL_ROUTE} runs the dispatcher (${dispatcher})`);
      } else
        line(
          "Workers routes",
          "missing",
          `${CATCH_ALL_ROUTE} runs ${catchAll.script ? `'${catchAll.script}'` : "no Worker"}, not the dispatcher`,
          `point it at '${dispatcher}', or give the platform a zone of its own`,
        );
    } catch (error) {
      line("Workers routes", "missing", said(error), "give the token Workers Routes Edit on the zone");
    }
  }

  return report();
}

/** The report as the terminal shows it: one line per check, and how to fix what is missing. */
export function formatCheck(report: PlatformCheckReport): string {
  const mark: Record<CheckStatus, string> = { ready: "✓", missing: "✗", unchecked: "?" };
  const lines = report.checks.flatMap((c) => [
    `${mark[c.status]} ${c.check}: ${c.detail}`,
    ...(c.fix === undefined || c.status === "ready" ? [] : [`    fix: ${c.fix}`]),
  ]);
  const verdict = report.ready
    ? "Ready: nothing the account or the token lacks was found. Next: " +
      (report.initialised ? "npm run tenant -- create <id> --domain <hostname>" : "npm run platform -- init")
    : `Not ready: ${report.checks.filter((c) => c.status === "missing").length} thing(s) to fix above.`;
  return `${lines.join("\n")}\n\n${verdict}\n`;
}
