/**
 * A rollout interrupted at any API call: for every call of a small rollout (two tenants, a new
 * version with a new migration each time), the call fails (before it takes effect, or after, its
 * answer lost); at that moment no tenant runs the new code over a missing migration; a re-run of
 * the same command finishes it, every tenant on the new version with the migration.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FaultPlanSchema } from "../../infra/local-platform/faults.ts";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { FLEET_EXIT, runFleetCli } from "../../provisioner/src/fleet/fleet-cli.ts";
import { FLEET_COMMANDS } from "../../provisioner/src/fleet/fleet-commands.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { makeTemplateVariant, nextMigrationName, type TemplateVariant } from "../../scripts/lib/template-variant.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

const TENANTS = ["north", "south"];
const host = (id: string) => `registry.${id}.localhost`;

let platform: LocalPlatform;
let stateDir: string;
const variants: TemplateVariant[] = [];

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-fleet-faults-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 100 });
  for (const id of TENANTS) {
    const created = await runTenant(platform.apiUrl, ["create", id, "--domain", host(id)]);
    expect(created.code, created.stderr).toBe(EXIT.ok);
  }
}, 120_000);
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
  for (const v of variants) v.remove();
});

/** Version n: its own code and n + 1 migrations after the template's, each creating a table of its own. */
function version(n: number): { variant: TemplateVariant; migration: string } {
  const migrations = Array.from({ length: n + 1 }, (_, i) => ({
    name: nextMigrationName(`probe_${i}`, i),
    sql: `CREATE TABLE IF NOT EXISTS probe_${i} (id INTEGER PRIMARY KEY);`,
  }));
  const variant = makeTemplateVariant({ migrations });
  variants.push(variant);
  return { variant, migration: migrations.at(-1)!.name };
}

async function rollout(dir: string) {
  let stderr = "";
  const code = await runFleetCli(
    ["rollout", "--yes", "--json"],
    {
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
      env: { CLOUDFLARE_API_BASE_URL: platform.apiUrl, WFP_API_MAX_ATTEMPTS: "1", WFP_TEMPLATE_DIR: dir },
      interactive: false,
    },
    FLEET_COMMANDS,
  );
  return { code, stderr };
}

async function health(id: string) {
  const reply = await requestTenant(platform.trafficUrl, host(id), "GET", "/health");
  return reply.json() as { templateVersion: string; migrations: string[] };
}

it("converges on a re-run after a failure at every call, never new code over a missing migration", async () => {
  // Count the calls of one complete rollout.
  const first = version(0);
  platform.faults.set(FaultPlanSchema.parse({}));
  expect((await rollout(first.variant.dir)).code).toBe(FLEET_EXIT.ok);
  const calls = platform.faults.status().calls;
  platform.faults.clear();
  expect(calls).toBeGreaterThan(10);

  let interrupted = 0;
  for (let n = 1; n <= calls; n++) {
    const { variant, migration } = version(n);
    const phase = n % 2 === 0 ? "after" : "before";
    const before = await health("north");
    platform.faults.set(FaultPlanSchema.parse({ failFrom: n, count: 1, phase }));
    const broken = await rollout(variant.dir);
    platform.faults.clear();
    if (broken.code !== FLEET_EXIT.ok) interrupted += 1;
    for (const id of TENANTS) {
      const now = await health(id);
      // Whatever the run reached: a tenant on new code has the new migration.
      if (now.templateVersion !== before.templateVersion)
        expect(now.migrations, `call ${n} (${phase}), ${id}`).toContain(migration);
    }
    const rerun = await rollout(variant.dir);
    expect(rerun.code, `re-run after call ${n} (${phase}): ${rerun.stderr}`).toBe(FLEET_EXIT.ok);
    const versions = new Set<string>();
    for (const id of TENANTS) {
      const now = await health(id);
      expect(now.migrations, `after call ${n}, ${id}`).toContain(migration);
      versions.add(now.templateVersion);
    }
    expect(versions.size, `after call ${n}: one version`).toBe(1);
    expect([...versions][0]).not.toBe(before.templateVersion);
  }
  // Most calls are on the rollout's path: failing them must have stopped it.
  expect(interrupted).toBeGreaterThan(calls / 2);
}, 600_000);
