/**
 * Tenant API keys and the audit log in real workerd on a real D1 (docs/security.md): how a key is
 * presented (Bearer, Basic), how every refusal looks the same, expiry and revocation, scopes, the
 * keys API, audit entries for each kind of mutation with their hashes, pagination, retention.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredAuditEntry } from "../../../contracts/audit-entry.ts";
import { TEST_ADMIN_KEY } from "../../support/tenant-credentials.ts";
import { startAuthHarness, type AuthHarness, type Reply } from "./auth-harness.ts";

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness("keys");
}, 60_000);
afterAll(async () => {
  await h?.dispose();
});

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});
const ADMIN_SECRET = TEST_ADMIN_KEY.slice("wfp_admin_".length);
const AVRO = (name: string) => JSON.stringify({ type: "record", name, fields: [{ name: "id", type: "string" }] });

interface CreatedKey {
  id: string;
  key: string;
  role: string;
  status: string;
}
async function createKey(body: Record<string, unknown>): Promise<CreatedKey> {
  const reply = await h.call<CreatedKey>("POST", "/api/keys", { body });
  expect(reply.status, reply.text).toBe(201);
  return reply.json;
}

/** An entry as `GET /api/audit` answers it (the product's own type of its answer). */
type AuditItem = StoredAuditEntry;
async function audit(query: string): Promise<{ items: AuditItem[]; nextCursor: string | null }> {
  const reply = await h.call<{ items: AuditItem[]; nextCursor: string | null }>("GET", `/api/audit?${query}`);
  expect(reply.status, reply.text).toBe(200);
  return reply.json;
}

function expectUnauthorized(reply: Reply, api: "api" | "confluent"): void {
  expect(reply.status).toBe(401);
  expect(reply.headers.get("www-authenticate")).toBe('Basic realm="schema-registry", Bearer');
  if (api === "api")
    expect(reply.json).toMatchObject({ error: { code: "unauthorized", requestId: expect.any(String) } });
  else expect(reply.json).toEqual({ error_code: 40101, message: expect.any(String) });
}

describe("presenting a key", () => {
  it("/health needs none; /api and the Confluent API refuse a request without one, each in its own shape", async () => {
    expect((await h.call("GET", "/health", { key: null })).status).toBe(200);
    expectUnauthorized(await h.call("GET", "/api/products", { key: null }), "api");
    expectUnauthorized(await h.call("GET", "/subjects", { key: null }), "confluent");
    expect((await h.call("GET", "/subjects", { key: null })).headers.get("content-type")).toBe(
      "application/vnd.schemaregistry.v1+json",
    );
    // Only a CORS preflight goes without a key (and reaches no handler).
    expect((await h.call("OPTIONS", "/api/products", { key: null })).status).toBe(401);
    expect(
      (
        await h.call("OPTIONS", "/api/products", {
          key: null,
          headers: { origin: "https://app.example", "access-control-request-method": "GET" },
        })
      ).status,
    ).not.toBe(401);
  });

  it(`accepts the admin key as Bearer, as Basic (id and secret), \
and as Basic with the whole key as password`, async () => {
    expect((await h.call("GET", "/api/products")).status).toBe(200);
    expect((await h.call("GET", "/api/products", { headers: basic("admin", ADMIN_SECRET) })).status).toBe(200);
    expect((await h.call("GET", "/subjects", { headers: basic("admin", TEST_ADMIN_KEY) })).status).toBe(200);
    expect((await h.call("GET", "/subjects", { headers: basic("", TEST_ADMIN_KEY) })).status).toBe(200);
    expect((await h.call("GET", "/subjects", { headers: { authorization: `bearer ${TEST_ADMIN_KEY}` } })).status).toBe(
      200,
    );
  });

  it(`answers every bad key with the same 401: \
unknown id, wrong secret, malformed, other scheme, expired, revoked`, async () => {
    const expired = await createKey({ role: "read", expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await (await h.d1())
      .prepare("UPDATE api_keys SET expires_at = '2001-01-01T00:00:00.000Z' WHERE id = ?")
      .bind(expired.id)
      .run();
    const revoked = await createKey({ role: "read" });
    expect((await h.call("DELETE", `/api/keys/${revoked.id}`)).status).toBe(200);
    const attempts: Record<string, string | undefined>[] = [
      { authorization: `Bearer wfp_nosuchkey_${ADMIN_SECRET}` },
      { authorization: `Bearer ${TEST_ADMIN_KEY}x` },
      { authorization: `Bearer ${TEST_ADMIN_KEY.slice(0, -1)}A` },
      { authorization: "Bearer not-a-key" },
      { authorization: `Token ${TEST_ADMIN_KEY}` },
      basic("admin", "wrong-secret-0123456789"),
      basic("someone", TEST_ADMIN_KEY),
      { authorization: "Basic %%%" },
      { authorization: `Bearer ${expired.key}` },
      { authorization: `Bearer ${revoked.key}` },
    ];
    const bodies = new Set<string>();
    for (const headers of attempts) {
      const reply = await h.call<{ error: { message: string; code: string } }>("GET", "/api/products", {
        key: null,
        headers: headers as Record<string, string>,
      });
      expectUnauthorized(reply, "api");
      bodies.add(JSON.stringify({ code: reply.json.error.code, message: reply.json.error.message }));
    }
    expect(bodies.size).toBe(1);
  });

  it("a revoked key is refused on its very next request", async () => {
    const key = await createKey({ role: "read" });
    expect((await h.call("GET", "/api/products", { key: key.key })).status).toBe(200);
    expect((await h.call("DELETE", `/api/keys/${key.id}`)).json).toMatchObject({
      id: key.id,
      status: "revoked",
      revokedBy: "admin",
    });
    expect((await h.call("GET", "/api/products", { key: key.key })).status).toBe(401);
  });

  it("a key is accepted before its expiresAt and refused from then on", async () => {
    const lasting = await createKey({ role: "read", expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await h.call("GET", "/api/products", { key: lasting.key })).status).toBe(200);

    // The API takes only a future expiry: near enough to wait for, far enough for a slow create.
    const expiresAt = Date.now() + 2_000;
    const key = await createKey({ role: "read", expiresAt: new Date(expiresAt).toISOString() });
    // Wait for the refusal with short pauses, at most 15 s: a busy machine only makes this longer.
    const deadline = Date.now() + 15_000;
    let status = (await h.call("GET", "/api/products", { key: key.key })).status;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await h.call("GET", "/api/products", { key: key.key })).status;
    }
    expect(status).toBe(401);
    // Not before its time: the Worker's clock is this machine's.
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect((await h.call("GET", "/api/products", { key: lasting.key })).status).toBe(200);
  });
});

describe("the keys API", () => {
  it("shows a key once, stores only its hash, and never lists a hash or a secret", async () => {
    const created = await h.call<CreatedKey & Record<string, unknown>>("POST", "/api/keys", {
      body: { role: "write", description: "CI" },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    expect(created.headers.get("location")).toBe(`/api/keys/${created.json.id}`);
    expect(created.json.key).toMatch(new RegExp(`^wfp_${created.json.id}_[A-Za-z0-9_-]{43}$`));
    expect(created.json).toMatchObject({
      role: "write",
      description: "CI",
      createdBy: "admin",
      status: "active",
      expiresAt: null,
    });
    const row = await (await h.d1())
      .prepare("SELECT key_hash FROM api_keys WHERE id = ?")
      .bind(created.json.id)
      .first<{ key_hash: string }>();
    expect(row?.key_hash).toBe(sha256(created.json.key));

    const listed = await h.call<{ items: Record<string, unknown>[] }>("GET", "/api/keys?limit=500");
    const mine = listed.json.items.find((item) => item.id === created.json.id);
    expect(mine).toMatchObject({ role: "write", status: "active" });
    expect(JSON.stringify(listed.json)).not.toContain(created.json.key.slice(-43));
    expect(JSON.stringify(listed.json)).not.toContain(row!.key_hash);
    expect(Object.keys(mine!)).not.toContain("key");
    expect((await h.call("GET", `/api/keys/${created.json.id}`)).json).toEqual(mine);
  });

  it("pages the list of keys with a cursor", async () => {
    for (let index = 0; index < 3; index += 1) await createKey({ role: "read" });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const reply: Reply<{ items: { id: string }[]; nextCursor: string | null }> = await h.call(
        "GET",
        `/api/keys?limit=2${cursor === null ? "" : `&cursor=${cursor}`}`,
      );
      expect(reply.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...reply.json.items.map((item) => item.id));
      cursor = reply.json.nextCursor;
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });

  it(`refuses bad keys before storing anything: scoped admin, \
a past expiry, an unknown product, unknown fields`, async () => {
    const bad = [
      { role: "admin", subjectPrefix: "orders-" },
      { role: "read", expiresAt: "2001-01-01T00:00:00Z" },
      { role: "read", productId: "no-such-product" },
      { role: "owner" },
      { role: "read", colour: "red" },
    ];
    for (const body of bad)
      expect((await h.call("POST", "/api/keys", { body })).status, JSON.stringify(body)).toBe(400);
  });

  it("will not revoke the admin key, and says why", async () => {
    const reply = await h.call<{ error: { code: string; message: string } }>("DELETE", "/api/keys/admin");
    expect(reply.status).toBe(409);
    expect(reply.json.error.code).toBe("not_revocable");
    expect(reply.json.error.message).toMatch(/keys rotate-admin/);
    expect((await h.call("DELETE", "/api/keys/nosuchkey")).status).toBe(404);
  });

  it("only admins manage keys", async () => {
    const writer = await createKey({ role: "write" });
    expect((await h.call("POST", "/api/keys", { key: writer.key, body: { role: "admin" } })).status).toBe(403);
    expect((await h.call("GET", "/api/keys", { key: writer.key })).status).toBe(403);
    const admin = await createKey({ role: "admin" });
    expect((await h.call("POST", "/api/keys", { key: admin.key, body: { role: "read" } })).json).toMatchObject({
      createdBy: admin.id,
    });
  });
});

describe("scopes", () => {
  it("a product-scoped key works inside its product and nowhere else", async () => {
    const product = (await h.call<{ id: string }>("POST", "/api/products", { body: { name: "Mine" } })).json.id;
    const other = (await h.call<{ id: string }>("POST", "/api/products", { body: { name: "Theirs" } })).json.id;
    const theirDomain = (
      await h.call<{ id: string }>("POST", `/api/products/${other}/domains`, { body: { name: "X" } })
    ).json.id;
    const key = (await createKey({ role: "write", productId: product })).key;
    const domain = await h.call<{ id: string }>("POST", `/api/products/${product}/domains`, {
      key,
      body: { name: "Orders" },
    });
    expect(domain.status).toBe(201);
    const context = await h.call<{ id: string }>("POST", `/api/domains/${domain.json.id}/contexts`, {
      key,
      body: { name: "C" },
    });
    expect(context.status).toBe(201);
    expect((await h.call("GET", `/api/contexts/${context.json.id}`, { key })).status).toBe(200);
    expect((await h.call("GET", `/api/domains/${theirDomain}`, { key })).status).toBe(403);
    expect((await h.call("POST", `/api/products/${other}/domains`, { key, body: { name: "Y" } })).status).toBe(403);
    expect((await h.call("GET", "/api/products", { key })).status).toBe(403);
    expect((await h.call("GET", "/api/domains/no-such-domain", { key })).status).toBe(403);
    expect((await h.call("GET", "/subjects", { key })).status).toBe(403);
  });

  it("a subject-prefix key reaches only its subjects, sees only them in lists, and the ids they use", async () => {
    const orders = (
      await h.call<{ id: number }>("POST", "/subjects/orders-value/versions", { body: { schema: AVRO("Order") } })
    ).json.id;
    const users = (
      await h.call<{ id: number }>("POST", "/subjects/users-value/versions", { body: { schema: AVRO("User") } })
    ).json.id;
    const key = (await createKey({ role: "write", subjectPrefix: "orders-" })).key;
    expect(
      (await h.call("POST", "/subjects/orders-key/versions", { key, body: { schema: AVRO("OrderKey") } })).status,
    ).toBe(200);
    expect((await h.call("GET", "/subjects/orders-value/versions", { key, headers: basic("x", "y") })).status).toBe(
      401,
    );
    expect((await h.call("GET", "/subjects/orders-value/versions", { key })).json).toEqual([1]);
    expect((await h.call("GET", "/subjects/users-value/versions", { key })).status).toBe(403);
    expect(
      (await h.call("POST", "/subjects/users-value/versions", { key, body: { schema: AVRO("User2") } })).status,
    ).toBe(403);
    const subjects = await h.call<string[]>("GET", "/subjects", { key });
    expect(subjects.status).toBe(200);
    expect(subjects.json.length).toBeGreaterThan(0);
    expect(subjects.json.every((subject) => subject.startsWith("orders-"))).toBe(true);
    expect((await h.call("GET", `/schemas/ids/${orders}`, { key })).status).toBe(200);
    expect((await h.call("GET", `/schemas/ids/${users}`, { key })).status).toBe(403);
    expect((await h.call("GET", "/subjects/:.other:orders-value/versions", { key })).status).toBe(403);
    expect((await h.call("PUT", "/config", { key, body: { compatibility: "NONE" } })).status).toBe(403);
    // An alias stands for its target: a scoped key cannot point its subject outside its prefix, nor use such an alias.
    expect((await h.call("PUT", "/config/orders-alias", { key, body: { alias: "users-value" } })).status).toBe(403);
    expect((await h.call("PUT", "/config/orders-alias", { key, body: { alias: "orders-value" } })).status).toBe(200);
    expect((await h.call("PUT", "/config/orders-escape", { body: { alias: "users-value" } })).status).toBe(200);
    expect((await h.call("GET", "/subjects/orders-escape/versions", { key })).status).toBe(403);
    expect((await h.call("GET", "/subjects/orders-alias/versions", { key })).json).toEqual([1]);
    expect((await h.call("GET", "/api/products", { key })).status).toBe(403);
  });
});

describe("the audit log", () => {
  it("hashes the defaults a first settings change replaces: the chain starts at its first entry", async () => {
    const level = "/mode/:.audit-chain:";
    const first = await h.call("PUT", level, {
      body: { mode: "READONLY" },
      headers: { "x-request-id": "req-chain-1" },
    });
    const second = await h.call("PUT", level, {
      body: { mode: "READWRITE" },
      headers: { "x-request-id": "req-chain-2" },
    });
    expect([first.status, second.status]).toEqual([200, 200]);
    const entries = (await audit("actor=admin&limit=100")).items;
    const [one, two] = ["req-chain-1", "req-chain-2"].map((id) => entries.find((entry) => entry.requestId === id));
    expect(one?.beforeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(one?.afterHash).not.toBe(one?.beforeHash);
    expect(two?.beforeHash).toBe(one?.afterHash);
  });

  it("records each kind of mutation with who, what, target, outcome and the before/after hashes", async () => {
    const writer = await createKey({ role: "write", description: "audited" });
    const created = await h.call<{ id: string }>("POST", "/api/products", {
      key: writer.key,
      body: { name: "Audited" },
      headers: { "x-request-id": "req-audit-create" },
    });
    const patched = await h.call("PATCH", `/api/products/${created.json.id}`, {
      key: writer.key,
      body: { description: "now described" },
    });
    const removed = await h.call("DELETE", `/api/products/${created.json.id}`, { key: writer.key });
    expect([created.status, patched.status, removed.status]).toEqual([201, 200, 200]);
    const entries = (await audit(`actor=${writer.id}`)).items;
    expect(entries.map((entry) => entry.action)).toEqual(["product.delete", "product.update", "product.create"]);
    const [deleteEntry, updateEntry, createEntry] = entries as [AuditItem, AuditItem, AuditItem];
    expect(createEntry).toMatchObject({
      actor: writer.id,
      target: `/api/products/${created.json.id}`,
      outcome: "ok",
      status: 201,
      requestId: "req-audit-create",
      beforeHash: null,
      afterHash: sha256(created.text),
    });
    expect(updateEntry).toMatchObject({ beforeHash: sha256(created.text), afterHash: sha256(patched.text) });
    expect(deleteEntry).toMatchObject({ beforeHash: sha256(patched.text), afterHash: null });

    // Confluent mutations, key changes, settings and refusals are recorded too.
    await h.call("POST", "/subjects/audited-value/versions", { key: writer.key, body: { schema: AVRO("Audited") } });
    await h.call("PUT", "/config/audited-value", { key: writer.key, body: { compatibility: "FULL" } });
    await h.call("DELETE", "/subjects/audited-value", { key: writer.key });
    await h.call("PUT", "/config", { key: writer.key, body: { compatibility: "NONE" } });
    await h.call("GET", "/api/keys", { key: writer.key });
    await h.call("POST", "/api/products", { key: writer.key, body: { name: "" } });
    const latest = (await audit(`actor=${writer.id}&limit=6`)).items.map((entry) => [
      entry.action,
      entry.outcome,
      entry.status,
    ]);
    expect(latest).toEqual([
      ["product.create", "error", 400],
      ["key.list", "denied", 403],
      ["config.update", "denied", 403],
      ["subject.delete", "ok", 200],
      ["subject.config.update", "ok", 200],
      ["subject.register", "ok", 200],
    ]);
    // A Confluent change hashes the state of the subject it names, before and after: the chain links up.
    const [registered, configured, deleted] = (
      await audit(`actor=${writer.id}&outcome=ok&limit=3`)
    ).items.reverse() as [AuditItem, AuditItem, AuditItem];
    expect(registered).toMatchObject({
      action: "subject.register",
      beforeHash: null,
      afterHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(configured).toMatchObject({
      action: "subject.config.update",
      beforeHash: registered.afterHash,
      afterHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(configured.afterHash).not.toBe(configured.beforeHash);
    expect(deleted).toMatchObject({
      action: "subject.delete",
      beforeHash: configured.afterHash,
      afterHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(deleted.afterHash).not.toBe(deleted.beforeHash);

    const keyEntries = (await audit(`action=key.create&target=/api/keys/${writer.id}`)).items;
    expect(keyEntries).toHaveLength(1);
    expect(keyEntries[0]).toMatchObject({
      actor: "admin",
      outcome: "ok",
      beforeHash: null,
      afterHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // Reads are not recorded.
    expect((await audit(`actor=${writer.id}&action=product.list`)).items).toHaveLength(0);
  });

  it("hashes a context's own settings before and after a change, however the URL writes the context", async () => {
    const spellings = ["/contexts/.audctx/config", "/contexts/:.audctx:/config", "/contexts/audctx/config"];
    const levels = ["FULL", "NONE", "BACKWARD"];
    for (const [i, path] of spellings.entries()) {
      const reply = await h.call("PUT", path, {
        body: { compatibility: levels[i] },
        headers: { "x-request-id": `req-audctx-${i}` },
      });
      expect(reply.status, reply.text).toBe(200);
    }
    const recent = (await audit("actor=admin&limit=100")).items;
    const [first, second, third] = spellings.map((_, i) => recent.find((e) => e.requestId === `req-audctx-${i}`)!);
    expect(first).toMatchObject({ outcome: "ok", afterHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Each change starts from the state the one before left, whichever spelling named the context.
    expect(second!.beforeHash).toBe(first!.afterHash);
    expect(third!.beforeHash).toBe(second!.afterHash);
    expect(new Set([first!.afterHash, second!.afterHash, third!.afterHash]).size).toBe(3);
  });

  it("records refusals by a known key id, at most 20 a minute each, and none for unknown key ids", async () => {
    const victim = await createKey({ role: "read" });
    for (let index = 0; index < 25; index += 1)
      await h.call("GET", "/api/products", {
        key: null,
        headers: { authorization: `Bearer wfp_${victim.id}_${"A".repeat(43)}` },
      });
    const denied = (await audit(`actor=${victim.id}&outcome=denied&limit=100`)).items;
    expect(denied).toHaveLength(20);
    expect(denied[0]).toMatchObject({ action: "product.list", status: 401, target: "/api/products" });
    await h.call("GET", "/api/products", {
      key: null,
      headers: { authorization: `Bearer wfp_ghost_${"A".repeat(43)}` },
    });
    expect((await audit("actor=ghost")).items).toHaveLength(0);
  });

  it("pages newest first with a cursor and filters by time", async () => {
    const key = await createKey({ role: "write" });
    for (let index = 0; index < 5; index += 1)
      await h.call("PUT", "/config/paged-value", { key: key.key, body: { compatibility: "FULL" } });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: AuditItem[]; nextCursor: string | null } = await audit(
        `actor=${key.id}&limit=2${cursor === null ? "" : `&cursor=${cursor}`}`,
      );
      seen.push(...page.items.map((entry) => entry.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(5);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect((await audit(`actor=${key.id}&since=${new Date(Date.now() + 60_000).toISOString()}`)).items).toHaveLength(0);
    expect((await audit(`actor=${key.id}&until=${new Date(Date.now() + 60_000).toISOString()}`)).items).toHaveLength(5);
    expect((await h.call("GET", "/api/audit?outcome=maybe")).status).toBe(400);
  });

  it("prunes entries older than the retention setting when the log is written", async () => {
    expect((await h.call("GET", "/api/settings")).json).toEqual({ auditRetentionDays: 90 });
    const db = await h.d1();
    const old = new Date(Date.now() - 10 * 86_400_000).toISOString();
    for (let index = 0; index < 3; index += 1) {
      await db
        .prepare(
          "INSERT INTO audit_log (at, actor, action, target, outcome, status, request_id) " +
            "VALUES (?, 'old', 'x', '/x', 'ok', 200, 'r')",
        )
        .bind(old)
        .run();
    }
    const put = await h.call("PUT", "/api/settings", { body: { auditRetentionDays: 7 } });
    expect(put.json).toEqual({ auditRetentionDays: 7 });
    expect((await audit("actor=old")).items).toHaveLength(0);
    expect((await audit("action=settings.update")).items[0]).toMatchObject({
      beforeHash: sha256(JSON.stringify({ auditRetentionDays: 90 })),
      afterHash: sha256(JSON.stringify({ auditRetentionDays: 7 })),
    });
    expect((await h.call("PUT", "/api/settings", { body: { auditRetentionDays: 0 } })).status).toBe(400);
    await h.call("PUT", "/api/settings", { body: { auditRetentionDays: 90 } });
  });
});
