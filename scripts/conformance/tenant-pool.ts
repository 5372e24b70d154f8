/**
 * Tenants the conformance runner reuses, each put back to its just-onboarded state before every
 * scenario (docs/conformance.md, "How scenarios are isolated"). Onboarding goes through the tenant
 * CLI, as an operator would; the reset goes through the same Cloudflare D1 and KV API the
 * provisioner uses, so it never uploads a Worker or adds a database (which would restart the
 * local platform's workerd under the other tenants' requests).
 */
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { LOCAL_API_TOKEN } from "../../provisioner/src/config.ts";
import { runTenant } from "../lib/tenant-traffic.ts";

/** One table's rows right after onboarding: what a reset writes back. */
interface TableSeed {
  table: string;
  columns: string[];
  rows: unknown[][];
}

export interface PooledTenant {
  id: string;
  host: string;
  /** The tenant's first admin key (`tenant create --json`), sent as `Authorization: Bearer`. */
  adminKey: string;
  databaseId: string;
  kvNamespaceId: string;
  seed: TableSeed[];
  /** The database's triggers (name, CREATE statement): set aside while a reset writes the rows back. */
  triggers: { name: string; sql: string }[];
}

/** The tenant's Confluent global ids (migration 0004). */
const SCHEMA_IDS_TABLE = "confluent_schema_ids";

/** Tables a reset leaves alone: SQLite's and D1's own, and the record of applied migrations. */
const UNTOUCHED = /^(?:sqlite_|_cf_|d1_migrations$)/;

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function cloudflare<T>(platform: LocalPlatform, method: string, path: string, body?: unknown): Promise<T> {
  const reply = await fetch(`${platform.apiUrl}/accounts/${platform.accountId}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${LOCAL_API_TOKEN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const envelope = (await reply.json()) as {
    success: boolean;
    result: T;
    errors?: unknown[];
    result_info?: { cursor?: string };
  };
  if (!reply.ok || !envelope.success)
    throw new Error(`${method} ${path} answered ${reply.status}: ${JSON.stringify(envelope.errors ?? envelope)}`);
  return envelope.result;
}

type QueryResult = { results: { columns: string[]; rows: unknown[][] } }[];

async function rawQuery(
  platform: LocalPlatform,
  databaseId: string,
  batch: { sql: string; params?: unknown[] }[],
): Promise<QueryResult> {
  return cloudflare<QueryResult>(platform, "POST", `/d1/database/${databaseId}/raw`, { batch });
}

/**
 * Onboards `id` with the tenant CLI and records its D1 rows as they are right after the
 * migrations, so `resetTenant` can restore exactly that.
 *
 * @example
 *   const tenant = await onboardPooledTenant(platform, "conf-0", "conf-0.conformance.localhost");
 */
export async function onboardPooledTenant(platform: LocalPlatform, id: string, host: string): Promise<PooledTenant> {
  const created = await runTenant(platform.apiUrl, ["create", id, "--domain", host, "--residency", "global", "--json"]);
  if (created.code !== 0)
    throw new Error(
      `onboarding tenant ${id} failed (exit ${created.code}): ${(created.stdout + created.stderr).slice(0, 500)}`,
    );
  const report = JSON.parse(created.stdout) as {
    adminKey?: string;
    resources: { d1?: { id: string }; kv?: { id: string } };
  };
  const databaseId = report.resources.d1?.id;
  const kvNamespaceId = report.resources.kv?.id;
  if (report.adminKey === undefined || databaseId === undefined || kvNamespaceId === undefined) {
    throw new Error(`tenant create --json for ${id} did not report its admin key, D1 database and KV namespace`);
  }
  const [tables] = await rawQuery(platform, databaseId, [
    { sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name" },
  ]);
  const names = tables!.results.rows
    .map((row) => String(row[0]))
    .filter((name) => !UNTOUCHED.test(name) || name === "sqlite_sequence");
  // Generated columns (hidden 2 and 3) are computed from the others: never written back.
  const columnLists = await rawQuery(
    platform,
    databaseId,
    names.map((name) => ({
      sql: "SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid",
      params: [name],
    })),
  );
  const columns = columnLists.map((list) => list.results.rows.map((row) => String(row[0])));
  const contents = await rawQuery(
    platform,
    databaseId,
    names.map((name, index) => ({ sql: `SELECT ${columns[index]!.map(quote).join(", ")} FROM ${quote(name)}` })),
  );
  const seed = names.map((table, index) => ({ table, columns: columns[index]!, rows: contents[index]!.results.rows }));
  const [triggerRows] = await rawQuery(platform, databaseId, [
    { sql: "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name" },
  ]);
  const triggers = triggerRows!.results.rows.map((row) => ({ name: String(row[0]), sql: String(row[1]) }));
  return { id, host, adminKey: report.adminKey, databaseId, kvNamespaceId, seed, triggers };
}

/**
 * Puts a pooled tenant back to its just-onboarded state: every table emptied and refilled with
 * its seed rows in one D1 batch (a transaction; foreign keys checked at its end), AUTOINCREMENT
 * counters included (`sqlite_sequence`), and every key of its KV namespace deleted. Triggers are
 * dropped for the refill and made again at its end, in the same transaction: the rows go back as
 * they were recorded, not as a trigger would rewrite them (nor in an order a trigger depends on).
 * Answers the Confluent schema ids the tenant held before: ids restart at 1 with other content,
 * which the Worker's per-isolate id cache cannot know (docs/conformance.md, "How scenarios are
 * isolated").
 */
export async function resetTenant(platform: LocalPlatform, tenant: PooledTenant): Promise<{ schemaIds: number[] }> {
  const batch: { sql: string; params?: unknown[] }[] = [
    { sql: "PRAGMA defer_foreign_keys = on" },
    // Read in the same transaction as the reset, so no id is missed.
    { sql: `SELECT id FROM ${SCHEMA_IDS_TABLE} ORDER BY id` },
    ...tenant.triggers.map(({ name }) => ({ sql: `DROP TRIGGER IF EXISTS ${quote(name)}` })),
  ];
  const refill = ({ table, columns, rows }: TableSeed): void => {
    const sql =
      `INSERT INTO ${quote(table)} (${columns.map(quote).join(", ")}) ` +
      `VALUES (${columns.map(() => "?").join(", ")})`;
    for (const row of rows) batch.push({ sql, params: row });
  };
  const tables = tenant.seed.filter((seed) => seed.table !== "sqlite_sequence");
  for (const { table } of tables) batch.push({ sql: `DELETE FROM ${quote(table)}` });
  tables.forEach(refill);
  // Refilling moved the AUTOINCREMENT counters: set them back to what onboarding left.
  for (const sequence of tenant.seed.filter((seed) => seed.table === "sqlite_sequence")) {
    batch.push({ sql: "DELETE FROM sqlite_sequence" });
    refill(sequence);
  }
  for (const { sql } of tenant.triggers) batch.push({ sql });
  // Once more on a failure: one reset in a full run was refused by the local D1 with an internal
  // error ("false == true: SQLITE_ERROR") and the same batch passes when sent again.
  let results: QueryResult;
  try {
    results = await rawQuery(platform, tenant.databaseId, batch);
  } catch {
    await new Promise((done) => setTimeout(done, 200));
    results = await rawQuery(platform, tenant.databaseId, batch);
  }
  const schemaIds = (results[1]?.results.rows ?? []).map((row) => Number(row[0]));
  for (;;) {
    const keys = await cloudflare<{ name: string }[]>(
      platform,
      "GET",
      `/storage/kv/namespaces/${tenant.kvNamespaceId}/keys?limit=1000`,
    );
    if (keys.length === 0) break;
    await cloudflare(
      platform,
      "POST",
      `/storage/kv/namespaces/${tenant.kvNamespaceId}/bulk/delete`,
      keys.map((key) => key.name),
    );
  }
  return { schemaIds };
}
