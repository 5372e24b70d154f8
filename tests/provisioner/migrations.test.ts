import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { migrationQuery, MIGRATIONS_TABLE_SQL, readMigrations } from "../../provisioner/src/migrations.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "wfp-migrations-"));
  dirs.push(dir);
  await Promise.all(Object.entries(files).map(([name, sql]) => writeFile(join(dir, name), sql)));
  return dir;
}

describe("readMigrations", () => {
  it("returns the .sql files in name order, ignoring other files", async () => {
    const dir = await migrationsDir({
      "0010_later.sql": "SELECT 10;",
      "0002_second.sql": "SELECT 2;",
      "0001_first.sql": "SELECT 1;",
      "README.md": "not a migration",
    });
    const migrations = await readMigrations(dir);
    expect(migrations.map((m) => m.name)).toEqual(["0001_first.sql", "0002_second.sql", "0010_later.sql"]);
    expect(migrations[0]!.sql).toBe("SELECT 1;");
  });

  it("orders by code point, not locale (upper case before lower case)", async () => {
    const dir = await migrationsDir({ "0001_b.sql": "", "0001_B.sql": "" });
    expect((await readMigrations(dir)).map((m) => m.name)).toEqual(["0001_B.sql", "0001_b.sql"]);
  });

  it("refuses .sql files not named NNNN_name.sql instead of skipping them", async () => {
    const dir = await migrationsDir({ "0001_ok.sql": "", "init.sql": "", "0002_it's.sql": "" });
    await expect(readMigrations(dir)).rejects.toThrow(
      /must be named NNNN_name.sql .*: (init\.sql, 0002_it's\.sql|0002_it's\.sql, init\.sql)/,
    );
  });

  it("treats a missing folder as no migrations", async () => {
    expect(await readMigrations(join(tmpdir(), `wfp-no-such-dir-${Date.now()}`))).toEqual([]);
  });

  it("reads the template's own migrations", async () => {
    const migrations = await readMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.every((m) => /^\d{4}_/.test(m.name))).toBe(true);
  });
});

describe("migrationQuery", () => {
  it("is the file followed by wrangler's bookkeeping INSERT, as one query", () => {
    expect(migrationQuery({ name: "0001_init.sql", sql: "CREATE TABLE t(a);" })).toBe(
      "CREATE TABLE t(a);\nINSERT INTO d1_migrations (name) VALUES ('0001_init.sql');",
    );
  });

  it("uses wrangler's table definition", () => {
    expect(MIGRATIONS_TABLE_SQL).toBe(
      "CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, " +
        "name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    );
  });
});
