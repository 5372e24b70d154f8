/**
 * Export / import (per-tenant backup and restore) through the tenant template Worker exactly as
 * tenants run it (real workerd, real D1 with every migration, so each tenant starts with the
 * default hierarchy). Registries are seeded straight into D1 with canonical bodies (what the store
 * writes), so these tests do not depend on the rest of the API.
 */
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { applyMigrationsLocally } from "../../../scripts/lib/local-migrations.ts";
import { bundleTenantTemplate } from "../../../scripts/lib/worker-bundles.ts";
import { tenantRequestHeaders, tenantSecretBindings } from "../../support/tenant-credentials.ts";

const TENANTS = ["source", "target", "busy", "bad", "large", "limit"] as const;
type Tenant = (typeof TENANTS)[number];

let mf: Miniflare;
beforeAll(async () => {
  const code = await bundleTenantTemplate();
  mf = new Miniflare({
    workers: TENANTS.map((tenant) => ({
      name: `tenant-${tenant}`,
      modules: true,
      script: code,
      compatibilityDate: "2026-06-01",
      d1Databases: { DB: `backup-test-${tenant}` },
      kvNamespaces: { CACHE: `backup-test-${tenant}-cache` },
      bindings: {
        TENANT_ID: tenant,
        TEMPLATE_VERSION: "test",
        RESIDENCY: "global",
        CACHE_MODE: "off",
        ...tenantSecretBindings(),
      },
    })),
  });
  await mf.ready;
  for (const tenant of TENANTS) await applyMigrationsLocally(await mf.getD1Database("DB", `tenant-${tenant}`));
});
afterAll(async () => {
  await mf?.dispose();
});

const request = async (tenant: Tenant, method: string, path: string, body?: string) =>
  (await mf.getWorker(`tenant-${tenant}`)).fetch(`http://registry.${tenant}.test${path}`, {
    method,
    headers: { ...tenantRequestHeaders(), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body }),
  });
const exportText = async (tenant: Tenant) => {
  const res = await request(tenant, "GET", "/api/export");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return res.text();
};
const importText = async (tenant: Tenant, body: string) => {
  const res = await request(tenant, "POST", "/api/import", body);
  return {
    status: res.status,
    json: (await res.json()) as Record<string, unknown> & {
      error?: { code: string; details?: { path: string; message: string }[] };
    },
  };
};

type Row = [id: string, body: unknown, createdAt: string, updatedAt: string, version: number];

/** Inserts rows as the store would have stored them (bodies in the zod schema's key order). */
async function seed(tenant: Tenant, table: string, rows: Row[]): Promise<void> {
  const db = await mf.getD1Database("DB", `tenant-${tenant}`);
  for (let start = 0; start < rows.length; start += 1000) {
    const chunk = rows
      .slice(start, start + 1000)
      .map(([id, body, created, updated, version]) => [id, JSON.stringify(body), created, updated, version]);
    await db
      .prepare(
        `INSERT INTO ${table} (id, body, created_at, updated_at, _version) ` +
          `SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]' ` +
          `FROM json_each(?)`,
      )
      .bind(JSON.stringify(chunk))
      .run();
  }
}

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const DEFAULT_CONTEXT = "00000000-0000-7000-8000-000000000003";

async function seedEveryLevel(tenant: Tenant): Promise<void> {
  await seed(tenant, "products", [
    ["p-shop", { name: "Shop", description: "Unicode: café ✓ \u2028" }, at(1), at(9), 3],
  ]);
  await seed(tenant, "domains", [["d-orders", { productId: "p-shop", name: "Orders" }, at(2), at(2), 1]]);
  await seed(tenant, "contexts", [
    ["c-checkout", { domainId: "d-orders", name: "Checkout", description: "where orders start" }, at(3), at(4), 2],
  ]);
  await seed(tenant, "schemas", [
    [
      "s-placed",
      { contextId: "c-checkout", name: "OrderPlaced", schemaTypeCategory: "Events", scope: "Public" },
      at(5),
      at(5),
      1,
    ],
    [
      "s-default",
      {
        contextId: DEFAULT_CONTEXT,
        name: "Hello",
        description: "in the default context",
        schemaTypeCategory: "Data",
        scope: "Private",
      },
      at(5),
      at(6),
      2,
    ],
  ]);
  const spec = JSON.stringify({ type: "object", properties: { orderId: { type: "string" } }, required: ["orderId"] });
  await seed(tenant, "schema_versions", [
    [
      "v-1",
      { schemaId: "s-placed", semanticVersion: "1.0.0", format: "JSON", specification: spec, status: "Published" },
      at(7),
      at(8),
      2,
    ],
    [
      "v-2",
      {
        schemaId: "s-placed",
        semanticVersion: "1.1.0",
        format: "JSON",
        specification: spec,
        description: "adds nothing",
        status: "Draft",
      },
      at(8),
      at(8),
      1,
    ],
  ]);
}

describe("export -> import -> export", () => {
  test("is byte-identical for a registry with documents at every level (ids, versions, timestamps kept)", async () => {
    await seedEveryLevel("source");
    const exported = await exportText("source");
    const parsed = JSON.parse(exported) as {
      format: string;
      collections: Record<string, { id: string; _version: number }[]>;
    };
    expect(parsed.format).toBe("wfp-schema-registry-export");
    expect(Object.fromEntries(Object.entries(parsed.collections).map(([name, docs]) => [name, docs.length]))).toEqual({
      products: 2,
      domains: 2,
      contexts: 2,
      schemas: 2,
      schema_versions: 2,
    });
    expect(parsed.collections.products!.find((doc) => doc.id === "p-shop")?._version).toBe(3);

    // The target is brand new: it holds only the default hierarchy, which the import replaces.
    const imported = await importText("target", exported);
    expect(imported).toMatchObject({
      status: 201,
      json: { replacedDefaultHierarchy: true, imported: { products: 2, schema_versions: 2 } },
    });
    expect(await exportText("target")).toBe(exported);
  });
});

describe("import refuses, and writes nothing", () => {
  test("into a registry that is not empty (409 naming what is there)", async () => {
    await seed("busy", "products", [["p-existing", { name: "Existing" }, at(1), at(1), 1]]);
    const before = await exportText("busy");
    const source = await exportText("source");
    const refused = await importText("busy", source);
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({
      code: "registry_not_empty",
      details: expect.arrayContaining([{ path: "registry/products", message: "2 documents" }]),
    });
    expect(await exportText("busy")).toBe(before);
  });

  test("into a registry whose default hierarchy was edited (it is data now)", async () => {
    const db = await mf.getD1Database("DB", "tenant-limit");
    await db.prepare("UPDATE contexts SET _version = 2 WHERE id = ?").bind(DEFAULT_CONTEXT).run();
    const before = await exportText("limit");
    expect((await importText("limit", await exportText("source"))).status).toBe(409);
    expect(await exportText("limit")).toBe(before);
    await db.prepare("UPDATE contexts SET _version = 1 WHERE id = ?").bind(DEFAULT_CONTEXT).run();
  });

  test("a document its collection's schema refuses: 422 with the document's path", async () => {
    const before = await exportText("bad");
    const document = JSON.parse(await exportText("source")) as {
      collections: Record<string, { body: Record<string, unknown> }[]>;
    };
    document.collections.schema_versions![1]!.body.status = "Bogus";
    const refused = await importText("bad", JSON.stringify(document));
    expect(refused.status).toBe(422);
    expect(refused.json.error).toMatchObject({
      code: "invalid_document",
      details: [{ path: "body/collections/schema_versions/1/body/status" }],
    });
    expect(await exportText("bad")).toBe(before);
  });

  test("broken references and duplicates: 422 listing every problem; a wrong envelope: 400", async () => {
    const before = await exportText("bad");
    const document = JSON.parse(await exportText("source")) as {
      collections: Record<string, { id: string; body: Record<string, unknown> }[]>;
    };
    document.collections.domains![1]!.body.productId = "no-such-product";
    document.collections.schema_versions![1]!.body.semanticVersion = "1.0.0";
    document.collections.contexts![0]!.id = document.collections.contexts![1]!.id;
    const refused = await importText("bad", JSON.stringify(document));
    expect(refused.status).toBe(422);
    const paths = refused.json.error!.details!.map((detail) => detail.path).sort();
    expect(paths).toEqual([
      "body/collections/contexts/1/id",
      "body/collections/domains/1/body/productId",
      "body/collections/schema_versions/1/body",
      // The first context's id changed, so the schema under it lost its parent too.
      "body/collections/schemas/0/body/contextId",
    ]);

    const unknown = await importText(
      "bad",
      JSON.stringify({ ...document, collections: { ...document.collections, widgets: [] } }),
    );
    expect(unknown).toMatchObject({ status: 400, json: { error: { code: "unknown_fields" } } });
    const badVersion = JSON.parse(JSON.stringify(document)) as { collections: { products: { _version: unknown }[] } };
    badVersion.collections.products[0]!._version = 0;
    expect(await importText("bad", JSON.stringify(badVersion))).toMatchObject({
      status: 400,
      json: { error: { details: [{ path: "body/collections/products/0/_version" }] } },
    });
    expect((await importText("bad", "")).status).toBe(400);
    expect(await exportText("bad")).toBe(before);
  });
});

describe("size", () => {
  test("import has its own body limit: more than the API's 1 MiB is accepted, more than 16 MiB is 413", async () => {
    const big = "x".repeat(17 * 1024 * 1024);
    const tooLarge = await importText(
      "large",
      JSON.stringify({ format: "wfp-schema-registry-export", formatVersion: 1, collections: {}, pad: big }),
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json.error).toMatchObject({ code: "payload_too_large" });

    const document = JSON.parse(await exportText("source")) as {
      collections: Record<string, { body: Record<string, unknown> }[]>;
    };
    document.collections.schema_versions![1]!.body.specification = JSON.stringify({
      type: "string",
      description: "d".repeat(1_500_000),
    });
    const bigButAllowed = await importText("bad", JSON.stringify(document));
    expect(bigButAllowed.status).toBe(201);
    expect(JSON.parse(await exportText("bad"))).toEqual(document);
  });

  test("a 5,000-document export streams page by page instead of being built as one string", async () => {
    const schemas: Row[] = [];
    const versions: Row[] = [];
    for (let i = 0; i < 1000; i += 1) {
      const id = `s-${String(i).padStart(5, "0")}`;
      schemas.push([
        id,
        { contextId: DEFAULT_CONTEXT, name: `Schema ${i}`, schemaTypeCategory: "Events", scope: "Public" },
        at(1),
        at(1),
        1,
      ]);
      for (let v = 0; v < 4; v += 1) {
        versions.push([
          `${id}-v${v}`,
          {
            schemaId: id,
            semanticVersion: `1.${v}.0`,
            format: "AVRO",
            specification: '{"type":"string"}',
            status: "Draft",
          },
          at(2),
          at(2),
          1,
        ]);
      }
    }
    await seed("large", "schemas", schemas);
    await seed("large", "schema_versions", versions);

    const res = await request("large", "GET", "/api/export");
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const sizes: number[] = [];
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      sizes.push(value.byteLength);
      text += decoder.decode(value, { stream: true });
    }
    const document = JSON.parse(text) as { collections: Record<string, unknown[]> };
    expect(Object.values(document.collections).reduce((sum, docs) => sum + docs.length, 0)).toBe(5003);
    // 500 documents per page: at least 10 chunks, none anywhere near the whole document.
    expect(sizes.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...sizes)).toBeLessThan(text.length / 5);
  });
});
