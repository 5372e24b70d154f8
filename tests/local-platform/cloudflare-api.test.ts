/**
 * The local platform answers the official `cloudflare` SDK as Cloudflare documents: paths,
 * envelope, status codes, error codes, typed SDK errors. Every call here goes through the SDK.
 */
import Cloudflare, { BadRequestError, ConflictError, NotFoundError } from "cloudflare";
import { HOST_PATHS, HOST_SECRET_HEADER } from "../../infra/local-platform/tenant-host-protocol.ts";
import { TENANT_HOST_WORKER } from "../../infra/local-platform/workerd-runtime.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";

let platform: LocalPlatform;
let cf: Cloudflare;
let stateDir: string;
/** The platform's clock when a test holds it (it then moves it instead of sleeping); else the machine's. */
let heldClock: number | undefined;
const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-api-"));
  platform = await startInitialisedPlatform({
    port: 0,
    apiPort: 0,
    stateDir,
    hostnameActivationMs: 600,
    now: () => heldClock ?? Date.now(),
  });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

function moduleUpload(metadata: Record<string, unknown>, code: string): FormData {
  const form = new FormData();
  form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }));
  form.append("index.js", new File([code], "index.js", { type: "application/javascript+module" }));
  return form;
}

async function upload(
  name: string,
  metadata: Record<string, unknown>,
  code = "export default { fetch() { return new Response('hi') } }",
) {
  return cf.put(
    `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}/scripts/${name}`,
    {
      body: moduleUpload({ main_module: "index.js", compatibility_date: "2026-06-01", ...metadata }, code),
    },
  );
}

describe("accounts and zones", () => {
  it("lists the one local account and zone", async () => {
    const accounts = [];
    for await (const account of cf.accounts.list()) accounts.push(account);
    expect(accounts.map((a) => a.id)).toEqual([platform.accountId]);
    const zones = await cf.zones.list({ name: platform.zoneName });
    expect(zones.result.map((z) => z.id)).toEqual([platform.zoneId]);
  });

  it("answers unknown paths and accounts with Cloudflare's 404", async () => {
    const response = await fetch(`${platform.apiUrl}/accounts/${platform.accountId}/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ success: false, errors: [{ code: 7003 }], result: null });
    await expect(cf.d1.database.list({ account_id: "0".repeat(32) })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("answers malformed JSON with 400 and code 6007", async () => {
    const response = await fetch(`${platform.apiUrl}/accounts/${platform.accountId}/d1/database`, {
      method: "POST",
      body: "{nope",
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ success: false, errors: [{ code: 6007 }] });
  });
});

describe("D1", () => {
  it("creates with a jurisdiction, finds by name, queries, and deletes", async () => {
    const name = unique("db");
    const db = await cf.d1.database.create({
      account_id: platform.accountId,
      name,
      jurisdiction: "eu",
      primary_location_hint: "weur",
    });
    expect(db).toMatchObject({ name, jurisdiction: "eu", read_replication: { mode: "disabled" } });
    // A jurisdiction overrides the hint.
    expect(db).not.toHaveProperty("primary_location_hint");
    await expect(cf.d1.database.create({ account_id: platform.accountId, name })).rejects.toBeInstanceOf(ConflictError);

    const found = await cf.d1.database.list({ account_id: platform.accountId, name });
    expect(found.result.map((d) => d.uuid)).toEqual([db.uuid]);

    const results = [];
    for await (const r of cf.d1.database.query(db.uuid!, {
      account_id: platform.accountId,
      sql:
        "CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER); INSERT INTO t VALUES ('a', 1), ('b;c', 2); " +
        "SELECT k, v FROM t ORDER BY k;",
    }))
      results.push(r);
    expect(results).toHaveLength(3);
    expect(results[2]!.results).toEqual([
      { k: "a", v: 1 },
      { k: "b;c", v: 2 },
    ]);

    const raw = [];
    for await (const r of cf.d1.database.raw(db.uuid!, {
      account_id: platform.accountId,
      sql: "SELECT v FROM t WHERE k = ?",
      params: ["a"],
    }))
      raw.push(r);
    expect(raw[0]!.results).toEqual({ columns: ["v"], rows: [[1]] });

    const error = await cf.d1.database
      .query(db.uuid!, { account_id: platform.accountId, sql: "SELEC 1" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).errors[0]).toMatchObject({ code: 7500 });

    // A failing statement in a batch rolls the whole batch back.
    await cf.d1.database
      .query(db.uuid!, {
        account_id: platform.accountId,
        sql: "INSERT INTO t VALUES ('c', 3); INSERT INTO t VALUES ('a', 9);",
      })
      .catch(() => undefined);
    const count = [];
    for await (const r of cf.d1.database.query(db.uuid!, {
      account_id: platform.accountId,
      sql: "SELECT count(*) AS n FROM t",
    }))
      count.push(r);
    expect(count[0]!.results).toEqual([{ n: 2 }]);

    // Get by id, or by name as wrangler does, with the size of what is stored.
    const info = await cf.d1.database.get(db.uuid!, { account_id: platform.accountId });
    expect(info).toMatchObject({ uuid: db.uuid, num_tables: 1, file_size: expect.any(Number) });
    expect(info.file_size).toBeGreaterThan(0);
    expect((await cf.d1.database.get(name, { account_id: platform.accountId })).uuid).toBe(db.uuid);

    await cf.d1.database.delete(db.uuid!, { account_id: platform.accountId });
    await expect(cf.d1.database.get(db.uuid!, { account_id: platform.accountId })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe("KV", () => {
  it("creates namespaces, refuses a duplicate title, stores values, deletes", async () => {
    const title = unique("kv");
    const ns = await cf.kv.namespaces.create({ account_id: platform.accountId, title });
    await expect(cf.kv.namespaces.create({ account_id: platform.accountId, title })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    await cf.kv.namespaces.values.update("host:a.example", {
      account_id: platform.accountId,
      namespace_id: ns.id,
      value: JSON.stringify({ x: 1 }),
    });
    const value = await cf.kv.namespaces.values.get("host:a.example", {
      account_id: platform.accountId,
      namespace_id: ns.id,
    });
    expect(await value.json()).toEqual({ x: 1 });
    const keys = await cf.kv.namespaces.keys.list(ns.id, { account_id: platform.accountId, prefix: "host:" });
    expect(keys.result.map((k) => k.name)).toEqual(["host:a.example"]);
    await expect(
      cf.kv.namespaces.values.get("missing", { account_id: platform.accountId, namespace_id: ns.id }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await cf.kv.namespaces.delete(ns.id, { account_id: platform.accountId });
    await expect(cf.kv.namespaces.get(ns.id, { account_id: platform.accountId })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("dispatch namespaces and scripts", () => {
  it("creates, lists, refuses duplicates and deletes namespaces", async () => {
    const name = unique("ns");
    const ns = await cf.workersForPlatforms.dispatch.namespaces.create({ account_id: platform.accountId, name });
    expect(ns.namespace_name).toBe(name);
    await expect(
      cf.workersForPlatforms.dispatch.namespaces.create({ account_id: platform.accountId, name }),
    ).rejects.toBeInstanceOf(ConflictError);
    const all = [];
    for await (const n of cf.workersForPlatforms.dispatch.namespaces.list({ account_id: platform.accountId }))
      all.push(n.namespace_name);
    expect(all).toContain(name);
    await cf.workersForPlatforms.dispatch.namespaces.delete(name, { account_id: platform.accountId });
    await expect(
      cf.workersForPlatforms.dispatch.namespaces.get(name, { account_id: platform.accountId }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it(`uploads a module Worker with tags and secrets, keeps secrets on re-upload, \
lists and bulk-deletes by tag`, async () => {
    const tag = unique("tag");
    const name = unique("script");
    const script = await upload(name, {
      tags: [tag, "wfp-test"],
      bindings: [
        { type: "secret_text", name: "KEY", text: "s3cret" },
        { type: "plain_text", name: "MODE", text: "a" },
      ],
    });
    expect(script).toMatchObject({ success: true, result: { id: name, tags: [tag, "wfp-test"] } });

    const got = await cf.workersForPlatforms.dispatch.namespaces.scripts.get(name, {
      account_id: platform.accountId,
      dispatch_namespace: platform.dispatchNamespace,
    });
    expect(got.script?.id).toBe(name);
    const secrets = [];
    for await (const s of cf.workersForPlatforms.dispatch.namespaces.scripts.secrets.list(name, {
      account_id: platform.accountId,
      dispatch_namespace: platform.dispatchNamespace,
    }))
      secrets.push(s);
    expect(secrets).toEqual([{ name: "KEY", type: "secret_text" }]);
    expect(JSON.stringify(secrets)).not.toContain("s3cret");

    // keep_bindings keeps the secret across an upload that does not send it.
    await upload(name, {
      tags: [tag, "wfp-test"],
      keep_bindings: ["secret_text"],
      bindings: [{ type: "plain_text", name: "MODE", text: "b" }],
    });
    const settings = await cf.get<{ result: { bindings: { name: string; type: string; text?: string }[] } }>(
      `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}` +
        `/scripts/${name}/settings`,
    );
    expect(settings.result.bindings).toEqual(
      expect.arrayContaining([
        { type: "secret_text", name: "KEY" },
        { type: "plain_text", name: "MODE", text: "b" },
      ]),
    );

    const listed = await cf.get<{ result: { script: { id: string } }[] }>(
      `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}` +
        `/scripts?tags=${tag}:yes`,
    );
    expect(listed.result.map((s) => s.script.id)).toEqual([name]);
    await cf.delete(
      `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}` +
        `/scripts?tags=${tag}:yes`,
    );
    await expect(
      cf.workersForPlatforms.dispatch.namespaces.scripts.get(name, {
        account_id: platform.accountId,
        dispatch_namespace: platform.dispatchNamespace,
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it(`refuses what Cloudflare refuses: bracket-encoded metadata, a missing main module, \
unknown bindings, more than 8 tags, code that does not start`, async () => {
    // The SDK's own scripts.update() bracket-encodes metadata (cloudflare-typescript#2799); Cloudflare answers 400.
    await expect(
      cf.workersForPlatforms.dispatch.namespaces.scripts.update(unique("sdk"), {
        account_id: platform.accountId,
        dispatch_namespace: platform.dispatchNamespace,
        metadata: { main_module: "index.js" },
        files: [new File(["export default {}"], "index.js", { type: "application/javascript+module" })],
      }),
    ).rejects.toBeInstanceOf(BadRequestError);
    const form = new FormData();
    form.append("metadata", JSON.stringify({ main_module: "main.js" }));
    form.append("index.js", new File(["export default {}"], "index.js", { type: "application/javascript+module" }));
    await expect(
      cf.put(
        `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}` +
          `/scripts/${unique("x")}`,
        { body: form },
      ),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(
      upload(unique("x"), { bindings: [{ type: "d1", name: "DB", id: "no-such-db" }] }),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(upload(unique("x"), { tags: ["1", "2", "3", "4", "5", "6", "7", "8", "9"] })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    const broken = await upload(unique("x"), {}, "export default {{").catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(BadRequestError);
    expect((broken as BadRequestError).errors[0]).toMatchObject({
      code: 10021,
      message: expect.stringContaining("SyntaxError"),
    });
  });
});

describe("custom and regional hostnames", () => {
  it("walks a custom hostname from pending to active, with ownership and validation records", async () => {
    const hostname = `${unique("reg")}.example.localhost`;
    heldClock = Date.now();
    onTestFinished(() => {
      heldClock = undefined;
    });
    const { data: created, response } = await cf.customHostnames
      .create({ zone_id: platform.zoneId, hostname, ssl: { method: "txt", type: "dv" } })
      .withResponse();
    // Cloudflare's statuses: 201 for a create, 202 for an edit.
    expect(response.status).toBe(201);
    expect(created).toMatchObject({
      hostname,
      status: "pending",
      ssl: { status: "initializing" },
      ownership_verification: { type: "txt", name: `_cf-custom-hostname.${hostname}` },
    });
    await expect(
      cf.customHostnames.create({ zone_id: platform.zoneId, hostname, ssl: { method: "txt", type: "dv" } }),
    ).rejects.toBeInstanceOf(ConflictError);

    heldClock += 350; // past half the 600 ms activation
    const validating = await cf.customHostnames.get(created.id, { zone_id: platform.zoneId });
    expect(validating.ssl?.status).toBe("pending_validation");
    expect(validating.ssl?.validation_records?.[0]).toMatchObject({ txt_name: `_acme-challenge.${hostname}` });

    heldClock += 400; // past all of it
    const active = await cf.customHostnames.get(created.id, { zone_id: platform.zoneId });
    expect(active).toMatchObject({ status: "active", ssl: { status: "active" } });

    const edited = await cf.customHostnames
      .edit(created.id, { zone_id: platform.zoneId, custom_metadata: { tier: "gold" } })
      .withResponse();
    expect(edited.response.status).toBe(202);
    const listed = await cf.customHostnames.list({ zone_id: platform.zoneId, hostname: { exact: hostname } });
    expect(listed.result.map((h) => h.id)).toEqual([created.id]);
    const none = await cf.customHostnames.list({ zone_id: platform.zoneId, hostname: { exact: `x${hostname}` } });
    expect(none.result).toEqual([]);
    await cf.customHostnames.delete(created.id, { zone_id: platform.zoneId });
    await expect(cf.customHostnames.get(created.id, { zone_id: platform.zoneId })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("refuses reserved names as Cloudflare does (1409, 1411), but .localhost, the local platform's", async () => {
    const refused = async (hostname: string) =>
      (await cf.customHostnames
        .create({ zone_id: platform.zoneId, hostname })
        .catch((e: unknown) => e)) as BadRequestError;
    for (const hostname of ["a.test", "a.example", "a.invalid"]) {
      const error = await refused(hostname);
      expect(error, hostname).toBeInstanceOf(BadRequestError);
      expect(error.errors[0]).toMatchObject({ code: 1409, message: expect.stringContaining("Reserved top domain") });
    }
    for (const hostname of ["registry.example.com", "example.net", "a.b.example.org"]) {
      const error = await refused(hostname);
      expect(error, hostname).toBeInstanceOf(BadRequestError);
      expect(error.errors[0]).toMatchObject({ code: 1411, message: expect.stringContaining("are prohibited") });
    }
    const local = await cf.customHostnames.create({ zone_id: platform.zoneId, hostname: `${unique("ok")}.localhost` });
    await cf.customHostnames.delete(local.id, { zone_id: platform.zoneId });
  });

  it("lists regions (with the UK) and pins a regional hostname to one of them", async () => {
    const regions = [];
    for await (const r of cf.addressing.regionalHostnames.regions.list({ account_id: platform.accountId }))
      regions.push(r);
    const uk = regions.find((r) => /united kingdom/i.test(r.label ?? ""));
    expect(uk?.key).toBeTruthy();
    const hostname = `${unique("uk")}.${platform.zoneName}`;
    await expect(
      cf.addressing.regionalHostnames.create({ zone_id: platform.zoneId, hostname, region_key: "atlantis" }),
    ).rejects.toBeInstanceOf(BadRequestError);
    // Only a subdomain of the zone, as Cloudflare's API says: a tenant's own domain is refused.
    for (const outside of [`${unique("uk")}.example.localhost`, `x${platform.zoneName}`]) {
      await expect(
        cf.addressing.regionalHostnames.create({ zone_id: platform.zoneId, hostname: outside, region_key: uk!.key! }),
      ).rejects.toBeInstanceOf(BadRequestError);
    }
    const created = await cf.addressing.regionalHostnames.create({
      zone_id: platform.zoneId,
      hostname,
      region_key: uk!.key!,
    });
    expect(created).toMatchObject({ hostname, region_key: uk!.key });
    await cf.addressing.regionalHostnames.delete(hostname, { zone_id: platform.zoneId });
    await expect(cf.addressing.regionalHostnames.get(hostname, { zone_id: platform.zoneId })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe("fault injection", () => {
  it("fails the Nth call, answers 429 with Retry-After, then recovers", async () => {
    const control = `${new URL(platform.apiUrl).origin}/__platform/faults`;
    await fetch(control, {
      method: "POST",
      body: JSON.stringify({ failFrom: 2, count: 1, status: 500 }),
      headers: { "content-type": "application/json" },
    });
    await cf.zones.list();
    const second = await fetch(`${platform.apiUrl}/zones`);
    expect(second.status).toBe(500);
    expect((await fetch(`${platform.apiUrl}/zones`)).status).toBe(200);

    await fetch(control, {
      method: "POST",
      body: JSON.stringify({ failFrom: 1, count: 1, status: 429, retryAfter: 7 }),
      headers: { "content-type": "application/json" },
    });
    const limited = await fetch(`${platform.apiUrl}/zones`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(await limited.json()).toMatchObject({ success: false, errors: [{ code: 10429 }] });

    // phase "after": the call takes effect, then its answer is lost.
    await fetch(control, {
      method: "POST",
      body: JSON.stringify({ failFrom: 1, count: 1, phase: "after" }),
      headers: { "content-type": "application/json" },
    });
    const title = unique("after");
    const lost = await fetch(`${platform.apiUrl}/accounts/${platform.accountId}/storage/kv/namespaces`, {
      method: "POST",
      body: JSON.stringify({ title }),
      headers: { "content-type": "application/json" },
    });
    expect(lost.status).toBe(500);
    const namespaces = await cf.kv.namespaces.list({ account_id: platform.accountId, per_page: 1000 });
    expect(namespaces.result.map((n) => n.title)).toContain(title);

    await fetch(control, {
      method: "POST",
      body: JSON.stringify({ failFrom: 1, count: 1, status: 429, retryAfter: 7 }),
      headers: { "content-type": "application/json" },
    });
    await fetch(`${platform.apiUrl}/zones`);
    const status = await (await fetch(control)).json();
    expect(status).toMatchObject({ calls: 1, failed: 1 });
    await fetch(control, { method: "DELETE" });
    expect((await fetch(`${platform.apiUrl}/zones`)).status).toBe(200);
  });
});

describe("the platform's private tenant host Worker", () => {
  it("runs nothing for a traffic-port client that names it (Miniflare's MF-Route-Override)", async () => {
    const db = await cf.d1.database.create({ account_id: platform.accountId, name: unique("admin-probe") });
    await cf.d1.database.query(db.uuid!, { account_id: platform.accountId, sql: "CREATE TABLE kept (id TEXT)" });
    const kv = await cf.kv.namespaces.create({ account_id: platform.accountId, title: unique("admin-probe") });
    const kvKey = { account_id: platform.accountId, namespace_id: kv.id };
    await cf.kv.namespaces.values.update("kept", { ...kvKey, value: "yes", metadata: "{}" });
    const asHost = (path: string, init: RequestInit) =>
      fetch(`${platform.trafficUrl}${path}`, {
        ...init,
        headers: { "MF-Route-Override": TENANT_HOST_WORKER, [HOST_SECRET_HEADER]: "guessed" },
      });
    const replies = await Promise.all([
      asHost(HOST_PATHS.d1(db.uuid!), {
        method: "POST",
        body: JSON.stringify({ statements: [{ sql: "DROP TABLE kept", params: [] }], replicated: false }),
      }),
      asHost(`${HOST_PATHS.kvPrefix(kv.id)}/kept?urlencoded=true`, { method: "DELETE" }),
      asHost(HOST_PATHS.stats, { method: "GET" }),
    ]);
    for (const reply of replies) {
      expect(reply.status).toBe(404);
      expect(await reply.text()).toBe("");
    }
    expect(await (await cf.kv.namespaces.values.get("kept", kvKey)).text()).toBe("yes");
    const [tables] = await cf.d1.database
      .query(db.uuid!, {
        account_id: platform.accountId,
        sql: "SELECT name FROM sqlite_master WHERE name = 'kept'",
      })
      .then((page) => page.result);
    expect(tables?.results).toEqual([{ name: "kept" }]);
  });
});
