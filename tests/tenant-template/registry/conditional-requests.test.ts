/**
 * If-Match on the hierarchical API's PATCH and DELETE, through the tenant Worker in workerd with
 * real D1 (RFC 9110 section 13.1.1): `*` or a list of entity tags, strong comparison, 412 when no
 * tag matches, 400 only for a value that is not `*` or entity tags, and nothing written unless the
 * condition holds. Every case makes its own documents. The parser alone: tests/tenant-template/if-match.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domains, products, schemaVersions } from "../../../tenant-template/src/store/collections.ts";
import { startRegistryHarness, type RegistryHarness } from "./registry-harness.ts";

const DB = "conditional";
const DEFAULT_CONTEXT = "00000000-0000-7000-8000-000000000003";
const AVRO = '{"type":"record","name":"Guarded","fields":[{"name":"id","type":"string"}]}';

let api: RegistryHarness;
beforeAll(async () => {
  api = await startRegistryHarness([DB]);
});
afterAll(async () => {
  await api?.dispose();
});

interface Doc {
  id: string;
  version: number;
  [field: string]: unknown;
}
interface ErrorJson {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}

/** The stored row itself, read from D1 past the API: what "nothing written" is checked against. */
async function storedRow(table: string, id: string): Promise<{ body: string; version: number } | null> {
  const db = await api.d1(DB);
  return db.prepare(`SELECT body, _version AS version FROM ${table} WHERE id = ?`).bind(id).first();
}

let counter = 0;
/** A product at version 2 (so `"1"` is a real, stale ETag) with one domain below it. */
async function guardedProduct(): Promise<{ path: string; id: string; domainId: string }> {
  counter += 1;
  const created = await api.call<Doc>(DB, "POST", "/api/products", { name: `Guarded ${counter}` });
  expect(created.status, created.text).toBe(201);
  const id = created.json.id;
  const updated = await api.call<Doc>(DB, "PATCH", `/api/products/${id}`, { description: "v2" });
  expect(updated.headers.get("etag")).toBe('"2"');
  const domain = await api.call<Doc>(DB, "POST", `/api/products/${id}/domains`, { name: "below" });
  expect(domain.status, domain.text).toBe(201);
  return { path: `/api/products/${id}`, id, domainId: domain.json.id };
}

const MATCHING = [
  ["the current tag", '"2"'],
  ["a list holding the current tag", '"1", "2"'],
  ["a list with a weak tag, a non-numeric one and the current one", 'W/"2","stale-etag-0" ,\t"2"'],
  ["*", "*"],
];
const NOT_MATCHING = [
  ["a stale tag", '"1"'],
  ["the weak form of the current tag", 'W/"2"'],
  ["a well-formed non-numeric tag", '"stale-etag-0"'],
  ["a list without the current tag", '"1", W/"2", "3"'],
  ["a tag equal only as a number", '"02"'],
];
const MALFORMED = [
  ["a bare word", "garbage"],
  ["missing quotes", "2"],
  ["an unterminated quote", '"2'],
  ["W/ without quotes", "W/2"],
  ["commas only", " , ,"],
  ["two tags without a comma", '"1" "2"'],
  // The HTTP client refuses other control characters, and workerd drops an empty field before the
  // Worker sees it (so it is no condition at all): tests/tenant-template/if-match.test.ts has both.
  ["a control character (tab) inside the quotes", '"a\tb"'],
  ["* in a list", '*, "2"'],
];

describe("PATCH with If-Match", () => {
  it.each(MATCHING)("%s: 200, written, new ETag", async (_, ifMatch) => {
    const { path, id } = await guardedProduct();
    const res = await api.call<Doc>(DB, "PATCH", path, { description: "v3" }, { "if-match": ifMatch });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("etag")).toBe('"3"');
    expect(res.json).toMatchObject({ description: "v3", version: 3 });
    expect(await storedRow(products.name, id)).toMatchObject({ version: 3 });
  });

  it.each(NOT_MATCHING)("%s: 412 naming the current ETag, nothing written", async (_, ifMatch) => {
    const { path, id } = await guardedProduct();
    const before = await storedRow(products.name, id);
    const res = await api.call<ErrorJson>(DB, "PATCH", path, { description: "lost" }, { "if-match": ifMatch });
    expect(res.status, res.text).toBe(412);
    expect(res.json.error).toMatchObject({
      code: "precondition_failed",
      details: [{ path: "header/if-match", message: 'current ETag is "2"' }],
    });
    expect(await storedRow(products.name, id)).toEqual(before);
    expect(before).toMatchObject({ version: 2 });
  });

  it.each(MALFORMED)("%s: 400 naming header/if-match, nothing written", async (_, ifMatch) => {
    const { path, id } = await guardedProduct();
    const before = await storedRow(products.name, id);
    const res = await api.call<ErrorJson>(DB, "PATCH", path, { description: "lost" }, { "if-match": ifMatch });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error).toMatchObject({ code: "invalid_request", details: [{ path: "header/if-match" }] });
    expect(await storedRow(products.name, id)).toEqual(before);
  });

  it("concurrent writers with the same If-Match list: exactly one wins, the others get 412", async () => {
    // Most losers read the version before the winner wrote and are stopped by the write's own
    // version guard, not by the check: that path must answer 412 too (not 409, not a second 200).
    // Whether a round races is up to the runtime, so there are several rounds.
    const { path, id } = await guardedProduct();
    for (let round = 0; round < 3; round += 1) {
      const current = 2 + round;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          api.call(DB, "PATCH", path, { description: `writer ${i}` }, { "if-match": `"stale-etag-0", "${current}"` }),
        ),
      );
      expect(results.map((res) => res.status).sort()).toEqual([200, ...Array<number>(11).fill(412)]);
      expect(await storedRow(products.name, id)).toMatchObject({ version: current + 1 });
    }
  });
});

describe("DELETE with If-Match", () => {
  it.each(MATCHING)("%s: 200, deleted with what is below", async (_, ifMatch) => {
    const { path, id, domainId } = await guardedProduct();
    const res = await api.call(DB, "DELETE", path, undefined, { "if-match": ifMatch });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ removed: { products: 1, domains: 1 } });
    expect(await storedRow(products.name, id)).toBeNull();
    expect(await storedRow(domains.name, domainId)).toBeNull();
  });

  it.each(NOT_MATCHING)("%s: 412 naming the current ETag, nothing deleted", async (_, ifMatch) => {
    const { path, id, domainId } = await guardedProduct();
    const before = await storedRow(products.name, id);
    const res = await api.call<ErrorJson>(DB, "DELETE", path, undefined, { "if-match": ifMatch });
    expect(res.status, res.text).toBe(412);
    expect(res.json.error).toMatchObject({
      code: "precondition_failed",
      details: [{ path: "header/if-match", message: 'current ETag is "2"' }],
    });
    expect(await storedRow(products.name, id)).toEqual(before);
    expect(await storedRow(domains.name, domainId)).not.toBeNull();
  });

  it.each(MALFORMED)("%s: 400 naming header/if-match, nothing deleted", async (_, ifMatch) => {
    const { path, id, domainId } = await guardedProduct();
    const before = await storedRow(products.name, id);
    const res = await api.call<ErrorJson>(DB, "DELETE", path, undefined, { "if-match": ifMatch });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error).toMatchObject({ code: "invalid_request", details: [{ path: "header/if-match" }] });
    expect(await storedRow(products.name, id)).toEqual(before);
    expect(await storedRow(domains.name, domainId)).not.toBeNull();
  });
});

it("a nested item (a schema version) takes the same condition", async () => {
  const schema = await api.call<Doc>(DB, "POST", `/api/contexts/${DEFAULT_CONTEXT}/schemas`, {
    name: "GuardedSchema",
    schemaTypeCategory: "Events",
    scope: "Public",
  });
  expect(schema.status, schema.text).toBe(201);
  const created = await api.call<Doc>(DB, "POST", `/api/schemas/${schema.json.id}/versions`, {
    semanticVersion: "1.0.0",
    format: "AVRO",
    specification: AVRO,
  });
  expect(created.status, created.text).toBe(201);
  const path = `/api/schemas/${schema.json.id}/versions/${created.json.id}`;
  const patch = (ifMatch: string) => api.call(DB, "PATCH", path, { description: "changed" }, { "if-match": ifMatch });

  expect((await patch('W/"1"')).status).toBe(412);
  expect((await patch('"stale-etag-0"')).status).toBe(412);
  expect((await storedRow(schemaVersions.name, created.json.id))?.version).toBe(1);
  expect((await patch('"0", "1"')).status).toBe(200);
  expect((await api.call(DB, "DELETE", path, undefined, { "if-match": '"1"' })).status).toBe(412);
  expect((await api.call(DB, "DELETE", path, undefined, { "if-match": "*" })).status).toBe(200);
  expect(await storedRow(schemaVersions.name, created.json.id)).toBeNull();
});
