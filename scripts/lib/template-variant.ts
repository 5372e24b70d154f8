/**
 * Another version of the tenant template, for tests and benchmarks of fleet rollouts: a copy of
 * tenant-template/ beside it (so its relative imports of contracts/ still resolve) whose code
 * differs (so its build's tag does), optionally with more migrations or a /health that reports its
 * database broken. `WFP_TEMPLATE_DIR=<dir>` makes `npm run fleet -- rollout` build it.
 */
import { randomBytes } from "node:crypto";
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./worker-bundles.ts";

export interface TemplateVariant {
  dir: string;
  migrationsDir: string;
  remove(): void;
}

/**
 * The file name of a migration `offset` places after the template's last one (0 is the next), so
 * tests and benchmarks add migrations without naming a number the template may take next.
 *
 * @example
 *   nextMigrationName("probe");    // "0009_probe.sql" when the template's last is 0008
 *   nextMigrationName("later", 1); // "0010_later.sql"
 */
export function nextMigrationName(name: string, offset = 0): string {
  return `${migrationTagNumber(lastTemplateMigration() + 1 + offset)}_${name}.sql`;
}

/** The number of the template's last migration: what a tenant created now is at. */
export function lastTemplateMigration(): number {
  const numbers = readdirSync(join(REPO_ROOT, "tenant-template/migrations"))
    .map((file) => /^(\d{4})_.*\.sql$/.exec(file)?.[1])
    .filter((number): number is string => number !== undefined)
    .map(Number);
  return Math.max(0, ...numbers);
}

/** A migration number as tags and file names write it (`mig-0008`, `0008_...`). */
export function migrationTagNumber(number: number): string {
  return String(number).padStart(4, "0");
}

/**
 * @example
 *   const probe = { name: nextMigrationName("probe"), sql: "CREATE TABLE probe (x);" };
 *   const v2 = makeTemplateVariant({ migrations: [probe] });
 *   // ... WFP_TEMPLATE_DIR=v2.dir npm run fleet -- rollout --yes ...
 *   v2.remove();
 */
export function makeTemplateVariant(
  options: { migrations?: { name: string; sql: string }[]; brokenHealth?: boolean } = {},
): TemplateVariant {
  const marker = randomBytes(6).toString("hex");
  const dir = join(REPO_ROOT, `.tmp-template-${marker}`);
  cpSync(join(REPO_ROOT, "tenant-template"), dir, {
    recursive: true,
    filter: (source) => !source.includes("node_modules") && !source.includes(".wrangler"),
  });
  const entry = join(dir, "src/index.ts");
  // A statement with an effect survives bundling, so the build (and its tag) differs.
  writeFileSync(
    entry,
    `(globalThis as Record<string, unknown>).__templateVariant = "${marker}";\n${readFileSync(entry, "utf8")}`,
  );
  if (options.brokenHealth) {
    const health = join(dir, "src/health.ts");
    writeFileSync(health, readFileSync(health, "utf8").replace('"SELECT 1 AS ok"', '"SELECT 0 AS ok"'));
  }
  for (const migration of options.migrations ?? [])
    writeFileSync(join(dir, "migrations", migration.name), migration.sql);
  return {
    dir,
    migrationsDir: join(dir, "migrations"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
