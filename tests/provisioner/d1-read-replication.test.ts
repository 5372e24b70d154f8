/**
 * A tenant's D1 read replication is what its residency says even when `create` adopts a database
 * that already exists (a resumed create, a lost answer, one made by hand): read back, and set with
 * D1's update call when it differs. An eu tenant must never end up replicated.
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { runTenant } from "../../scripts/lib/tenant-traffic.ts";

let platform: LocalPlatform;
let stateDir: string;
let cf: Cloudflare;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-d1-replication-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 100 });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function modeOf(uuid: string): Promise<string | undefined> {
  return (await cf.d1.database.get(uuid, { account_id: platform.accountId })).read_replication?.mode;
}

describe("create adopting an existing D1 database", () => {
  it.each([
    {
      residency: "eu",
      made: { jurisdiction: "eu" as const, read_replication: { mode: "auto" as const } },
      want: "disabled",
    },
    { residency: "global", made: { read_replication: { mode: "disabled" as const } }, want: "auto" },
  ])("sets a $residency tenant's read replication to $want when the database it adopts differs", async (c) => {
    const id = `repl-${c.residency}`;
    const db = await cf.d1.database.create({ account_id: platform.accountId, name: `wfp-tenant-${id}`, ...c.made });
    const args = ["create", id, "--domain", `registry.${id}.localhost`, "--residency", c.residency];
    const created = await runTenant(platform.apiUrl, args);
    expect(created.code, created.stderr).toBe(EXIT.ok);
    expect(created.stdout).toContain(`read replication set to ${c.want} (it was ${c.made.read_replication.mode})`);
    expect(await modeOf(db.uuid!)).toBe(c.want);

    // A re-run finds it as it should be and changes nothing.
    const again = await runTenant(platform.apiUrl, args);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect(again.stdout).toContain(`read replication ${c.want}`);
    expect(again.stdout).not.toContain("read replication set to");
    expect(await modeOf(db.uuid!)).toBe(c.want);
  });
});
