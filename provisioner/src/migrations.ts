/**
 * Apply tenant-template/migrations/*.sql to a tenant's D1 database over the REST `query`
 * endpoint, tracked in `d1_migrations` exactly as wrangler tracks them, so `wrangler d1
 * migrations list` agrees with us. Each migration is ONE query call - the file's text followed by
 * its bookkeeping INSERT - which D1 runs as one batch: it lands completely or not at all.
 * Results are reported per migration (Success / Error / NotExecuted), kysely style, instead of
 * throwing halfway.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Target } from "./config.ts";
import { apiCall, ApiCallError } from "./errors.ts";

const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../../tenant-template/migrations/", import.meta.url));

/** Wrangler's table, byte for byte. */
export const MIGRATIONS_TABLE_SQL =
  "CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, " +
  "name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)";

/** NNNN_name.sql; the name goes into a SQL literal, so it is kept to safe characters. */
const MIGRATION_FILE = /^\d{4}_[A-Za-z0-9_.-]+\.sql$/;

export interface Migration {
  /** File name, e.g. "0001_documents.sql" (what wrangler stores in d1_migrations.name). */
  name: string;
  sql: string;
}

export type MigrationStatus = "Success" | "Error" | "NotExecuted";

export interface MigrationResult {
  migrationName: string;
  direction: "Up";
  status: MigrationStatus;
}

export interface MigrationResultSet {
  /** Set when a migration failed; the failed one is "Error", the ones after it "NotExecuted". */
  error?: Error;
  /** One entry per migration that was pending at the start. */
  results: MigrationResult[];
  /** Migrations already recorded in d1_migrations before this run. */
  alreadyApplied: string[];
}

/**
 * Read the migration files in name order. Files not named NNNN_name.sql are refused rather
 * than silently skipped, so a typo cannot leave a migration unapplied.
 *
 * @example
 *   const migrations = await readMigrations(); // [{ name: "0001_init.sql", sql: "CREATE TABLE ..." }]
 */
export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const sqlFiles = entries.filter((name) => name.endsWith(".sql"));
  const badNames = sqlFiles.filter((name) => !MIGRATION_FILE.test(name));
  if (badNames.length > 0) {
    throw new Error(`migration files must be named NNNN_name.sql (in ${dir}): ${badNames.join(", ")}`);
  }
  // Code-point order, not locale order: the same on every machine, like wrangler's.
  const ordered = sqlFiles.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(ordered.map(async (name) => ({ name, sql: await readFile(join(dir, name), "utf8") })));
}

/**
 * The SQL sent for one migration: the file, then its bookkeeping row, as wrangler does.
 *
 * @example
 *   migrationQuery({ name: "0001_init.sql", sql: "CREATE TABLE t(a);" })
 *   // "CREATE TABLE t(a);\nINSERT INTO d1_migrations (name) VALUES ('0001_init.sql');"
 */
export function migrationQuery(migration: Migration): string {
  const literal = migration.name.replaceAll("'", "''");
  return `${migration.sql}\nINSERT INTO d1_migrations (name) VALUES ('${literal}');`;
}

/**
 * Names recorded in d1_migrations (creating the table if needed), in applied order.
 *
 * @example
 *   await listAppliedMigrations(target, databaseId, "wfp-tenant-acme") // ["0001_init.sql"]
 */
export async function listAppliedMigrations(
  target: Target,
  databaseId: string,
  databaseName: string,
): Promise<string[]> {
  const page = await apiCall("reading migrations of", "D1 database", databaseName, () =>
    target.client.d1.database.query(databaseId, {
      account_id: target.accountId,
      sql: `${MIGRATIONS_TABLE_SQL};\nSELECT name FROM d1_migrations ORDER BY id;`,
    }),
  );
  const statements = page.getPaginatedItems();
  const rows = statements[statements.length - 1]?.results ?? [];
  return rows.flatMap((row) => {
    const name = (row as { name?: unknown }).name;
    return typeof name === "string" ? [name] : [];
  });
}

/**
 * Apply every migration not yet in d1_migrations, in order, stopping at the first failure.
 *
 * @example
 *   const { results, error } = await applyMigrations(target, db.id, db.name, await readMigrations());
 *   if (error) throw error;
 */
export async function applyMigrations(
  target: Target,
  databaseId: string,
  databaseName: string,
  migrations: readonly Migration[],
): Promise<MigrationResultSet> {
  const alreadyApplied = await listAppliedMigrations(target, databaseId, databaseName);
  const applied = new Set(alreadyApplied);
  const pending = migrations.filter((m) => !applied.has(m.name));
  const results: MigrationResult[] = pending.map((m) => ({
    migrationName: m.name,
    direction: "Up",
    status: "NotExecuted",
  }));

  for (const [index, migration] of pending.entries()) {
    try {
      await apiCall("applying migration", `'${migration.name}' to D1 database`, databaseName, () =>
        target.client.d1.database.query(databaseId, { account_id: target.accountId, sql: migrationQuery(migration) }),
      );
      results[index]!.status = "Success";
    } catch (error) {
      // The batch may have committed even though we saw a failure (a lost response, then a
      // retry refused by the UNIQUE name). The table is the truth: check it before reporting.
      if (error instanceof ApiCallError && (await wasRecorded(target, databaseId, databaseName, migration.name))) {
        results[index]!.status = "Success";
        continue;
      }
      results[index]!.status = "Error";
      return { error: error instanceof Error ? error : new Error(String(error)), results, alreadyApplied };
    }
  }
  return { results, alreadyApplied };
}

async function wasRecorded(target: Target, databaseId: string, databaseName: string, name: string): Promise<boolean> {
  try {
    return (await listAppliedMigrations(target, databaseId, databaseName)).includes(name);
  } catch {
    // We could not tell; report the original failure, which is safe to re-run.
    return false;
  }
}
