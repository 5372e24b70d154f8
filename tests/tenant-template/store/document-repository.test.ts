/**
 * The document repository in real workerd on a real D1 database with the tenant migrations
 * applied (through the store harness Worker). Each test creates its own documents, under its own
 * product, so tests never see each other's data.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startStoreHarness, type StoreHarness } from "./harness/store-harness.ts";

let harness: StoreHarness;
beforeAll(async () => {
  harness = await startStoreHarness(["repo"]);
});
afterAll(async () => {
  await harness?.dispose();
});

interface Doc<B = Record<string, unknown>> {
  id: string;
  body: B;
  version: number;
  createdAt: string;
  updatedAt: string;
}
type Result<B = Record<string, unknown>> =
  | { ok: true; document: Doc<B> }
  | { ok: false; kind: string; [key: string]: unknown };

const op = async <T = Result>(collection: string, name: string, input: unknown) =>
  (await harness.call<T>("repo", "POST", `/c/${collection}/${name}`, input)).json;
const get = async (collection: string, id: string) =>
  (await harness.call<{ document: Doc | null }>("repo", "GET", `/c/${collection}/${id}`)).json.document;
const created = (result: Result): Doc => {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.document;
};
const newProduct = async (name: string) => created(await op("products", "insert", { body: { name } }));

describe("insert, get, update, delete", () => {
  test("a document round-trips with version 1, then each update bumps the version and keeps created_at", async () => {
    const product = await newProduct("crud");
    expect(product).toMatchObject({ body: { name: "crud" }, version: 1 });
    expect(product.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(product.createdAt).toBe(product.updatedAt);
    expect(await get("products", product.id)).toEqual(product);

    const updated = created(
      await op("products", "update", { id: product.id, body: { name: "crud", description: "v2" }, expectedVersion: 1 }),
    );
    expect(updated).toMatchObject({
      id: product.id,
      version: 2,
      body: { name: "crud", description: "v2" },
      createdAt: product.createdAt,
    });
    expect(await get("products", product.id)).toEqual(updated);

    // The generated column follows the body: the indexed value is what a filter sees.
    const db = await harness.d1("repo");
    await op("products", "update", { id: product.id, body: { name: "crud renamed" }, expectedVersion: 2 });
    expect(await db.prepare("SELECT name, _version FROM products WHERE id = ?").bind(product.id).first()).toEqual({
      name: "crud renamed",
      _version: 3,
    });

    expect(await op("products", "delete", { id: product.id, expectedVersion: 3 })).toEqual({
      ok: true,
      id: product.id,
    });
    expect(await get("products", product.id)).toBeNull();
    expect(await op("products", "delete", { id: product.id, expectedVersion: 3 })).toEqual({
      ok: false,
      kind: "not_found",
      id: product.id,
    });
    expect(await op("products", "update", { id: product.id, body: { name: "x" }, expectedVersion: 3 })).toEqual({
      ok: false,
      kind: "not_found",
      id: product.id,
    });
  });

  test("a stale version is refused on update and on delete, and nothing is written", async () => {
    const product = await newProduct("stale");
    const first = created(
      await op("products", "update", {
        id: product.id,
        body: { name: "stale", description: "first" },
        expectedVersion: 1,
      }),
    );
    // A second writer that read version 1 too.
    expect(
      await op("products", "update", {
        id: product.id,
        body: { name: "stale", description: "second" },
        expectedVersion: 1,
      }),
    ).toEqual({
      ok: false,
      kind: "version_conflict",
      id: product.id,
      expectedVersion: 1,
      currentVersion: 2,
    });
    expect(await op("products", "delete", { id: product.id, expectedVersion: 1 })).toMatchObject({
      ok: false,
      kind: "version_conflict",
      currentVersion: 2,
    });
    expect(await get("products", product.id)).toEqual(first);
  });

  test("bodies are validated by the collection's zod schema; refused bodies and ids write nothing", async () => {
    const refused = await op("domains", "insert", { body: { name: "no parent" } });
    expect(refused).toMatchObject({ ok: false, kind: "invalid_input", issues: [{ path: ["productId"] }] });
    expect(await op("domains", "insert", { id: "bad id!", body: { productId: "p", name: "n" } })).toMatchObject({
      ok: false,
      kind: "invalid_input",
      issues: [{ path: ["id"] }],
    });
    const product = await newProduct("validated");
    expect(await op("products", "update", { id: product.id, body: { name: 42 }, expectedVersion: 1 })).toMatchObject({
      ok: false,
      kind: "invalid_input",
    });
    expect(await get("products", product.id)).toEqual(product);
    // Unknown keys are stripped (zod's default), so what is stored is what the schema describes.
    const stripped = created(await op("products", "insert", { body: { name: "stripped", extra: true } }));
    expect(stripped.body).toEqual({ name: "stripped" });
  });
});

describe("unique constraints", () => {
  test(`a duplicate sibling name is a typed unique_violation naming the constraint; \
the same name under another parent is fine`, async () => {
    const a = await newProduct("unique-a");
    const b = await newProduct("unique-b");
    const payments = created(await op("domains", "insert", { body: { productId: a.id, name: "Payments" } }));
    expect(await op("domains", "insert", { body: { productId: a.id, name: "Payments" } })).toEqual({
      ok: false,
      kind: "unique_violation",
      constraint: "domains_product_id_name_unique",
      fields: ["product_id", "name"],
    });
    created(await op("domains", "insert", { body: { productId: b.id, name: "Payments" } }));
    // Renaming into a sibling's name is refused the same way, and leaves the document as it was.
    const billing = created(await op("domains", "insert", { body: { productId: a.id, name: "Billing" } }));
    expect(
      await op("domains", "update", {
        id: billing.id,
        body: { productId: a.id, name: "Payments" },
        expectedVersion: 1,
      }),
    ).toMatchObject({
      ok: false,
      kind: "unique_violation",
      constraint: "domains_product_id_name_unique",
    });
    expect(await get("domains", billing.id)).toEqual(billing);
    // A duplicate id is a unique violation too (the primary key).
    expect(await op("domains", "insert", { id: payments.id, body: { productId: b.id, name: "Other" } })).toEqual({
      ok: false,
      kind: "unique_violation",
      constraint: "domains_id_unique",
      fields: ["id"],
    });
    expect(await op("products", "insert", { body: { name: "unique-a" } })).toMatchObject({
      ok: false,
      kind: "unique_violation",
      constraint: "products_name_unique",
    });
  });
});

describe("list", () => {
  test("filters on indexed columns and pages with an opaque cursor: every match once, in a stable order", async () => {
    const product = await newProduct("list");
    const other = await newProduct("list-other");
    const names = Array.from({ length: 23 }, (_, i) => `domain-${String(i).padStart(2, "0")}`);
    const ids: string[] = [];
    for (const name of names)
      ids.push(created(await op("domains", "insert", { body: { productId: product.id, name } })).id);
    for (const name of ["x", "y", "z"]) await op("domains", "insert", { body: { productId: other.id, name } });

    const seen: Doc<{ name: string; productId: string }>[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: Doc<{ name: string; productId: string }>[]; nextCursor: string | null } = await op(
        "domains",
        "list",
        {
          where: { product_id: product.id },
          limit: 10,
          cursor,
        },
      );
      expect(page.items.length).toBeLessThanOrEqual(10);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
      if (cursor !== null) expect(cursor).not.toContain(page.items.at(-1)!.id); // opaque, not the raw id
    } while (cursor !== null && pages < 10);

    expect(pages).toBe(3);
    expect(seen.every((doc) => doc.body.productId === product.id)).toBe(true);
    expect(seen.map((doc) => doc.id)).toEqual([...ids].sort());
    expect(new Set(seen.map((doc) => doc.body.name))).toEqual(new Set(names));

    // Two filters at once, and a filter matching nothing.
    const one = await op<{ items: Doc[]; nextCursor: string | null }>("domains", "list", {
      where: { product_id: product.id, name: "domain-07" },
    });
    expect(one.items.map((doc) => doc.id)).toEqual([ids[7]]);
    expect(one.nextCursor).toBeNull();
    expect((await op<{ items: Doc[] }>("domains", "list", { where: { product_id: "nobody" } })).items).toEqual([]);
  });

  test("a cursor the store did not issue is refused; a filter on a non-indexed field is refused", async () => {
    expect((await harness.call("repo", "POST", "/c/domains/list", { cursor: "not-a-cursor" })).json).toMatchObject({
      error: { code: "bad_cursor" },
    });
    expect((await harness.call("repo", "POST", "/c/domains/list", { where: { description: "x" } })).status).toBe(500);
  });
});
