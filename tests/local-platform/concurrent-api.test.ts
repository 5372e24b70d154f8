/**
 * The local Cloudflare API is safe under concurrent calls: seeded overlapping creates and deletes
 * of a few tenants (several on the same id, four at a time) through the tenant CLI leave every
 * binding usable without a restart. Single runs may fail while another run on the same tenant
 * pulls resources from under them; what must hold is that one more run of each tenant's last
 * command then succeeds, every tenant that exists answers /health, every D1 database answers a
 * query and every KV namespace a read. Set WFP_CONCURRENCY_SEED to replay a failing seed.
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

const SEED = Number(process.env.WFP_CONCURRENCY_SEED ?? 7);
const OPERATIONS = 16;
const AT_A_TIME = 4;
const TENANTS = ["conc-a", "conc-b", "conc-c"];

let platform: LocalPlatform;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-concurrent-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

/** mulberry32: the same operations for the same seed on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const commandFor = (kind: "create" | "delete", id: string) =>
  kind === "create" ? ["create", id, "--domain", `${id}.conc.localhost`] : ["delete", id, "--yes"];

it(`leaves every tenant, database and namespace usable after overlapping creates and deletes \
(seed ${SEED})`, async () => {
  console.log(`concurrent-api: seed ${SEED} (replay with WFP_CONCURRENCY_SEED=${SEED})`);
  const next = random(SEED);
  const operations = Array.from({ length: OPERATIONS }, () => ({
    kind: next() < 0.65 ? ("create" as const) : ("delete" as const),
    id: TENANTS[Math.floor(next() * TENANTS.length)]!,
  }));
  const last = new Map<string, "create" | "delete">();
  for (const { kind, id } of operations) last.set(id, kind);

  let cursor = 0;
  const lane = async () => {
    while (cursor < operations.length) {
      const { kind, id } = operations[cursor++]!;
      await runTenant(platform.apiUrl, commandFor(kind, id));
    }
  };
  await Promise.all(Array.from({ length: AT_A_TIME }, lane));

  // "Safe to re-run": one more run of each tenant's last command converges, with no restart.
  for (const [id, kind] of last) {
    const run = await runTenant(platform.apiUrl, commandFor(kind, id));
    expect(run.code, `${kind} ${id} after the overlapping runs (seed ${SEED}): ${run.stderr}`).toBe(0);
  }
  for (const [id, kind] of last) {
    const health = await requestTenant(platform.trafficUrl, `${id}.conc.localhost`, "GET", "/health");
    expect(health.status, `${id} (last ${kind}, seed ${SEED}): ${health.body}`).toBe(kind === "create" ? 200 : 404);
  }

  const cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
  const account_id = platform.accountId;
  const databases = [];
  for await (const database of cf.d1.database.list({ account_id })) databases.push(database);
  expect(databases.map((d) => d.name).sort()).toEqual(
    [...last]
      .filter(([, kind]) => kind === "create")
      .map(([id]) => `wfp-tenant-${id}`)
      .sort(),
  );
  for (const database of databases) {
    const page = await cf.d1.database.query(database.uuid!, { account_id, sql: "SELECT 1 AS one" });
    expect(page.getPaginatedItems()[0]?.results, `${database.name} (seed ${SEED})`).toEqual([{ one: 1 }]);
  }
  for await (const namespace of cf.kv.namespaces.list({ account_id })) {
    await cf.kv.namespaces.keys.list(namespace.id, { account_id });
  }
}, 300_000);
