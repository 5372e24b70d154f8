/**
 * `npm run fleet -- rollout | rollback | status` on the local platform with three tenants made by
 * `tenant create`, and template versions made beside the checkout (scripts/lib/template-variant.ts):
 * the plan of a dry run; a rollout with a migration moves every tenant (migration first, /health
 * answers the new version) and a re-run moves none; status counts versions and migration levels
 * from one listing; rollback puts the old code back with no source checkout, migrations kept; a
 * canary whose /health fails halts with the canary put back and no other tenant touched; a
 * contracting migration is refused before any call; a second rollout is refused while one holds the
 * lease, and an expired lease is taken over.
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultPlanSchema } from "../../infra/local-platform/faults.ts";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { FLEET_EXIT, runFleetCli } from "../../provisioner/src/fleet/fleet-cli.ts";
import { FLEET_COMMANDS } from "../../provisioner/src/fleet/fleet-commands.ts";
import { ROLLOUT_LEASE_PREFIX } from "../../provisioner/src/tenant-lease.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import {
  lastTemplateMigration,
  makeTemplateVariant,
  migrationTagNumber,
  nextMigrationName,
  type TemplateVariant,
} from "../../scripts/lib/template-variant.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

const TENANTS = ["alpha", "bravo", "charlie"];
const host = (id: string) => `registry.${id}.localhost`;
const RENAME = nextMigrationName("rename", 1);
const PROBE = {
  name: nextMigrationName("fleet_probe"),
  sql: "CREATE TABLE IF NOT EXISTS fleet_probe (id INTEGER PRIMARY KEY);",
};

let platform: LocalPlatform;
let stateDir: string;
let cf: Cloudflare;
const variants: TemplateVariant[] = [];

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-fleet-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 100 });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
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

function variant(options: Parameters<typeof makeTemplateVariant>[0]): TemplateVariant {
  const made = makeTemplateVariant(options);
  variants.push(made);
  return made;
}

async function fleet(args: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runFleetCli(
    args,
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { CLOUDFLARE_API_BASE_URL: platform.apiUrl, WFP_API_MAX_ATTEMPTS: "1", ...env },
      interactive: false,
    },
    FLEET_COMMANDS,
  );
  return { code, stdout, stderr };
}

async function health(id: string) {
  const reply = await requestTenant(platform.trafficUrl, host(id), "GET", "/health");
  return reply.json() as { templateVersion: string; database: string; migrations: string[] };
}

interface Status {
  tenants: number;
  versions: Record<string, number>;
  migrationLevels: Record<string, number>;
  rollout: { to: string; state: string; pending: string[] } | null;
  problems: string[];
}
const status = async () => JSON.parse((await fleet(["status", "--json"])).stdout) as Status;

describe("fleet rollout, status and rollback", () => {
  it("plans, rolls out with a migration, counts, continues with nothing to do, and rolls back", async () => {
    const v1 = await health("alpha");
    const before = await status();
    expect(before.tenants).toBe(3);
    expect(Object.values(before.versions)).toEqual([3]);
    expect(before.migrationLevels).toEqual({ [`mig-${migrationTagNumber(lastTemplateMigration())}`]: 3 });
    const [v1Tag] = Object.keys(before.versions);

    const v2 = variant({ migrations: [PROBE] });
    const env = { WFP_TEMPLATE_DIR: v2.dir };
    platform.faults.set(FaultPlanSchema.parse({}));
    const dry = await fleet(["rollout", "--dry-run"], env);
    expect(dry.code, dry.stderr).toBe(FLEET_EXIT.ok);
    expect(dry.stdout).toMatch(/3 of 3 tenant\(s\) to move, \d+ API calls, about \d+ s at the rate limit/);
    expect(dry.stdout).toMatch(new RegExp(`^ {2}alpha: code tpl-\\w+ -> tpl-\\w+, migrations ${PROBE.name}$`, "m"));
    expect(platform.faults.status().log.filter((c) => c.method !== "GET")).toEqual([]);

    const badCanary = await fleet(["rollout", "--canary-tenants", "alpha,,Bravo!"], env);
    expect(badCanary.code).toBe(FLEET_EXIT.usage);
    expect(badCanary.stderr).toContain("--canary-tenants takes tenant ids");
    // Without a terminal, --yes is needed.
    expect((await fleet(["rollout"], env)).code).toBe(FLEET_EXIT.usage);
    const rolled = await fleet(["rollout", "--yes", "--json", "--wave", "1"], env);
    expect(rolled.code, rolled.stderr).toBe(FLEET_EXIT.ok);
    const result = JSON.parse(rolled.stdout) as { moved: string[]; state: string; plan: { calls: number } };
    expect(result.state).toBe("done");
    expect(result.moved.sort()).toEqual(TENANTS);
    for (const id of TENANTS) {
      const now = await health(id);
      expect(now.templateVersion).not.toBe(v1.templateVersion);
      expect(now.migrations).toContain(PROBE.name);
    }
    const after = await status();
    expect(Object.keys(after.versions)).not.toContain(v1Tag);
    expect(after.migrationLevels).toEqual({ [`mig-${migrationTagNumber(lastTemplateMigration() + 1)}`]: 3 });
    expect(after.rollout).toMatchObject({ state: "done", pending: [] });

    const again = await fleet(["rollout", "--yes", "--json"], env);
    expect(again.code).toBe(FLEET_EXIT.ok);
    expect((JSON.parse(again.stdout) as { moved: string[] }).moved).toEqual([]);

    const back = await fleet(["rollback", "--yes", "--json"]);
    expect(back.code, back.stderr).toBe(FLEET_EXIT.ok);
    expect((JSON.parse(back.stdout) as { restored: string[] }).restored).toEqual(TENANTS);
    for (const id of TENANTS) {
      const now = await health(id);
      expect(now.templateVersion).toBe(v1.templateVersion);
      expect(now.migrations).toContain(PROBE.name); // expand-only: the schema stays
    }
    expect((await status()).versions).toEqual({ [v1Tag!]: 3 });
    expect((await fleet(["rollback", "--yes"])).code).toBe(FLEET_EXIT.refused); // nothing left to roll back
  }, 120_000);

  it("halts when the canary's /health fails: the canary is put back, no other tenant is touched", async () => {
    const broken = variant({ brokenHealth: true });
    const listing = async () =>
      (
        await cf.get<{ result: { script: { id: string; etag: string; tags: string[] } }[] }>(
          `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}/scripts`,
        )
      ).result.map((r) => r.script);
    const before = await listing();
    const run = await fleet(["rollout", "--yes", "--canary-tenants", "bravo"], { WFP_TEMPLATE_DIR: broken.dir });
    expect(run.code, run.stderr).toBe(FLEET_EXIT.failure);
    expect(run.stdout).toMatch(/✗ bravo \(canary\): .*did not answer version .*; put back on its previous version/);
    expect(run.stdout).toContain("Halted: 0 moved, 1 failed, 2 untouched");
    const after = await listing();
    for (const id of ["alpha", "charlie"]) {
      const script = `tenant-${id}`;
      expect(after.find((s) => s.id === script)?.etag, id).toBe(before.find((s) => s.id === script)?.etag);
    }
    expect((await health("bravo")).database).toBe("ok");
    expect((await status()).rollout?.state).toBe("halted");
  }, 120_000);

  it("refuses a migration that drops or renames before any write, unless allowed", async () => {
    const contracting = variant({
      migrations: [PROBE, { name: RENAME, sql: "ALTER TABLE fleet_probe RENAME TO fleet_probe_old;" }],
    });
    platform.faults.set(FaultPlanSchema.parse({}));
    const refused = await fleet(["rollout", "--yes"], { WFP_TEMPLATE_DIR: contracting.dir });
    expect(refused.code).toBe(FLEET_EXIT.refused);
    expect(refused.stderr).toContain(`${RENAME} (RENAME TO)`);
    expect(refused.stderr).toContain("--allow-contract");
    expect(platform.faults.status().log.filter((c) => c.method !== "GET")).toEqual([]);
    platform.faults.clear();
  }, 60_000);

  it("refuses a second rollout while one holds the lease, naming it; an expired lease is taken over", async () => {
    const v = variant({});
    const leaseKey = (token: string, expiresAt: number) =>
      cf.kv.namespaces.values.update(`${ROLLOUT_LEASE_PREFIX}${token}`, {
        account_id: platform.accountId,
        namespace_id: platform.routesNamespaceId,
        value: "null",
        metadata: JSON.stringify({
          choosing: "0",
          ticket: "1",
          expiresAt: String(expiresAt),
          operation: "rollout",
          owner: "pid 1 on elsewhere",
          host: "elsewhere",
          pid: "1",
          since: "2026-12-07T00:00:00.000Z",
        }),
      });
    await leaseKey("a-live", Date.now() + 60_000);
    const refused = await fleet(["rollout", "--yes"], { WFP_TEMPLATE_DIR: v.dir });
    expect(refused.code).toBe(FLEET_EXIT.refused);
    expect(refused.stderr).toContain(
      "another rollout of the fleet (pid 1 on elsewhere, since 2026-12-07T00:00:00.000Z)",
    );
    await cf.kv.namespaces.values.delete(`${ROLLOUT_LEASE_PREFIX}a-live`, {
      account_id: platform.accountId,
      namespace_id: platform.routesNamespaceId,
    });
    await leaseKey("b-expired", Date.now() - 1_000);
    const taken = await fleet(["rollout", "--yes"], { WFP_TEMPLATE_DIR: v.dir });
    expect(taken.code, taken.stderr).toBe(FLEET_EXIT.ok);
  }, 120_000);
});
