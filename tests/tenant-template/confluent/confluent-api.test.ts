/**
 * The Confluent-compatible API in real workerd on a real D1 (docs/confluent-api.md): every endpoint
 * of the first slice, Confluent's error codes, id dedup, BACKWARD refusal, and the one store shared
 * with /api, seen both ways.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startRegistryHarness, type RegistryHarness } from "../registry/registry-harness.ts";

const DB = "confluent";
const DEFAULT_CONTEXT = "00000000-0000-7000-8000-000000000003";
const CT = { "content-type": "application/vnd.schemaregistry.v1+json" };

let h: RegistryHarness;
const call = <T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = CT,
) => h.call<T>(DB, method, path, body, body === undefined ? {} : headers);

const record = (fields: object[]) =>
  JSON.stringify({ type: "record", name: "Order", fields: [{ name: "id", type: "string" }, ...fields] });
const V1 = record([]);
const V2 = record([{ name: "amount", type: "int", default: 0 }]);
const BREAKING = record([{ name: "currency", type: "string" }]);

beforeAll(async () => {
  h = await startRegistryHarness([DB]);
});
afterAll(async () => {
  await h?.dispose();
});

describe("register and read", () => {
  test("registers, dedups ids, and reads back by subject, version and id", async () => {
    const first = await call("POST", "/subjects/orders-value/versions", { schema: V1 });
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("application/vnd.schemaregistry.v1+json");
    const id1 = first.json.id as number;
    expect(Number.isInteger(id1)).toBe(true);
    // Same schema again: same id, no new version.
    expect((await call("POST", "/subjects/orders-value/versions", { schema: V1, schemaType: "AVRO" })).json).toEqual({
      id: id1,
    });
    // Same schema under another subject: same global id, version 1 there.
    expect(
      (await call("POST", "/subjects/refunds-value/versions", { schema: V1 }, { "content-type": "application/json" }))
        .json,
    ).toEqual({ id: id1 });
    const second = await call(
      "POST",
      "/subjects/orders-value/versions",
      { schema: V2 },
      { "content-type": "application/vnd.schemaregistry+json" },
    );
    expect(second.status).toBe(200);
    const id2 = second.json.id as number;
    expect(id2).not.toBe(id1);

    expect((await call("GET", "/subjects/orders-value/versions")).json).toEqual([1, 2]);
    expect((await call("GET", "/subjects/orders-value/versions/1")).json).toEqual({
      subject: "orders-value",
      version: 1,
      id: id1,
      guid: expect.any(String),
      schemaType: "AVRO",
      // Confluent fills in the version number as metadata.
      metadata: { properties: { "confluent:version": "1" } },
      schema: V1,
    });
    expect((await call("GET", "/subjects/orders-value/versions/latest")).json).toMatchObject({ version: 2, id: id2 });
    expect((await call("GET", "/subjects/orders-value/versions/-1")).json).toMatchObject({ version: 2 });
    expect((await call("GET", "/subjects/orders-value/versions/2/schema")).text).toBe(V2);
    // Confluent 8 names the type, AVRO included.
    expect((await call("GET", `/schemas/ids/${id1}`)).json).toEqual({ schemaType: "AVRO", schema: V1 });
    expect((await call("GET", `/schemas/ids/${id1}/schema`)).text).toBe(V1);
    expect((await call("GET", `/schemas/ids/${id1}/subjects`)).json).toEqual(["orders-value", "refunds-value"]);
    expect((await call("GET", `/schemas/ids/${id1}/versions`)).json).toEqual([
      { subject: "orders-value", version: 1 },
      { subject: "refunds-value", version: 1 },
    ]);
    expect((await call("GET", "/subjects")).json).toEqual(expect.arrayContaining(["orders-value", "refunds-value"]));
    expect((await call("GET", "/schemas/types")).json).toEqual(["AVRO", "JSON", "PROTOBUF"]);

    const lookup = await call("POST", "/subjects/orders-value", { schema: V2 });
    expect(lookup.json).toMatchObject({ subject: "orders-value", version: 2, id: id2, schemaType: "AVRO", schema: V2 });
  });

  test("JSON and PROTOBUF keep their schemaType and the text as registered", async () => {
    const json = '{ "type": "object", "properties": { "a": { "type": "string" } } }';
    const res = await call("POST", "/subjects/doc-json/versions", { schemaType: "JSON", schema: json });
    expect(res.status).toBe(200);
    expect((await call("GET", `/schemas/ids/${res.json.id as number}`)).json).toEqual({
      schemaType: "JSON",
      schema: json,
    });
    const proto = 'syntax = "proto3";\nmessage Ping { string id = 1; }\n';
    const pb = await call("POST", "/subjects/ping-value/versions", { schemaType: "PROTOBUF", schema: proto });
    expect(pb.status).toBe(200);
    expect((await call("GET", "/subjects/ping-value/versions/1")).json).toMatchObject({
      schemaType: "PROTOBUF",
      schema: proto,
    });
  });

  test("Confluent error codes", async () => {
    const expectError = async (
      res: { status: number; json: Record<string, unknown> },
      status: number,
      code: number,
    ) => {
      expect(res.status, JSON.stringify(res.json)).toBe(status);
      expect(res.json.error_code).toBe(code);
      expect(typeof res.json.message).toBe("string");
    };
    const invalid = await call("POST", "/subjects/bad/versions", {
      schema: '{"type":"record","name":"R","fields":[{"name":"a","type":"strng"}]}',
    });
    await expectError(invalid, 422, 42201);
    expect(invalid.json.message).toContain("strng");
    await expectError(await call("POST", "/subjects/bad/versions", { schema: "{}", schemaType: "XML" }), 422, 42201);
    await expectError(await call("GET", "/subjects/nobody/versions"), 404, 40401);
    await expectError(await call("GET", "/subjects/orders-value/versions/99"), 404, 40402);
    await expectError(await call("GET", "/subjects/orders-value/versions/abc"), 422, 42202);
    await expectError(
      await call("POST", "/subjects/orders-value", { schema: record([{ name: "x", type: "int" }]) }),
      404,
      40403,
    );
    await expectError(await call("GET", "/schemas/ids/999999"), 404, 40403);
  });
});

describe("compatibility and config", () => {
  test(`BACKWARD (the default) refuses a new field without a default: \
409 (Confluent's code is the bare status)`, async () => {
    expect((await call("GET", "/config")).json).toEqual({ compatibilityLevel: "BACKWARD" });
    const res = await call("POST", "/subjects/orders-value/versions", { schema: BREAKING });
    expect(res.status).toBe(409);
    expect(res.json.error_code).toBe(409);
    expect((await call("GET", "/subjects/orders-value/versions")).json).toEqual([1, 2]);
  });

  test("compatibility endpoints, with verbose", async () => {
    expect(
      (await call("POST", "/compatibility/subjects/orders-value/versions/latest", { schema: BREAKING })).json,
    ).toEqual({ is_compatible: false });
    const verbose = await call("POST", "/compatibility/subjects/orders-value/versions?verbose=true", {
      schema: BREAKING,
    });
    expect(verbose.json.is_compatible).toBe(false);
    expect((verbose.json.messages as string[]).join(" ")).toContain("READER_FIELD_MISSING_DEFAULT_VALUE");
    expect((await call("POST", "/compatibility/subjects/orders-value/versions/1", { schema: V2 })).json).toEqual({
      is_compatible: true,
    });
    // A version of a subject that does not exist: 40402, as Confluent answers.
    expect((await call("POST", "/compatibility/subjects/nobody/versions/1", { schema: V2 })).json.error_code).toBe(
      40402,
    );
  });

  test("subject config: 40408 unless defaultToGlobal; PUT takes compatibility; NONE lets anything in", async () => {
    const unset = await call("GET", "/config/orders-value");
    expect([unset.status, unset.json.error_code]).toEqual([404, 40408]);
    expect((await call("GET", "/config/orders-value?defaultToGlobal=true")).json).toEqual({
      compatibilityLevel: "BACKWARD",
    });
    expect((await call("PUT", "/config/orders-value", { compatibility: "NONE" })).json).toEqual({
      compatibility: "NONE",
    });
    expect((await call("GET", "/config/orders-value")).json).toEqual({ compatibilityLevel: "NONE" });
    expect((await call("PUT", "/config", { compatibility: "SIDEWAYS" })).json.error_code).toBe(42203);
    const res = await call("POST", "/subjects/orders-value/versions", { schema: BREAKING });
    expect(res.status).toBe(200);
    expect((await call("GET", "/subjects/orders-value/versions")).json).toEqual([1, 2, 3]);
    expect((await call("DELETE", "/config/orders-value")).json).toEqual({ compatibilityLevel: "NONE" });
    expect((await call("PUT", "/config", { compatibility: "FULL" })).json).toEqual({ compatibility: "FULL" });
    expect((await call("GET", "/config")).json).toEqual({ compatibilityLevel: "FULL" });
    await call("PUT", "/config", { compatibility: "BACKWARD" });
  });
});

describe("delete", () => {
  test("soft, then permanent, with 40404-40407", async () => {
    await call("POST", "/subjects/gone-value/versions", { schema: V1 });
    await call("POST", "/subjects/gone-value/versions", { schema: V2 });
    expect((await call("DELETE", "/subjects/gone-value/versions/1?permanent=true")).json.error_code).toBe(40407);
    expect((await call("DELETE", "/subjects/gone-value/versions/1")).json).toBe(1);
    expect((await call("DELETE", "/subjects/gone-value/versions/1")).json.error_code).toBe(40406);
    expect((await call("GET", "/subjects/gone-value/versions")).json).toEqual([2]);
    expect((await call("GET", "/subjects/gone-value/versions?deleted=true")).json).toEqual([1, 2]);
    expect((await call("GET", "/subjects/gone-value/versions/1")).json.error_code).toBe(40402);
    expect((await call("GET", "/subjects/gone-value/versions/1?deleted=true")).json).toMatchObject({ version: 1 });
    expect((await call("DELETE", "/subjects/gone-value/versions/1?permanent=true")).json).toBe(1);
    expect((await call("DELETE", "/subjects/gone-value?permanent=true")).json.error_code).toBe(40405);
    expect((await call("DELETE", "/subjects/gone-value")).json).toEqual([2]);
    expect((await call("DELETE", "/subjects/gone-value")).json.error_code).toBe(40404);
    expect((await call("GET", "/subjects")).json).not.toContain("gone-value");
    expect((await call("GET", "/subjects?deleted=true")).json).toContain("gone-value");
    expect((await call("DELETE", "/subjects/gone-value?permanent=true")).json).toEqual([2]);
    expect((await call("DELETE", "/subjects/gone-value")).json.error_code).toBe(40401);
    // The id outlives its versions: clients may have cached it.
    expect((await call("GET", "/schemas/ids/1")).status).toBe(200);
  });
});

describe("one store with /api", () => {
  test("a Confluent registration is a Published schema version under My Context; soft delete is Removed", async () => {
    const { json } = await call("POST", "/subjects/shared-value/versions", { schema: V1 });
    const schemas = await h.call<{ items: { id: string; name: string; schemaTypeCategory: string; scope: string }[] }>(
      DB,
      "GET",
      `/api/contexts/${DEFAULT_CONTEXT}/schemas?name=shared-value`,
    );
    expect(schemas.json.items).toHaveLength(1);
    expect(schemas.json.items[0]).toMatchObject({ schemaTypeCategory: "Events", scope: "Public" });
    const schemaId = schemas.json.items[0]!.id;
    const versions = await h.call<{
      items: { id: string; semanticVersion: string; format: string; specification: string; status: string }[];
    }>(DB, "GET", `/api/schemas/${schemaId}/versions`);
    expect(versions.json.items).toEqual([
      expect.objectContaining({ semanticVersion: "1.0.0", format: "AVRO", specification: V1, status: "Published" }),
    ]);
    expect(json.id).toBeTypeOf("number");
    await call("DELETE", "/subjects/shared-value/versions/1");
    expect(
      (await h.call(DB, "GET", `/api/schemas/${schemaId}/versions/${versions.json.items[0]!.id}`)).json.status,
    ).toBe("Removed");
  });

  test("a version published through /api is a Confluent version with an id (a Draft is not)", async () => {
    const schema = await h.call(DB, "POST", `/api/contexts/${DEFAULT_CONTEXT}/schemas`, {
      name: "from-api",
      schemaTypeCategory: "Data",
      scope: "Private",
    });
    const schemaId = schema.json.id as string;
    await h.call(DB, "POST", `/api/schemas/${schemaId}/versions`, {
      semanticVersion: "0.1.0",
      format: "AVRO",
      specification: V1,
      status: "Published",
    });
    await h.call(DB, "POST", `/api/schemas/${schemaId}/versions`, {
      semanticVersion: "0.2.0",
      format: "AVRO",
      specification: V2,
    });
    expect((await call("GET", "/subjects/from-api/versions")).json).toEqual([1]);
    const v1 = await call("GET", "/subjects/from-api/versions/1");
    expect(v1.json).toMatchObject({ subject: "from-api", version: 1, schema: V1 });
    // The same text as orders-value version 1: the same global id.
    expect(v1.json.id).toBe((await call("GET", "/subjects/orders-value/versions/1")).json.id);
    expect((await call("GET", "/subjects")).json).toContain("from-api");
  });

  test("a named context :.ctx: is a context of that name under My Domain", async () => {
    expect((await call("POST", "/subjects/:.payments:invoices-value/versions", { schema: V1 })).status).toBe(200);
    expect((await call("GET", "/subjects/:.payments:invoices-value/versions/1")).json).toMatchObject({
      subject: "invoices-value",
      version: 1,
    }); // named within its context
    // The root lists the default context; `:*:` lists every context, qualified.
    expect((await call("GET", "/subjects")).json).not.toContain(":.payments:invoices-value");
    expect((await call("GET", "/subjects?subjectPrefix=:*:")).json).toContain(":.payments:invoices-value");
    const contexts = await h.call<{ items: { id: string; name: string }[] }>(
      DB,
      "GET",
      "/api/domains/00000000-0000-7000-8000-000000000002/contexts?name=payments",
    );
    expect(contexts.json.items).toHaveLength(1);
    const schemas = await h.call<{ items: { name: string }[] }>(
      DB,
      "GET",
      `/api/contexts/${contexts.json.items[0]!.id}/schemas`,
    );
    expect(schemas.json.items.map((item) => item.name)).toEqual(["invoices-value"]);
    expect((await call("GET", "/subjects/invoices-value/versions")).json.error_code).toBe(40401);
  });
});
