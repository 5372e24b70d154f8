/**
 * D1 read replicas on the local platform, and the product's read-your-writes through them.
 *
 * The platform runs with a replica lag far longer than the test (10 minutes), so a replica never
 * catches up by time here: a read it answers without a bookmark is stale for certain, and a read
 * that sees a fresh write does so only because its bookmark made the replica catch up. Nothing
 * depends on how fast the machine is.
 *
 * 1. The Sessions API as D1 documents it, through a probe Worker bound to a replicated database.
 * 2. The registry through the dispatcher: a write's bookmark makes the next read see it; the same
 *    read without the bookmark does not (which is what makes this test fail if the product ever
 *    stops passing the client's bookmark to D1).
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeKey, type RouteRecord } from "../../contracts/route-record.ts";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

const LAG_MS = 10 * 60 * 1000;
const PROBE_HOST = "probe.replicas.localhost";
const TENANT_HOST = "registry.replicas.localhost";

/** A Worker that runs one D1 query per request in the session the query string names. */
const PROBE = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const session = url.searchParams.get("session");
    const db = session === null ? env.DB : env.DB.withSession(session);
    const out = [];
    for (const step of url.searchParams.getAll("step")) {
      const result = step === "write"
        ? await db.prepare("INSERT INTO notes (body) VALUES (?)").bind(url.searchParams.get("body") ?? "").run()
        : await db.prepare("SELECT count(*) AS notes, max(body) AS last FROM notes").all();
      out.push({ step, row: result.results?.[0] ?? null, servedByPrimary: result.meta.served_by_primary });
    }
    return Response.json({ steps: out, bookmark: session === null ? null : db.getBookmark() });
  },
};`;

interface ProbeReply {
  steps: { step: "read" | "write"; row: { notes: number; last: string | null } | null; servedByPrimary: boolean }[];
  bookmark: string | null;
}

/**
 * Creates a D1 database with read replication on, runs `setupSql` on it, uploads `code` as script
 * `name` bound to it as `DB`, and routes `host` to it, all through the platform's Cloudflare API.
 */
async function replicatedProbe(
  on: LocalPlatform,
  name: string,
  host: string,
  setupSql: string,
  code: string,
): Promise<void> {
  const cf = new Cloudflare({ apiToken: "local", baseURL: on.apiUrl, maxRetries: 0 });
  const account_id = on.accountId;
  const db = await cf.d1.database.create({ account_id, name, read_replication: { mode: "auto" } });
  await cf.d1.database.query(db.uuid!, { account_id, sql: setupSql });
  const form = new FormData();
  const metadata = {
    main_module: "probe.js",
    compatibility_date: "2026-06-01",
    bindings: [{ type: "d1", name: "DB", id: db.uuid }],
  };
  form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }));
  form.append("probe.js", new File([code], "probe.js", { type: "application/javascript+module" }));
  await cf.put(`/accounts/${account_id}/workers/dispatch/namespaces/${on.dispatchNamespace}/scripts/${name}`, {
    body: form,
  });
  const route: RouteRecord = {
    tenantId: name,
    script: name,
    status: "active",
    proof: "p".repeat(43),
    rateLimit: { requestsPerMinute: 100_000, keyRequestsPerMinute: 100_000 },
    corsOrigins: [],
  };
  await cf.kv.namespaces.values.update(routeKey(host), {
    account_id,
    namespace_id: on.routesNamespaceId,
    value: JSON.stringify(route),
    metadata: "{}",
  });
}

let platform: LocalPlatform;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-replicas-"));
  platform = await startInitialisedPlatform({
    port: 0,
    apiPort: 0,
    stateDir,
    hostnameActivationMs: 200,
    d1ReplicaLagMs: LAG_MS,
  });
});
afterAll(async () => {
  await platform?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("the Sessions API on a replicated database", () => {
  let call: (session: string | null, ...steps: string[]) => Promise<ProbeReply>;
  let writes = 0;

  beforeAll(async () => {
    await replicatedProbe(
      platform,
      "probe",
      PROBE_HOST,
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
      PROBE,
    );
    call = async (session, ...steps) => {
      const query = new URLSearchParams(steps.map((step): [string, string] => ["step", step]));
      if (session !== null) query.set("session", session);
      for (const step of steps) if (step === "write") query.append("body", `note-${++writes}`);
      const reply = await requestTenant(platform.trafficUrl, PROBE_HOST, "GET", `/?${query}`);
      expect(reply.status, reply.body).toBe(200);
      return JSON.parse(reply.body) as ProbeReply;
    };
    // The replica's first use copies the primary as it is: the table, no rows.
    expect((await call("first-unconstrained", "read")).steps[0]).toMatchObject({ servedByPrimary: false });
  });

  it("answers a plain query and a first-primary session from the primary", async () => {
    const plain = await call(null, "write", "read");
    expect(plain.steps.map((s) => s.servedByPrimary)).toEqual([true, true]);
    expect(plain.bookmark).toBeNull();
    const primary = await call("first-primary", "read");
    expect(primary.steps[0]).toMatchObject({ servedByPrimary: true, row: { notes: plain.steps[1]!.row!.notes } });
  });

  it("answers first-unconstrained reads from the replica, which has not seen writes younger than the lag", async () => {
    const before = (await call("first-primary", "read")).steps[0]!.row!.notes;
    await call(null, "write");
    const stale = await call("first-unconstrained", "read");
    expect(stale.steps[0]!.servedByPrimary).toBe(false);
    expect(stale.steps[0]!.row!.notes).toBeLessThanOrEqual(before);
    expect((await call("first-primary", "read")).steps[0]!.row!.notes).toBe(before + 1);
  });

  it("makes the replica catch up to a session's bookmark, and never answers an older bookmark", async () => {
    const write = await call("first-primary", "write");
    expect(write.steps[0]!.servedByPrimary).toBe(true);
    const total = (await call("first-primary", "read")).steps[0]!.row!.notes;
    const read = await call(write.bookmark!, "read");
    expect(read.steps[0]).toMatchObject({ servedByPrimary: false, row: { notes: total } });
    expect(read.bookmark!.localeCompare(write.bookmark!)).toBeGreaterThanOrEqual(0);
  });

  it("lets a session read its own writes: the write goes to the primary, the next read waits for it", async () => {
    const session = await call("first-unconstrained", "read", "write", "read");
    const [first, write, again] = session.steps;
    expect(first!.servedByPrimary).toBe(false);
    expect(write!.servedByPrimary).toBe(true);
    expect(again!.row!.notes).toBe(first!.row!.notes + 1);
    expect(again!.row!.last).toBe(`note-${writes}`);
  });

  it("sends a bookmark no replica can have reached yet to the primary", async () => {
    const future = `ffffffff-${"f".repeat(8)}-${"f".repeat(8)}-${"f".repeat(32)}`;
    expect((await call(future, "read")).steps[0]!.servedByPrimary).toBe(true);
  });
});

describe("the registry's read-your-writes through the dispatcher, on a lagging replica", () => {
  let auth: Record<string, string>;

  beforeAll(async () => {
    // Global residency: the tenant's database is created with read replication on.
    const created = await runTenant(platform.apiUrl, [
      "create",
      "lagged",
      "--domain",
      TENANT_HOST,
      "--residency",
      "global",
      "--json",
    ]);
    expect(created.code, created.stderr).toBe(EXIT.ok);
    auth = { authorization: `Bearer ${(JSON.parse(created.stdout) as { adminKey: string }).adminKey}` };
  });

  it("a read with the write's bookmark sees the write; the same read without it is served stale", async () => {
    // A read with no bookmark first, so the replica exists (the platform copies a primary whole
    // on the replica's first use) before the write it must then lag behind.
    const warm = await requestTenant(platform.trafficUrl, TENANT_HOST, "GET", "/api/products", { headers: auth });
    expect(warm.status, warm.body).toBe(200);
    const created = await requestTenant(platform.trafficUrl, TENANT_HOST, "POST", "/api/products", {
      headers: auth,
      body: { name: "Lagged", description: "written just now" },
    });
    expect(created.status, created.body).toBe(201);
    const { id } = created.json() as { id: string };
    const bookmark = created.headers["x-d1-bookmark"];
    expect(typeof bookmark).toBe("string");

    // Proof the replica really lags (or the read below proves nothing): without the bookmark, the
    // replica answers, and it has not seen the product yet. (This comes first: once the replica
    // has caught up to the bookmark for the read below, it serves the product to everyone.)
    const stale = await requestTenant(platform.trafficUrl, TENANT_HOST, "GET", `/api/products/${id}`, {
      headers: auth,
    });
    expect(stale.status, stale.body).toBe(404);

    const fresh = await requestTenant(platform.trafficUrl, TENANT_HOST, "GET", `/api/products/${id}`, {
      headers: { ...auth, "x-d1-bookmark": bookmark as string },
    });
    expect(fresh.status, fresh.body).toBe(200);
    expect(fresh.json()).toMatchObject({ id, name: "Lagged" });
  });
});

describe("a replica with a short lag", () => {
  let quick: LocalPlatform;
  let quickDir: string;

  beforeAll(async () => {
    quickDir = mkdtempSync(join(tmpdir(), "wfp-replicas-quick-"));
    quick = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir: quickDir, d1ReplicaLagMs: 200 });
  });
  afterAll(async () => {
    await quick?.close();
    if (quickDir) rmSync(quickDir, { recursive: true, force: true });
  });

  it("catches up by itself once a write is older than the lag", async () => {
    const probe = `export default { async fetch(request, env) {
      if (request.method === "POST") {
        await env.DB.prepare("INSERT INTO t VALUES ('x')").run();
        return new Response("ok");
      }
      const r = await env.DB.withSession("first-unconstrained").prepare("SELECT count(*) AS n FROM t").first();
      return Response.json(r);
    } };`;
    await replicatedProbe(quick, "quick", "quick.localhost", "CREATE TABLE t (v TEXT)", probe);
    const count = async () =>
      (JSON.parse((await requestTenant(quick.trafficUrl, "quick.localhost", "GET", "/")).body) as { n: number }).n;
    expect(await count()).toBe(0);
    expect((await requestTenant(quick.trafficUrl, "quick.localhost", "POST", "/")).status).toBe(200);
    // Waits on the condition, with a bound far above the lag: no assumption about the machine's speed.
    const deadline = Date.now() + 15_000;
    let seen = await count();
    while (seen === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await count();
    }
    expect(seen).toBe(1);
  });
});
