/**
 * Applies tenant-template/migrations to a D1 database reached through Miniflare, for tests and
 * benchmarks that run the template without the provisioner. Same bookkeeping as the provisioner
 * and wrangler: file-name order, one `d1_migrations` row per file, each file atomic with its row.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { splitSqlStatements } from "../../infra/local-platform/sql-statements.ts";
import { TENANT_MIGRATIONS_DIR } from "./worker-bundles.ts";

export type LocalD1 = Awaited<ReturnType<Miniflare["getD1Database"]>>;

const MIGRATIONS_TABLE_SQL =
  "CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, " +
  "name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)";

/**
 * Applies every migration not yet recorded and returns the names now applied, oldest first.
 *
 * @example
 *   await applyMigrationsLocally(await mf.getD1Database("DB", "tenant-acme")); // ["0001_init.sql"]
 */
export async function applyMigrationsLocally(db: LocalD1, dir: string = TENANT_MIGRATIONS_DIR): Promise<string[]> {
  await db.prepare(MIGRATIONS_TABLE_SQL).run();
  const applied = new Set(
    (await db.prepare("SELECT name FROM d1_migrations").all<{ name: string }>()).results.map((row) => row.name),
  );
  const names = (await readdir(dir)).filter((name) => name.endsWith(".sql")).sort();
  for (const name of names) {
    if (applied.has(name)) continue;
    const sql = await readFile(join(dir, name), "utf8");
    // Split as D1's query endpoint does (and the local platform's, which the provisioner uses): at
    // top-level semicolons, never inside strings, comments or a CREATE TRIGGER's BEGIN ... END body.
    const statements = splitSqlStatements(sql);
    await db.batch([
      ...statements.map((statement) => db.prepare(statement)),
      db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(name),
    ]);
  }
  return names;
}
