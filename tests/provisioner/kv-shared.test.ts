/**
 * The shared KV mode (issue 11.7) through the CLI, on the real local platform: tenants created
 * with `--kv shared` keep their cache in the one namespace `wfp-cache-shared`, every key under
 * their own prefix `t/<id>/<D1 database id>/`, read back here through the Cloudflare API. Two
 * shared tenants with the same document id never read each other's entries; a re-run keeps the
 * mode and refuses another; delete removes only the tenant's keys and never the namespace; a
 * tenant created again under the same id never reads what its previous incarnation cached.
 * (Choosing the mode automatically near the account's limit: account-limits.test.ts.)
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant, untilStatus } from "../../scripts/lib/tenant-traffic.ts";

/** The default product every new tenant starts with (migration 0003): the same id in every tenant. */
const DEFAULT_PRODUCT = "00000000-0000-7000-8000-000000000001";
const SHARED_TITLE = "wfp-cache-shared";

let platform: LocalPlatform;
let stateDir: string;
let cf: Cloudflare;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-kv-shared-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const tenant = (args: string[]) => runTenant(platform.apiUrl, args);
const hostOf = (id: string) => `registry.${id}.localhost`;

interface Created {
  adminKey: string;
  kvModeReason: string;
  resources: { kv: { title: string; id: string; mode: string; prefix?: string }; d1: { id: string } };
}
const created = new Map<string, Created>();

async function create(id: string, extra: string[] = []): Promise<Created> {
  const { code, stdout, stderr } = await tenant(["create", id, "--domain", hostOf(id), ...extra, "--json"]);
  expect(code, stderr).toBe(EXIT.ok);
  const result = JSON.parse(stdout) as Created;
  created.set(id, result);
  return result;
}

async function read(id: string, path = `/api/products/${DEFAULT_PRODUCT}`) {
  const reply = await requestTenant(platform.trafficUrl, hostOf(id), "GET", path, {
    headers: { authorization: `Bearer ${created.get(id)!.adminKey}` },
  });
  expect(reply.status, reply.body).toBe(200);
  return { cache: reply.headers["x-registry-cache"] as string | undefined, json: reply.json() };
}

/** Reads until one is a hit (the entry is put after the response, via waitUntil), at most 10 s. */
async function readUntilHit(id: string): Promise<string | undefined> {
  let cache: string | undefined;
  for (const deadline = Date.now() + 10_000; cache !== "hit" && Date.now() < deadline; ) {
    cache = (await read(id)).cache;
    if (cache !== "hit") await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return cache;
}

async function sharedNamespaceId(): Promise<string | undefined> {
  const namespaces = await cf.kv.namespaces.list({ account_id: platform.accountId, per_page: 1000 });
  return namespaces.result.find((n) => n.title === SHARED_TITLE)?.id;
}

/** Every key of the shared namespace, read through the Cloudflare API. */
async function sharedKeys(): Promise<string[]> {
  const id = await sharedNamespaceId();
  expect(id, "the shared namespace").toBeDefined();
  const keys = await cf.kv.namespaces.keys.list(id!, { account_id: platform.accountId });
  return keys.result.map((k) => k.name).sort();
}

const value = async (key: string) =>
  JSON.parse(
    await (
      await cf.kv.namespaces.values.get(key, {
        account_id: platform.accountId,
        namespace_id: (await sharedNamespaceId())!,
      })
    ).text(),
  ) as { id: string; body: Record<string, unknown> };

describe("tenants in the shared KV mode", () => {
  it("create --kv shared: the cache is the shared namespace; its Worker writes every key prefixed", async () => {
    const human = await tenant(["create", "kvone", "--domain", hostOf("kvone"), "--kv", "shared"]);
    expect(human.code, human.stderr).toBe(EXIT.ok);
    expect(human.stdout).toMatch(
      /^✓ KV namespace wfp-cache-shared \(created, shared, keys under t\/kvone\/[0-9a-f-]+\/, cache on\)/m,
    );
    expect(human.stdout).toMatch(
      /^KV cache shared: wfp-cache-shared \(\w+\), keys under t\/kvone\/[0-9a-f-]+\/: asked for with --kv shared\.$/m,
    );
    // A re-run with --json: nothing changes, and it says where the cache is.
    const one = await create("kvone");
    // The admin key is shown once: the human run's.
    one.adminKey = /^ {2}(wfp_admin_\S+)$/m.exec(human.stdout)![1]!;
    expect(one.resources.kv).toEqual({
      title: SHARED_TITLE,
      id: await sharedNamespaceId(),
      mode: "shared",
      prefix: `t/kvone/${one.resources.d1.id}/`,
    });
    expect(one.kvModeReason).toBe("the tenant's KV mode since it was created");
    // No namespace of its own.
    const titles = (await cf.kv.namespaces.list({ account_id: platform.accountId, per_page: 1000 })).result.map(
      (n) => n.title,
    );
    expect(titles).not.toContain("wfp-tenant-kvone-cache");

    expect((await read("kvone")).cache).toBe("miss");
    expect(await readUntilHit("kvone")).toBe("hit");
    const keys = await sharedKeys();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.startsWith(one.resources.kv.prefix!), key).toBe(true);
    expect(keys.some((key) => key.includes(`/products/${DEFAULT_PRODUCT}/`))).toBe(true);
  });

  it("two shared tenants: the same document id is two entries, and neither reads the other's", async () => {
    const two = await create("kvtwo", ["--kv", "shared"]);
    const one = created.get("kvone")!;
    expect(two.resources.kv.id).toBe(one.resources.kv.id);
    expect(two.resources.kv.prefix).toBe(`t/kvtwo/${two.resources.d1.id}/`);
    // kvone's entry for this id is in the namespace: kvtwo must not hit it.
    expect((await read("kvtwo")).cache).toBe("miss");
    expect(await readUntilHit("kvtwo")).toBe("hit");

    const keys = await sharedKeys();
    const ofOne = keys.filter((k) => k.startsWith(one.resources.kv.prefix!));
    const ofTwo = keys.filter((k) => k.startsWith(two.resources.kv.prefix!));
    expect(ofOne.length + ofTwo.length).toBe(keys.length);
    expect(ofTwo.some((key) => key.includes(`/products/${DEFAULT_PRODUCT}/`))).toBe(true);

    // An entry of kvone's that would pass kvtwo's checks were it ever asked for: kvtwo's own entry,
    // with a body that is not kvtwo's, under kvone's prefix. kvtwo keeps answering its own.
    const own = ofTwo.find((key) => key.includes(`/products/${DEFAULT_PRODUCT}/`))!;
    const rest = own.slice(two.resources.kv.prefix!.length);
    const poisoned = { ...(await value(own)), body: { name: "POISON-kvone" } };
    await cf.kv.namespaces.values.update(`${one.resources.kv.prefix}${rest}`, {
      account_id: platform.accountId,
      namespace_id: two.resources.kv.id,
      value: JSON.stringify(poisoned),
    });
    await cf.kv.namespaces.values.delete(own, { account_id: platform.accountId, namespace_id: two.resources.kv.id });
    for (let i = 0; i < 3; i += 1) expect(JSON.stringify((await read("kvtwo")).json)).not.toContain("POISON");
  });

  it("show, list and a re-run keep the mode; a conflicting --kv is refused", async () => {
    const show = await tenant(["show", "kvone", "--json"]);
    expect(show.code, show.stderr).toBe(EXIT.ok);
    expect(JSON.parse(show.stdout)).toMatchObject({
      complete: true,
      problems: [],
      spec: { kvMode: "shared" },
      resources: { kv: { title: SHARED_TITLE, mode: "shared", prefix: created.get("kvone")!.resources.kv.prefix } },
    });
    expect((await tenant(["show", "kvone"])).stdout).toMatch(
      /^ {2}KV namespace {2}wfp-cache-shared \(\w+, shared, keys under t\/kvone\//m,
    );
    expect((await tenant(["list"])).stdout).toMatch(
      /^kvone {2}active {2}global {5}standard {2}shared {2}registry\.kvone\.localhost$/m,
    );

    const rerun = await tenant(["create", "kvone", "--domain", hostOf("kvone"), "--json"]);
    expect(rerun.code, rerun.stderr).toBe(EXIT.ok);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ changed: false, spec: { kvMode: "shared" } });

    const conflicting = await tenant(["create", "kvone", "--domain", hostOf("kvone"), "--kv", "dedicated"]);
    expect(conflicting.code).toBe(EXIT.conflict);
    expect(conflicting.stderr).toMatch(/its KV mode is shared and cannot change in place/);
    const bad = await tenant(["create", "kvone", "--domain", hostOf("kvone"), "--kv", "both"]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/--kv must be one of: dedicated, shared/);
  });

  it(`delete removes only the tenant's keys and leaves the shared namespace; created again, \
it never reads the old entries`, async () => {
    const one = created.get("kvone")!;
    const two = created.get("kvtwo")!;
    const before = await sharedKeys();
    const ofTwo = before.filter((k) => k.startsWith(two.resources.kv.prefix!));
    expect(before.some((k) => k.startsWith("t/kvone/"))).toBe(true);

    const deleted = await tenant(["delete", "kvone", "--yes"]);
    expect(deleted.code, deleted.stderr).toBe(EXIT.ok);
    expect(deleted.stdout).toMatch(
      /^✓ KV keys t\/kvone\/ in wfp-cache-shared \(deleted, \d+ key\(s\); the shared namespace stays\)/m,
    );
    expect(deleted.stdout).not.toMatch(/KV namespace/);
    const after = await sharedKeys();
    expect(after.filter((k) => k.startsWith("t/kvone/"))).toEqual([]);
    expect(after.filter((k) => k.startsWith(two.resources.kv.prefix!))).toEqual(ofTwo);
    expect(await sharedNamespaceId()).toBe(two.resources.kv.id);

    // Created again under the same id: a new database, so a new prefix. An entry under the old
    // prefix that matches the new tenant's current row exactly is never read.
    const again = await create("kvone", ["--kv", "shared"]);
    expect(again.resources.kv.prefix).not.toBe(one.resources.kv.prefix);
    // The dispatcher keeps the previous incarnation's route (and proof) for up to 10 s.
    expect((await untilStatus(platform.trafficUrl, hostOf("kvone"), "/health", 200)).status).toBe(200);
    expect((await read("kvone")).cache).toBe("miss");
    expect(await readUntilHit("kvone")).toBe("hit");
    const current = (await sharedKeys()).find(
      (k) => k.startsWith(again.resources.kv.prefix!) && k.includes(`/products/${DEFAULT_PRODUCT}/`),
    )!;
    const rest = current.slice(again.resources.kv.prefix!.length);
    const stale = { ...(await value(current)), body: { name: "POISON-previous-kvone" } };
    await cf.kv.namespaces.values.update(`${one.resources.kv.prefix}${rest}`, {
      account_id: platform.accountId,
      namespace_id: again.resources.kv.id,
      value: JSON.stringify(stale),
    });
    await cf.kv.namespaces.values.delete(current, {
      account_id: platform.accountId,
      namespace_id: again.resources.kv.id,
    });
    const reread = await read("kvone");
    expect(reread.cache).toBe("miss");
    expect(JSON.stringify(reread.json)).not.toContain("POISON");
  });
});
