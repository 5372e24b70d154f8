/**
 * `npm run db:generate`: rewrites tenant-template/migrations/0002_documents.sql from the collection
 * declarations (tenant-template/src/store/collections.ts). The drift test fails until this is run.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DOCUMENTS_MIGRATION_NAME, documentsMigrationSql } from "../tenant-template/src/store/collection-ddl.ts";
import { COLLECTIONS } from "../tenant-template/src/store/collections.ts";
import { TENANT_MIGRATIONS_DIR } from "./lib/worker-bundles.ts";

const path = join(TENANT_MIGRATIONS_DIR, DOCUMENTS_MIGRATION_NAME);
const next = documentsMigrationSql(COLLECTIONS);
const previous = await readFile(path, "utf8").catch(() => null);
if (previous === next) {
  console.log(`${DOCUMENTS_MIGRATION_NAME} is up to date`);
} else {
  await writeFile(path, next);
  console.log(`wrote ${path}`);
}
