/**
 * Another version of the tenant template, for tests and benchmarks of fleet rollouts: a copy of
 * tenant-template/ beside it (so its relative imports of contracts/ still resolve) whose code
 * differs (so its build's tag does), optionally with more migrations or a /health that reports its
 * database broken. `WFP_TEMPLATE_DIR=<dir>` makes `npm run fleet -- rollout` build it.
 */
import { randomBytes } from "node:crypto";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./worker-bundles.ts";

export interface TemplateVariant {
  dir: string;
  migrationsDir: string;
  remove(): void;
}

/**
 * @example
 *   const v2 = makeTemplateVariant({ migrations: [{ name: "0008_probe.sql", sql: "CREATE TABLE probe (x);" }] });
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
