/**
 * The read cache end to end, on tenants provisioned by the CLI and reached through the dispatcher:
 * the tenant's residency decides whether KV is used at all (eu and uk: never; global: yes), and a
 * cached registry never answers with an older version than the last write.
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

/** The default product every new tenant starts with (migration 0003). */
const DEFAULT_PRODUCT = "00000000-0000-7000-8000-000000000001";

let platform: LocalPlatform;
let stateDir: string;
let cf: Cloudflare;

interface Reply {
  status: number;
  cache: string | undefined;
  bookmark: string | undefined;
  json: Record<string, unknown>;
}

/** Each tenant's admin key by hostname (from `create --json`): /api refuses requests without a key. */
const adminKeys = new Map<string, string>();

async function call(host: string, method: string, path: string, body?: unknown, bookmark?: string): Promise<Reply> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${adminKeys.get(host) ?? ""}`,
    ...(bookmark === undefined ? {} : { "x-d1-bookmark": bookmark }),
  };
  const reply = await requestTenant(platform.trafficUrl, host, method, path, { body, headers });
  return {
    status: reply.status,
    cache: reply.headers["x-registry-cache"] as string | undefined,
    bookmark: reply.headers["x-d1-bookmark"] as string | undefined,
    json: reply.json(),
  };
}

async function provision(id: string, residency: string): Promise<string> {
  const host = `registry.${id}.localhost`;
  const { code, stdout, stderr } = await runTenant(platform.apiUrl, [
    "create",
    id,
    "--domain",
    host,
    "--residency",
    residency,
    "--json",
  ]);
  expect(code, stderr).toBe(EXIT.ok);
  adminKeys.set(host, (JSON.parse(stdout) as { adminKey: string }).adminKey);
  return host;
}

/** The keys in a tenant's own KV namespace, read through the Cloudflare API. */
async function cacheKeys(id: string): Promise<string[]> {
  const namespaces = await cf.kv.namespaces.list({ account_id: platform.accountId, per_page: 1000 });
  const ns = namespaces.result.find((n) => n.title === `wfp-tenant-${id}-cache`);
  expect(ns, `KV namespace of ${id}`).toBeDefined();
  const keys = await cf.kv.namespaces.keys.list(ns!.id, { account_id: platform.accountId });
  return keys.result.map((k) => k.name);
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-cache-e2e-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("the read cache on provisioned tenants", () => {
  it("is never used where the residency keeps data in the region (eu, uk)", async () => {
    for (const [id, residency] of [
      ["closed-eu", "eu"],
      ["closed-uk", "uk"],
    ] as const) {
      const host = await provision(id, residency);
      for (let i = 0; i < 3; i += 1) {
        const read = await call(host, "GET", `/api/products/${DEFAULT_PRODUCT}`);
        expect(read.status).toBe(200);
        expect(read.cache).toBe("bypass");
      }
      expect(await cacheKeys(id)).toEqual([]);
    }
  });

  it("serves repeat reads from KV for a global tenant, and never an older version than the last write", async () => {
    const host = await provision("open-global", "global");
    expect((await call(host, "GET", `/api/products/${DEFAULT_PRODUCT}`)).cache).toBe("miss");
    // The entry is put after the response (waitUntil): wait until a read hits it, pausing between
    // reads so a busy machine has time to finish the put (bounded: 10 s).
    let cached: Reply | undefined;
    for (const deadline = Date.now() + 10_000; cached?.cache !== "hit" && Date.now() < deadline; ) {
      cached = await call(host, "GET", `/api/products/${DEFAULT_PRODUCT}`);
      if (cached.cache !== "hit") await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(cached?.cache).toBe("hit");
    expect((await cacheKeys("open-global")).some((key) => key.includes(DEFAULT_PRODUCT))).toBe(true);

    // Interleaved writes and reads: every read right after a write (carrying its bookmark) sees it.
    for (let round = 1; round <= 8; round += 1) {
      const written = await call(host, "PATCH", `/api/products/${DEFAULT_PRODUCT}`, { description: `round ${round}` });
      expect(written.status, JSON.stringify(written.json)).toBe(200);
      for (let read = 0; read < 3; read += 1) {
        const seen = await call(host, "GET", `/api/products/${DEFAULT_PRODUCT}`, undefined, written.bookmark);
        expect(seen.json, `round ${round}, read ${read} (${seen.cache})`).toMatchObject({
          description: `round ${round}`,
          version: written.json.version,
        });
      }
    }
  });
});
