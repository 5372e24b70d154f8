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

describe("concurrent clients through the API's own routes (no lost update)", () => {
  it(`8 clients each read, PATCH with If-Match and retry on 412, each adding its own change: \
the final document holds all 8 changes, one version per change`, async () => {
    // Every client appends its own token to what it read, so a write computed from a version that
    // another write replaced would drop that write's token. The clients go in waves so that every
    // attempt contends: all clients still waiting read, then all send their PATCH at once. They
    // all hold the same version, so exactly one wins; the others are refused (412), either by the
    // check after their read or, when they read before the winner wrote, by the UPDATE's own
    // version guard (the race branch), and retry in the next wave.
    counter += 1;
    const created = await api.call<Doc>(DB, "POST", "/api/products", { name: `Contended ${counter}` });
    expect(created.status, created.text).toBe(201);
    const path = `/api/products/${created.json.id}`;
    const CLIENTS = 8;
    let waiting = Array.from({ length: CLIENTS }, (_, i) => i);
    for (let wave = 1; waiting.length > 0; wave += 1) {
      expect(wave, "every wave lets exactly one client in").toBeLessThanOrEqual(CLIENTS);
      const reads = await Promise.all(waiting.map(() => api.call<Doc>(DB, "GET", path)));
      const results = await Promise.all(
        waiting.map((client, k) => {
          const read = reads[k]!;
          expect(read.status, read.text).toBe(200);
          const tokens = String(read.json.description ?? "")
            .split(" ")
            .filter((token) => token !== "");
          const description = [...tokens, `client-${client}`].join(" ");
          return api.call<Doc>(DB, "PATCH", path, { description }, { "if-match": read.headers.get("etag") ?? "" });
        }),
      );
      // Lost the race: re-read and retry. Anything else (a 409, a second 200 for one version) is a bug.
      for (const res of results) if (res.status !== 200) expect(res.status, res.text).toBe(412);
      expect(results.filter((res) => res.status === 200)).toHaveLength(1);
      waiting = waiting.filter((_, k) => results[k]!.status !== 200);
    }

    const final = await api.call<Doc>(DB, "GET", path);
    const tokens = String(final.json.description).split(" ").sort();
    expect(tokens).toEqual(Array.from({ length: CLIENTS }, (_, i) => `client-${i}`).sort());
    expect(final.json.version).toBe(1 + CLIENTS);
    expect(await storedRow(products.name, created.json.id)).toMatchObject({ version: 1 + CLIENTS });
  });

  it(`DELETE and PATCH racing with the same If-Match: exactly one succeeds, \
and the registry holds what that one did, with everything below`, async () => {
    // Sixteen clients per round, eight of each kind: each reads the product (ETag "2"), and once
    // all have read, each sends its write with that ETag. When a DELETE wins, every other writer
    // finds the product gone (404) and its domain went with it; when a PATCH wins, every other
    // writer is refused (412) and the product is at version 3 with that PATCH's change and domain.
    // The deleters use the admin key in even rounds and a write key in odd ones: the Worker looks a
    // write key up in D1 before the route runs, so those DELETEs read the product after the PATCHes
    // did and mostly lose to them, while admin-key DELETEs (no lookup, no body to read) mostly win.
    // So both kinds win rounds, and losers of both kinds are stopped by the write's own version
    // guard after a successful read (the race branches), not only by the check after the read.
    const key = await api.call<{ key: string }>(DB, "POST", "/api/keys", { role: "write", description: "deleter" });
    expect(key.status, key.text).toBe(201);
    const writeKey = { authorization: `Bearer ${key.json.key}` };
    for (let round = 0; round < 10; round += 1) {
      const { path, id, domainId } = await guardedProduct();
      const kinds = Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? "DELETE" : "PATCH"));
      let ready = 0;
      let allRead = () => {};
      const reads = new Promise<void>((resolve) => {
        allRead = resolve;
      });
      const results = await Promise.all(
        kinds.map(async (kind, i) => {
          const read = await api.call(DB, "GET", path);
          expect(read.headers.get("etag")).toBe('"2"');
          ready += 1;
          if (ready === kinds.length) allRead();
          await reads;
          if (kind === "PATCH")
            return api.call(DB, "PATCH", path, { description: `patch ${i}` }, { "if-match": '"2"' });
          return api.call(DB, "DELETE", path, undefined, { "if-match": '"2"', ...(round % 2 === 1 ? writeKey : {}) });
        }),
      );
      const won = results.flatMap((res, i) => (res.status === 200 ? [i] : []));
      expect(won, results.map((res) => `${res.status} ${res.text}`).join("\n")).toHaveLength(1);
      const winner = won[0]!;
      const others = results.filter((_, i) => i !== winner).map((res) => res.status);
      if (kinds[winner] === "DELETE") {
        expect(others).toEqual(Array(15).fill(404));
        expect(await storedRow(products.name, id)).toBeNull();
        expect(await storedRow(domains.name, domainId)).toBeNull();
        expect((await api.call(DB, "GET", path)).status).toBe(404);
      } else {
        expect(others).toEqual(Array(15).fill(412));
        const row = await storedRow(products.name, id);
        expect(row).toMatchObject({ version: 3 });
        expect(JSON.parse(row!.body)).toMatchObject({ description: `patch ${winner}` });
        expect(await storedRow(domains.name, domainId)).not.toBeNull();
      }
    }
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
