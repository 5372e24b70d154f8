/**
 * `GET /schemas/ids/{id}` through the per-isolate id cache in real workerd on a real D1
 * (docs/confluent-api.md, "The schema id cache"): hit after a first read, the same bodies either
 * way, bypass for bookmarks and query parameters, eviction by deletes in the same isolate, and
 * access control unchanged for prefix-scoped keys.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startRegistryHarness, type RegistryHarness } from "../registry/registry-harness.ts";
import { avroRecord, confluentCaller, registerSchema } from "./confluent-caller.ts";

const DB = "idcache";
const DEFAULT_CONTEXT = "00000000-0000-7000-8000-000000000003";

let h: RegistryHarness;
const call = confluentCaller(() => h, DB);
const avro = avroRecord;

const register = (subject: string, schema: string) => registerSchema(call, subject, schema);

beforeAll(async () => {
  h = await startRegistryHarness([DB]);
});
afterAll(async () => {
  await h?.dispose();
});

describe("the schema id cache", () => {
  test("a first read misses, the next ones hit, with the same bodies", async () => {
    const base = await register("cache-base-value", avro("Base"));
    // With a reference, so the cached record carries references too.
    const withRef = await call<{ id: number }>("POST", "/subjects/cache-ref-value/versions", {
      schema: JSON.stringify({ type: "record", name: "Ref", fields: [{ name: "b", type: "Base" }] }),
      references: [{ name: "Base", subject: "cache-base-value", version: 1 }],
    });
    expect(withRef.status).toBe(200);
    for (const read of [base, withRef.json.id]) {
      const miss = await call("GET", `/schemas/ids/${read}`);
      expect(miss.status).toBe(200);
      expect(miss.headers.get("x-registry-cache")).toBe("miss");
      const hit = await call("GET", `/schemas/ids/${read}`);
      expect(hit.headers.get("x-registry-cache")).toBe("hit");
      expect(hit.headers.get("content-type")).toBe("application/vnd.schemaregistry.v1+json");
      expect(hit.text).toBe(miss.text);
      const bypass = await call("GET", `/schemas/ids/${read}?fetchMaxId=true`);
      expect(bypass.headers.get("x-registry-cache")).toBe("bypass");
      expect({ ...bypass.json, maxId: undefined }).toEqual({ ...hit.json, maxId: undefined });
      const text = await call("GET", `/schemas/ids/${read}/schema`);
      expect(text.headers.get("x-registry-cache")).toBe("hit");
      expect(text.text).toBe(hit.json.schema);
    }
    expect((await call("GET", `/schemas/ids/${withRef.json.id}`)).json.references).toEqual([
      { name: "Base", subject: "cache-base-value", version: 1 },
    ]);
    // fetchMaxId=false asks nothing more than the id.
    expect((await call("GET", `/schemas/ids/${base}?fetchMaxId=false`)).headers.get("x-registry-cache")).toBe("hit");
    // Soft-deleted: the id still exists, in the cache and in D1.
    expect((await call("DELETE", "/subjects/cache-ref-value/versions/1")).status).toBe(200);
    expect((await call("GET", `/schemas/ids/${withRef.json.id}`)).status).toBe(200);
    expect(
      (await call("GET", `/schemas/ids/${withRef.json.id}`, undefined, { "x-d1-bookmark": "first-primary" })).status,
    ).toBe(200);
  });

  test("a request with a bookmark, or with ?subject, reads D1", async () => {
    const id = await register("cache-bookmark-value", avro("Bookmark"));
    await call("GET", `/schemas/ids/${id}`);
    expect((await call("GET", `/schemas/ids/${id}`)).headers.get("x-registry-cache")).toBe("hit");
    const fresh = await call("GET", `/schemas/ids/${id}`, undefined, { "x-d1-bookmark": "first-primary" });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("x-registry-cache")).toBe("bypass");
    expect(fresh.headers.get("x-d1-bookmark")).toBeTruthy();
    const withBookmark = await call("GET", `/schemas/ids/${id}/schema`, undefined, {
      "x-d1-bookmark": fresh.headers.get("x-d1-bookmark")!,
    });
    expect(withBookmark.headers.get("x-registry-cache")).toBe("bypass");
    expect(withBookmark.text).toBe(avro("Bookmark"));
    const inSubject = await call("GET", `/schemas/ids/${id}?subject=cache-bookmark-value`);
    expect(inSubject.headers.get("x-registry-cache")).toBe("bypass");
    expect(inSubject.status).toBe(200);
    expect((await call("GET", `/schemas/ids/${id}?subject=:.elsewhere:x`)).json).toMatchObject({ error_code: 40403 });
  });

  test("a permanent delete of the last version makes the id 40403 at once in the deleting isolate", async () => {
    const id = await register("cache-gone-value", avro("Gone"));
    await call("GET", `/schemas/ids/${id}`);
    expect((await call("GET", `/schemas/ids/${id}`)).headers.get("x-registry-cache")).toBe("hit");
    expect((await call("DELETE", "/subjects/cache-gone-value/versions/1")).status).toBe(200);
    expect((await call("GET", `/schemas/ids/${id}`)).status).toBe(200);
    expect((await call("DELETE", "/subjects/cache-gone-value/versions/1?permanent=true")).status).toBe(200);
    const gone = await call("GET", `/schemas/ids/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ error_code: 40403 });
    expect((await call("GET", `/schemas/ids/${id}/schema`)).status).toBe(404);
    // Registered again: the same content gets the same id back, and it is served again.
    expect(await register("cache-gone-value", avro("Gone"))).toBe(id);
    expect((await call("GET", `/schemas/ids/${id}`)).status).toBe(200);
  });

  test("a permanent delete of a whole subject evicts its ids too", async () => {
    const id = await register("cache-subject-value", avro("SubjectGone"));
    await call("GET", `/schemas/ids/${id}`);
    expect((await call("DELETE", "/subjects/cache-subject-value")).status).toBe(200);
    expect((await call("GET", `/schemas/ids/${id}`)).headers.get("x-registry-cache")).toBe("hit");
    expect((await call("DELETE", "/subjects/cache-subject-value?permanent=true")).status).toBe(200);
    expect((await call("GET", `/schemas/ids/${id}`)).status).toBe(404);
  });

  test("an /api delete of the subject's schema evicts its ids", async () => {
    const id = await register("cache-api-value", avro("ApiGone"));
    await call("GET", `/schemas/ids/${id}`);
    expect((await call("GET", `/schemas/ids/${id}`)).headers.get("x-registry-cache")).toBe("hit");
    const schemas = await call<{ items: { id: string }[] }>(
      "GET",
      `/api/contexts/${DEFAULT_CONTEXT}/schemas?name=cache-api-value`,
    );
    const schemaId = schemas.json.items[0]!.id;
    expect((await call("DELETE", `/api/schemas/${schemaId}`)).status).toBe(200);
    expect((await call("GET", `/schemas/ids/${id}`)).status).toBe(404);
  });

  test("a prefix-scoped key is still refused an id none of its subjects uses, cached or not", async () => {
    const mine = await register("scoped-orders-value", avro("ScopedOrder"));
    const other = await register("cache-users-value", avro("ScopedUser"));
    const created = await call<{ key: string }>(
      "POST",
      "/api/keys",
      { role: "read", subjectPrefix: "scoped-" },
      { "content-type": "application/json" },
    );
    expect(created.status).toBe(201);
    const key = { authorization: `Bearer ${created.json.key}` };
    for (let i = 0; i < 2; i += 1) {
      // Warm (admin read), then the scoped key.
      expect((await call("GET", `/schemas/ids/${other}`)).status).toBe(200);
      expect((await call("GET", `/schemas/ids/${other}`, undefined, key)).status).toBe(403);
      expect((await call("GET", `/schemas/ids/${other}/schema`, undefined, key)).status).toBe(403);
      const allowed = await call("GET", `/schemas/ids/${mine}`, undefined, key);
      expect(allowed.status).toBe(200);
      expect(allowed.json).toEqual({ schemaType: "AVRO", schema: avro("ScopedOrder") });
    }
  });
});
