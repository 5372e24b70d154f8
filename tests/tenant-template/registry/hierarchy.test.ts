/**
 * The hierarchical API on the tenant Worker in workerd with real D1 and every migration applied:
 * products > domains > contexts through app-level HTTP requests. CRUD at each level, the parent
 * must exist, names unique among siblings, ETag / If-Match, bookmarks, cascade delete with counts,
 * the default hierarchy of a fresh database, stats.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contexts, domains, products } from "../../../tenant-template/src/store/collections.ts";
import { startRegistryHarness, type RegistryHarness } from "./registry-harness.ts";

let api: RegistryHarness;
beforeAll(async () => {
  api = await startRegistryHarness(["crud", "fresh", "cascade"]);
});
afterAll(async () => {
  await api?.dispose();
});

interface Doc {
  id: string;
  name: string;
  version: number;
  [field: string]: unknown;
}
interface Page {
  items: Doc[];
  nextCursor: string | null;
}

const DEFAULT_PRODUCT = "00000000-0000-7000-8000-000000000001";
const DEFAULT_DOMAIN = "00000000-0000-7000-8000-000000000002";
const DEFAULT_CONTEXT = "00000000-0000-7000-8000-000000000003";

describe("a fresh database", () => {
  it("starts with My Product > My Domain > My Context, bodies valid for their collections", async () => {
    const productsPage = await api.call<Page>("fresh", "GET", "/api/products");
    expect(productsPage.json.items).toMatchObject([{ id: DEFAULT_PRODUCT, name: "My Product", version: 1 }]);
    const domainsPage = await api.call<Page>("fresh", "GET", `/api/products/${DEFAULT_PRODUCT}/domains`);
    expect(domainsPage.json.items).toMatchObject([
      { id: DEFAULT_DOMAIN, name: "My Domain", productId: DEFAULT_PRODUCT },
    ]);
    const contextsPage = await api.call<Page>("fresh", "GET", `/api/domains/${DEFAULT_DOMAIN}/contexts`);
    expect(contextsPage.json.items).toMatchObject([
      { id: DEFAULT_CONTEXT, name: "My Context", domainId: DEFAULT_DOMAIN },
    ]);

    const db = await api.d1("fresh");
    for (const collection of [products, domains, contexts]) {
      const rows = (
        await db.prepare(`SELECT body, created_at FROM ${collection.name}`).all<{ body: string; created_at: string }>()
      ).results;
      expect(rows).toHaveLength(1);
      expect(collection.body.safeParse(JSON.parse(rows[0]!.body)).success, collection.name).toBe(true);
      expect(new Date(rows[0]!.created_at).toISOString()).toBe(rows[0]!.created_at);
    }

    const stats = await api.call("fresh", "GET", "/api/stats");
    expect(stats.status).toBe(200);
    expect(stats.json).toMatchObject({ counts: { products: 1, domains: 1, contexts: 1, schemas: 0, versions: 0 } });
    const storage = (stats.json as { storage: { databaseBytes: number | null; documentBytes: number } }).storage;
    expect(storage.documentBytes).toBeGreaterThan(100);
    expect(storage.databaseBytes === null || storage.databaseBytes > storage.documentBytes).toBe(true);
  });
});

describe("products, domains and contexts", () => {
  it("create (201, Location, ETag), read, update, list, delete at every level", async () => {
    const product = await api.call<Doc>("crud", "POST", "/api/products", { name: "Shop", description: "the web shop" });
    expect(product.status).toBe(201);
    expect(product.headers.get("location")).toBe(`/api/products/${product.json.id}`);
    expect(product.headers.get("etag")).toBe('"1"');
    expect(product.json).toMatchObject({ name: "Shop", description: "the web shop", version: 1 });

    const domain = await api.call<Doc>("crud", "POST", `/api/products/${product.json.id}/domains`, {
      name: "Payments",
    });
    expect(domain.status).toBe(201);
    expect(domain.headers.get("location")).toBe(`/api/domains/${domain.json.id}`);
    expect(domain.json).toMatchObject({ productId: product.json.id, name: "Payments" });

    const context = await api.call<Doc>("crud", "POST", `/api/domains/${domain.json.id}/contexts`, { name: "Billing" });
    expect(context.status).toBe(201);
    expect(context.headers.get("location")).toBe(`/api/contexts/${context.json.id}`);

    for (const [path, name] of [
      [`/api/products/${product.json.id}`, "Shop"],
      [`/api/domains/${domain.json.id}`, "Payments"],
      [`/api/contexts/${context.json.id}`, "Billing"],
    ] as const) {
      const read = await api.call<Doc>("crud", "GET", path);
      expect(read.status, path).toBe(200);
      expect(read.json.name).toBe(name);
      expect(read.headers.get("etag")).toBe('"1"');

      const renamed = await api.call<Doc>("crud", "PATCH", path, { description: `about ${name}` });
      expect(renamed.status, path).toBe(200);
      expect(renamed.json).toMatchObject({ name, description: `about ${name}`, version: 2 });
      expect(renamed.headers.get("etag")).toBe('"2"');
    }

    const listed = await api.call<Page>("crud", "GET", `/api/domains/${domain.json.id}/contexts?name=Billing`);
    expect(listed.json.items.map((item) => item.id)).toEqual([context.json.id]);
    const none = await api.call<Page>("crud", "GET", `/api/domains/${domain.json.id}/contexts?name=Other`);
    expect(none.json).toEqual({ items: [], nextCursor: null });

    const removed = await api.call("crud", "DELETE", `/api/contexts/${context.json.id}`);
    expect(removed.status).toBe(200);
    expect(removed.json).toEqual({ removed: { contexts: 1, schemas: 0, versions: 0 } });
    expect((await api.call("crud", "GET", `/api/contexts/${context.json.id}`)).status).toBe(404);
  });

  it("lists page by page with limit and nextCursor, never repeating or skipping", async () => {
    const product = await api.call<Doc>("crud", "POST", "/api/products", { name: "Paged" });
    const names = Array.from({ length: 7 }, (_, i) => `d${i}`);
    for (const name of names)
      expect((await api.call("crud", "POST", `/api/products/${product.json.id}/domains`, { name })).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { json: Page } = await api.call<Page>(
        "crud",
        "GET",
        `/api/products/${product.json.id}/domains?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.json.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.json.items.map((item) => item.name));
      cursor = page.json.nextCursor;
    } while (cursor !== null);
    expect(seen.sort()).toEqual(names);
  });

  it("answers 404 naming the parent when it does not exist, and writes nothing", async () => {
    const missing = "00000000-0000-7000-8000-00000000dead";
    for (const path of [
      `/api/products/${missing}/domains`,
      `/api/domains/${missing}/contexts`,
      `/api/contexts/${missing}/schemas`,
    ]) {
      const created = await api.call(
        "crud",
        "POST",
        path,
        path.endsWith("schemas") ? { name: "x", schemaTypeCategory: "Events", scope: "Public" } : { name: "x" },
      );
      expect(created.status, path).toBe(404);
      const parent = path.split("/")[2]!.replace(/s$/, "");
      expect(created.json).toMatchObject({
        error: { code: "not_found", message: expect.stringContaining(`No ${parent} with id "${missing}"`) },
      });
      expect((await api.call("crud", "GET", path)).status).toBe(404);
    }
  });

  it("refuses a sibling with the same name (409) but allows it under another parent", async () => {
    const a = await api.call<Doc>("crud", "POST", "/api/products", { name: "Siblings A" });
    const b = await api.call<Doc>("crud", "POST", "/api/products", { name: "Siblings B" });
    expect((await api.call("crud", "POST", "/api/products", { name: "Siblings A" })).status).toBe(409);
    expect((await api.call("crud", "POST", `/api/products/${a.json.id}/domains`, { name: "Core" })).status).toBe(201);
    const dup = await api.call("crud", "POST", `/api/products/${a.json.id}/domains`, { name: "Core" });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({
      error: { code: "conflict", message: 'A domain named "Core" already exists in this product.' },
    });
    expect((await api.call("crud", "POST", `/api/products/${b.json.id}/domains`, { name: "Core" })).status).toBe(201);
    // Renaming onto a sibling's name is the same conflict.
    const other = await api.call<Doc>("crud", "POST", `/api/products/${a.json.id}/domains`, { name: "Edge" });
    expect((await api.call("crud", "PATCH", `/api/domains/${other.json.id}`, { name: "Core" })).status).toBe(409);
    expect((await api.call<Doc>("crud", "GET", `/api/domains/${other.json.id}`)).json).toMatchObject({
      name: "Edge",
      version: 1,
    });
  });

  it("If-Match: a stale ETag is 412 on update and delete and changes nothing; the current one succeeds", async () => {
    const product = await api.call<Doc>("crud", "POST", "/api/products", { name: "Guarded" });
    const path = `/api/products/${product.json.id}`;
    const first = await api.call<Doc>("crud", "PATCH", path, { description: "v2" }, { "if-match": '"1"' });
    expect(first.status).toBe(200);
    expect(first.headers.get("etag")).toBe('"2"');

    const stale = await api.call("crud", "PATCH", path, { description: "lost?" }, { "if-match": '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.json).toMatchObject({ error: { code: "precondition_failed" } });
    expect((await api.call("crud", "DELETE", path, undefined, { "if-match": '"1"' })).status).toBe(412);
    expect((await api.call("crud", "PATCH", path, { description: "x" }, { "if-match": "not-a-tag" })).status).toBe(400);
    expect((await api.call<Doc>("crud", "GET", path)).json).toMatchObject({ description: "v2", version: 2 });

    expect((await api.call("crud", "DELETE", path, undefined, { "if-match": '"2"' })).status).toBe(200);
    expect((await api.call("crud", "GET", path)).status).toBe(404);
  });

  it("every response carries x-d1-bookmark, and a read sent with a write's bookmark sees the write", async () => {
    const created = await api.call<Doc>("crud", "POST", "/api/products", { name: "Bookmarked" });
    const bookmark = created.headers.get("x-d1-bookmark");
    expect(bookmark).toBeTruthy();
    const read = await api.call<Doc>("crud", "GET", `/api/products/${created.json.id}`, undefined, {
      "x-d1-bookmark": bookmark!,
    });
    expect(read.status).toBe(200);
    expect(read.json.name).toBe("Bookmarked");
    expect(read.headers.get("x-d1-bookmark")! >= bookmark!).toBe(true);
    for (const path of ["/api/products", "/api/stats", `/api/products/${created.json.id}/domains`]) {
      expect((await api.call("crud", "GET", path)).headers.get("x-d1-bookmark"), path).toBeTruthy();
    }
    // Error responses too.
    expect((await api.call("crud", "GET", "/api/products/nope")).headers.get("x-d1-bookmark")).toBeTruthy();
  });
});

describe("cascade delete", () => {
  it("removes everything below, in one batch, and says how many per level", async () => {
    const product = await api.call<Doc>("cascade", "POST", "/api/products", { name: "Doomed" });
    const domainIds: string[] = [];
    for (const name of ["a", "b"])
      domainIds.push(
        (await api.call<Doc>("cascade", "POST", `/api/products/${product.json.id}/domains`, { name })).json.id,
      );
    const contextIds: string[] = [];
    for (const [i, domainId] of domainIds.entries()) {
      for (let j = 0; j <= i; j += 1)
        contextIds.push(
          (await api.call<Doc>("cascade", "POST", `/api/domains/${domainId}/contexts`, { name: `c${j}` })).json.id,
        );
    }
    const schema = await api.call<Doc>("cascade", "POST", `/api/contexts/${contextIds[0]}/schemas`, {
      name: "OrderPlaced",
      schemaTypeCategory: "Events",
      scope: "Public",
    });
    expect(schema.status).toBe(201);
    for (const semanticVersion of ["1.0.0", "1.1.0"]) {
      const version = await api.call("cascade", "POST", `/api/schemas/${schema.json.id}/versions`, {
        semanticVersion,
        format: "JSON",
        specification: '{"type":"object"}',
      });
      expect(version.status).toBe(201);
    }

    const before = (await api.call<{ counts: Record<string, number> }>("cascade", "GET", "/api/stats")).json.counts;
    const removed = await api.call("cascade", "DELETE", `/api/products/${product.json.id}`);
    expect(removed.status).toBe(200);
    expect(removed.json).toEqual({ removed: { products: 1, domains: 2, contexts: 3, schemas: 1, versions: 2 } });
    const after = (await api.call<{ counts: Record<string, number> }>("cascade", "GET", "/api/stats")).json.counts;
    expect(after).toEqual({
      products: before.products! - 1,
      domains: before.domains! - 2,
      contexts: before.contexts! - 3,
      schemas: before.schemas! - 1,
      versions: before.versions! - 2,
    });
    for (const path of [
      `/api/domains/${domainIds[1]}`,
      `/api/contexts/${contextIds[2]}`,
      `/api/schemas/${schema.json.id}`,
    ]) {
      expect((await api.call("cascade", "GET", path)).status, path).toBe(404);
    }
    // The default hierarchy in the same database was not touched.
    expect((await api.call("cascade", "GET", `/api/contexts/${DEFAULT_CONTEXT}`)).status).toBe(200);
  });

  it("a stale If-Match on a cascade deletes nothing at any level", async () => {
    const product = await api.call<Doc>("cascade", "POST", "/api/products", { name: "Kept" });
    const domain = await api.call<Doc>("cascade", "POST", `/api/products/${product.json.id}/domains`, { name: "kept" });
    await api.call("cascade", "PATCH", `/api/products/${product.json.id}`, { description: "v2" });
    expect(
      (await api.call("cascade", "DELETE", `/api/products/${product.json.id}`, undefined, { "if-match": '"1"' }))
        .status,
    ).toBe(412);
    expect((await api.call("cascade", "GET", `/api/domains/${domain.json.id}`)).status).toBe(200);
  });
});
