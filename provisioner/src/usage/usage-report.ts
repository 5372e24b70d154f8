/**
 * Usage per tenant and per route, read from Workers Analytics Engine through its SQL API
 * (`POST /accounts/{a}/analytics_engine/sql`, the query as the body, `{meta, data, rows}` back; the
 * SDK has no method for it), and each tenant's D1 database size (`file_size` of D1's database get).
 * The data points are the dispatcher's (contracts/usage-point.ts); counts are weighted by
 * `_sample_interval`, as Cloudflare asks of queries over sampled data.
 */
import type { Target } from "../config.ts";
import { apiCall } from "../errors.ts";
import { collectAll } from "../cloudflare-client.ts";
import { REGISTRY_REF_PATTERN, tenantNames } from "../tenant-names.ts";
import {
  DEFAULT_REGISTRY_ID,
  REGISTRY_REF_SEPARATOR,
  registryRef,
  splitRegistryRef,
} from "../../../contracts/registry-ref.ts";
import {
  USAGE_COLUMNS as C,
  PUBLISH_USAGE_SQL,
  type PublishedUsage,
  USAGE_DATASET,
} from "../../../contracts/usage-point.ts";

/** Requests, errors and latency of one tenant, or of one of its routes. */
export interface UsageFigures {
  requests: number;
  /** 4xx answers (the platform's own refusals included: 429, 403). */
  clientErrors: number;
  /** 5xx answers. */
  serverErrors: number;
  /** Time to the response's headers through the dispatcher, weighted quantiles, ms. */
  p50Ms: number;
  p99Ms: number;
}

/** One registry's usage (each registry is a unit, as in every fleet command). */
export interface TenantUsage extends UsageFigures {
  /** The registry's ref: `acme` (a tenant's default registry), `acme:staging` (contracts/registry-ref.ts). */
  ref: string;
  tenantId: string;
  registryId: string;
  routes: (UsageFigures & { route: string })[];
  /** The D1 database's size (`file_size`), or null when it was not read or has no database. */
  databaseBytes: number | null;
}

export interface UsageReport {
  since: string;
  until: string;
  tenants: TenantUsage[];
}

export interface UsageOptions {
  since: Date;
  /** One tenant (every registry of it: `acme`) or one registry (`acme:staging`) only. */
  ref?: string;
  /** Read each tenant's database size (one API call per tenant); default true. */
  sizes?: boolean;
  /** Told how far the size reads have got, for a long run. */
  onProgress?: (done: number, total: number) => void;
  now?: number;
}

/** Most rows a query returns; the route templates bound it (a few dozen per tenant). */
const ROW_LIMIT = 100_000;
/** Size reads in flight at once; each goes through the account's rate limiter anyway. */
const SIZE_CONCURRENCY = 8;

/** ClickHouse's DateTime literal, UTC. */
function dateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace("T", " ");
}

function figuresSql(): string {
  return [
    "SUM(_sample_interval) AS requests",
    `sumIf(_sample_interval, ${C.statusClass} = '4xx') AS client_errors`,
    `sumIf(_sample_interval, ${C.statusClass} = '5xx') AS server_errors`,
    `quantileWeighted(0.5, ${C.durationMs}, _sample_interval) AS p50_ms`,
    `quantileWeighted(0.99, ${C.durationMs}, _sample_interval) AS p99_ms`,
  ].join(", ");
}

/**
 * The SQL of the two queries: per tenant, and per tenant and route (quantiles do not add up, so the
 * tenant's own are read apart). The tenant id is checked against the tenant id pattern before it is
 * put in the text, so it cannot change the query.
 *
 * @example usageQueries(new Date("2026-12-01T00:00:00Z"), "acme").perTenant
 */
export function usageQueries(since: Date, ref?: string): { perTenant: string; perRoute: string } {
  if (ref !== undefined && !REGISTRY_REF_PATTERN.test(ref)) throw new Error(`not a tenant or registry: ${ref}`);
  const where = [`timestamp >= toDateTime('${dateTime(since)}')`];
  if (ref !== undefined) {
    const { tenantId, registryId } = splitRegistryRef(ref);
    where.push(`index1 = '${tenantId}'`);
    if (ref.includes(REGISTRY_REF_SEPARATOR)) where.push(`${C.registry} = '${registryId}'`);
  }
  const from = `FROM ${USAGE_DATASET} WHERE ${where.join(" AND ")}`;
  const unit = `${C.tenant} AS tenant, ${C.registry} AS registry`;
  return {
    perTenant:
      `SELECT ${unit}, ${figuresSql()} ${from} ` +
      `GROUP BY tenant, registry ORDER BY tenant, registry LIMIT ${ROW_LIMIT} FORMAT JSON`,
    perRoute:
      `SELECT ${unit}, ${C.route} AS route, ${figuresSql()} ${from} ` +
      `GROUP BY tenant, registry, route ORDER BY tenant, registry, requests DESC LIMIT ${ROW_LIMIT} FORMAT JSON`,
  };
}

/** The ref of a result row (its tenant and registry columns). */
function refOf(row: Record<string, unknown>): string {
  return registryRef(String(row.tenant), String(row.registry ?? DEFAULT_REGISTRY_ID));
}

interface SqlResponse {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
  rows: number;
}

/**
 * Runs one Analytics Engine SQL query.
 *
 * @example const { data } = await runAnalyticsSql(target, "SELECT count() AS n FROM wfp_usage FORMAT JSON");
 */
export async function runAnalyticsSql(target: Target, sql: string): Promise<SqlResponse> {
  const path = `/accounts/${encodeURIComponent(target.accountId)}/analytics_engine/sql`;
  const reply = await apiCall("querying", "Analytics Engine dataset", USAGE_DATASET, () =>
    target.client.post<SqlResponse>(path, { body: sql, headers: { "content-type": "text/plain" } }),
  );
  if (!Array.isArray(reply?.data)) throw new Error("the Analytics Engine SQL API answered without data");
  return reply;
}

/** A figure as the SQL API gives it: a number, or a numeric string (ClickHouse quotes 64-bit integers). */
function num(value: unknown): number {
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}

function figures(row: Record<string, unknown>): UsageFigures {
  return {
    requests: num(row.requests),
    clientErrors: num(row.client_errors),
    serverErrors: num(row.server_errors),
    p50Ms: num(row.p50_ms),
    p99Ms: num(row.p99_ms),
  };
}

const NO_FIGURES: UsageFigures = { requests: 0, clientErrors: 0, serverErrors: 0, p50Ms: 0, p99Ms: 0 };

/**
 * Usage of every registry with a record (or of one tenant's, or of one), with their database sizes.
 *
 * @example const report = await readUsage(target, tenantIds, { since: monthStart(Date.now()) });
 */
export async function readUsage(target: Target, refs: readonly string[], options: UsageOptions): Promise<UsageReport> {
  const now = options.now ?? Date.now();
  const queries = usageQueries(options.since, options.ref);
  const [perTenant, perRoute] = await Promise.all([
    runAnalyticsSql(target, queries.perTenant),
    runAnalyticsSql(target, queries.perRoute),
  ]);
  const byRef = new Map<string, TenantUsage>();
  const wanted = options.ref;
  const ids = new Set(
    wanted === undefined
      ? refs
      : refs.filter(
          (r) => r === wanted || (!wanted.includes(REGISTRY_REF_SEPARATOR) && splitRegistryRef(r).tenantId === wanted),
        ),
  );
  if (wanted !== undefined && ids.size === 0) ids.add(wanted);
  // A registry deleted since still has its traffic in the figures: it is shown too.
  for (const row of perTenant.data) ids.add(refOf(row));
  for (const ref of [...ids].sort()) {
    const { tenantId, registryId } = splitRegistryRef(ref);
    byRef.set(ref, { ref, tenantId, registryId, ...NO_FIGURES, routes: [], databaseBytes: null });
  }
  for (const row of perTenant.data) Object.assign(byRef.get(refOf(row))!, figures(row));
  for (const row of perRoute.data) byRef.get(refOf(row))?.routes.push({ route: String(row.route), ...figures(row) });
  if (options.sizes !== false) await readSizes(target, [...byRef.values()], options.onProgress);
  return { since: options.since.toISOString(), until: new Date(now).toISOString(), tenants: [...byRef.values()] };
}

/**
 * The tenants' databases by name (`wfp-tenant-<id>` -> uuid), from one listing per 1,000.
 *
 * @example (await listTenantDatabases(target)).get("wfp-tenant-acme") // "0f2a..."
 */
export async function listTenantDatabases(target: Target): Promise<Map<string, string>> {
  const { client, accountId } = target;
  const databases = await apiCall("listing", "D1 databases", "wfp-tenant-*", () =>
    collectAll(client.d1.database.list({ account_id: accountId, name: "wfp-tenant-", per_page: 1000 })),
  );
  return new Map(databases.flatMap((d) => (d.name && d.uuid ? [[d.name, d.uuid] as const] : [])));
}

/** Runs `work` on every item, at most `concurrency` at once, reporting each one done. */
async function eachLimited<T>(
  items: readonly T[],
  work: (item: T) => Promise<void>,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length) {
      await work(items[next++]!);
      onProgress?.(++done, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SIZE_CONCURRENCY, items.length) }, worker));
}

/** One listing of the account's databases, then one get per tenant for its `file_size`. */
async function readSizes(
  target: Target,
  tenants: TenantUsage[],
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const { client, accountId } = target;
  const uuidByName = await listTenantDatabases(target);
  await eachLimited(
    tenants,
    async (tenant) => {
      const name = tenantNames(tenant.ref).d1Database;
      const uuid = uuidByName.get(name);
      if (uuid === undefined) return;
      const db = await apiCall("reading", "D1 database", name, () =>
        client.d1.database.get(uuid, { account_id: accountId }),
      );
      tenant.databaseBytes = db.file_size ?? null;
    },
    onProgress,
  );
}

/** What publishing did for one tenant. */
export interface PublishOutcome {
  /** The registry's ref. */
  ref: string;
  outcome: "published" | "no database" | "failed";
  /** Why it failed (a tenant whose database has not had migration 0009 yet, an API error). */
  error?: string;
}

/**
 * Writes each tenant's figures into its own database (table `platform_usage`, migration 0009),
 * where its Worker answers them at `GET /api/usage`: one D1 query per tenant. A tenant that cannot
 * be written to is reported and the others go on.
 *
 * @example await publishUsage(target, monthReport, Date.now())
 */
export async function publishUsage(
  target: Target,
  report: UsageReport,
  onProgress?: (done: number, total: number) => void,
): Promise<PublishOutcome[]> {
  const { client, accountId } = target;
  const uuidByName = await listTenantDatabases(target);
  const outcomes: PublishOutcome[] = [];
  await eachLimited(
    report.tenants,
    async (tenant) => {
      const name = tenantNames(tenant.ref).d1Database;
      const uuid = uuidByName.get(name);
      if (uuid === undefined) {
        outcomes.push({ ref: tenant.ref, outcome: "no database" });
        return;
      }
      const { ref: _ref, tenantId: _id, registryId: _registry, databaseBytes: _size, ...figures } = tenant;
      const body: PublishedUsage = { since: report.since, until: report.until, ...figures };
      try {
        await apiCall("publishing usage to", "D1 database", name, () =>
          client.d1.database.query(uuid, {
            account_id: accountId,
            sql: PUBLISH_USAGE_SQL,
            params: [JSON.stringify(body), report.until],
          }),
        );
        outcomes.push({ ref: tenant.ref, outcome: "published" });
      } catch (error) {
        outcomes.push({ ref: tenant.ref, outcome: "failed", error: (error as Error).message });
      }
    },
    onProgress,
  );
  return outcomes.sort((a, b) => a.ref.localeCompare(b.ref));
}
