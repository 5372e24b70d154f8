/**
 * Schemas and schema versions through the tenant Worker (workerd, real D1): category and scope
 * constraints, semantic versions (valid, unique per schema), the status lifecycle, immutability
 * once published, and specifications validated as their declared format (422 saying where).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRegistryHarness, type RegistryHarness } from "./registry-harness.ts";

let api: RegistryHarness;
const DEFAULT_CONTEXT = "00000000-0000-7000-8000-000000000003";
const AVRO = '{"type":"record","name":"OrderPlaced","fields":[{"name":"id","type":"string"}]}';

beforeAll(async () => {
  api = await startRegistryHarness(["versions"]);
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
  error: { code: string; message: string; details?: { path: string; message: string; line?: number }[] };
}

let counter = 0;
async function newSchema(overrides: Record<string, unknown> = {}): Promise<Doc> {
  counter += 1;
  const res = await api.call<Doc>("versions", "POST", `/api/contexts/${DEFAULT_CONTEXT}/schemas`, {
    name: `Schema${counter}`,
    schemaTypeCategory: "Events",
    scope: "Public",
    ...overrides,
  });
  expect(res.status, res.text).toBe(201);
  return res.json;
}
const newVersion = (schemaId: string, body: Record<string, unknown>) =>
  api.call<Doc & ErrorJson>("versions", "POST", `/api/schemas/${schemaId}/versions`, {
    format: "AVRO",
    specification: AVRO,
    ...body,
  });

describe("schemas", () => {
  it("CRUD with category and scope, listed by indexed fields", async () => {
    const schema = await newSchema({ schemaTypeCategory: "Commands", scope: "Private", description: "place an order" });
    expect(schema).toMatchObject({
      contextId: DEFAULT_CONTEXT,
      schemaTypeCategory: "Commands",
      scope: "Private",
      version: 1,
    });
    const read = await api.call<Doc>("versions", "GET", `/api/schemas/${schema.id}`);
    expect(read.json).toEqual(schema);
    const updated = await api.call<Doc>("versions", "PATCH", `/api/schemas/${schema.id}`, { scope: "Public" });
    expect(updated.json).toMatchObject({ scope: "Public", schemaTypeCategory: "Commands", version: 2 });

    const commands = await api.call<{ items: Doc[] }>(
      "versions",
      "GET",
      `/api/contexts/${DEFAULT_CONTEXT}/schemas?schemaTypeCategory=Commands&scope=Public`,
    );
    expect(commands.json.items.map((item) => item.id)).toEqual([schema.id]);
    expect((await api.call("versions", "GET", `/api/contexts/${DEFAULT_CONTEXT}/schemas?scope=Secret`)).status).toBe(
      400,
    );

    for (const bad of [{ schemaTypeCategory: "Queries" }, { scope: "Internal" }]) {
      const refused = await api.call<ErrorJson>("versions", "POST", `/api/contexts/${DEFAULT_CONTEXT}/schemas`, {
        name: "Bad",
        schemaTypeCategory: "Events",
        scope: "Public",
        ...bad,
      });
      expect(refused.status).toBe(400);
      expect(refused.json.error.details?.[0]?.path).toBe(`body/${Object.keys(bad)[0]}`);
    }
    // Names are unique per context and category: the same name in another category is fine.
    expect(
      (
        await api.call("versions", "POST", `/api/contexts/${DEFAULT_CONTEXT}/schemas`, {
          name: `Schema${counter}`,
          schemaTypeCategory: "Commands",
          scope: "Public",
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await api.call("versions", "POST", `/api/contexts/${DEFAULT_CONTEXT}/schemas`, {
          name: `Schema${counter}`,
          schemaTypeCategory: "Events",
          scope: "Public",
        })
      ).status,
    ).toBe(201);
  });
});

describe("versions", () => {
  it("CRUD under the schema URL; a version asked for under another schema is 404", async () => {
    const schema = await newSchema();
    const other = await newSchema();
    const created = await newVersion(schema.id, { semanticVersion: "1.0.0", description: "first" });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/api/schemas/${schema.id}/versions/${created.json.id}`);
    expect(created.json).toMatchObject({
      schemaId: schema.id,
      semanticVersion: "1.0.0",
      status: "Draft",
      format: "AVRO",
    });

    expect((await api.call("versions", "GET", `/api/schemas/${schema.id}/versions/${created.json.id}`)).status).toBe(
      200,
    );
    expect((await api.call("versions", "GET", `/api/schemas/${other.id}/versions/${created.json.id}`)).status).toBe(
      404,
    );
    expect(
      (
        await api.call("versions", "PATCH", `/api/schemas/${other.id}/versions/${created.json.id}`, {
          description: "x",
        })
      ).status,
    ).toBe(404);

    const listed = await api.call<{ items: Doc[] }>(
      "versions",
      "GET",
      `/api/schemas/${schema.id}/versions?status=Draft`,
    );
    expect(listed.json.items.map((item) => item.id)).toEqual([created.json.id]);

    const removed = await api.call("versions", "DELETE", `/api/schemas/${schema.id}/versions/${created.json.id}`);
    expect(removed.json).toEqual({ removed: { versions: 1 } });
  });

  it("semanticVersion must be strict semver (400) and unique per schema (409)", async () => {
    const schema = await newSchema();
    for (const semanticVersion of ["1.0", "v1.0.0", "01.0.0", "1.0.0-01", "1.0.0 ", ""]) {
      const refused = await newVersion(schema.id, { semanticVersion });
      expect(refused.status, semanticVersion).toBe(400);
      expect(refused.json.error.details?.[0]?.path).toBe("body/semanticVersion");
    }
    for (const semanticVersion of ["0.0.1", "1.2.3-rc.1+build.5", "10.20.30-alpha-1"])
      expect((await newVersion(schema.id, { semanticVersion })).status, semanticVersion).toBe(201);
    const duplicate = await newVersion(schema.id, { semanticVersion: "0.0.1" });
    expect(duplicate.status).toBe(409);
    expect(duplicate.json.error.message).toBe("Version 0.0.1 already exists for this schema.");
    // The same version under another schema is fine.
    expect((await newVersion((await newSchema()).id, { semanticVersion: "0.0.1" })).status).toBe(201);
  });

  it("allows only the sensible status transitions", async () => {
    const schema = await newSchema();
    const path = (id: string) => `/api/schemas/${schema.id}/versions/${id}`;
    const walk = async (statuses: string[]) => {
      const created = await newVersion(schema.id, { semanticVersion: `1.${counter++}.0` });
      const codes: number[] = [];
      for (const status of statuses)
        codes.push((await api.call("versions", "PATCH", path(created.json.id), { status })).status);
      return codes;
    };
    expect(await walk(["Published", "Deprecated", "Published", "Deprecated", "Removed"])).toEqual([
      200, 200, 200, 200, 200,
    ]);
    expect(await walk(["Removed", "Draft"])).toEqual([200, 409]);
    expect(await walk(["Published", "Draft"])).toEqual([200, 409]);
    expect(await walk(["Published", "Removed"])).toEqual([200, 409]);
    expect(await walk(["Deprecated"])).toEqual([409]);

    const refused = await api.call<ErrorJson>(
      "versions",
      "PATCH",
      path((await newVersion(schema.id, { semanticVersion: "9.0.0", status: "Published" })).json.id),
      { status: "Draft" },
    );
    expect(refused.json.error).toMatchObject({
      code: "invalid_transition",
      message: "A Published version cannot become Draft (allowed: Deprecated).",
    });
    expect((await newVersion(schema.id, { semanticVersion: "9.1.0", status: "Removed" })).status).toBe(409);
  });

  it("a Published specification is immutable (409), a Draft one may change", async () => {
    const schema = await newSchema();
    const draft = await newVersion(schema.id, { semanticVersion: "1.0.0" });
    const path = `/api/schemas/${schema.id}/versions/${draft.json.id}`;
    const changedSpec = '{"type":"record","name":"OrderPlaced","fields":[{"name":"id","type":"long"}]}';
    expect((await api.call("versions", "PATCH", path, { specification: changedSpec })).status).toBe(200);
    expect((await api.call("versions", "PATCH", path, { status: "Published" })).status).toBe(200);

    const refused = await api.call<ErrorJson>("versions", "PATCH", path, { specification: AVRO });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({
      code: "immutable_version",
      message: expect.stringContaining("create a new version"),
    });
    expect((await api.call("versions", "PATCH", path, { semanticVersion: "1.0.1" })).status).toBe(409);
    // Description and status may still change; the specification stays.
    expect((await api.call("versions", "PATCH", path, { description: "explained", status: "Deprecated" })).status).toBe(
      200,
    );
    expect((await api.call("versions", "PATCH", path, { format: "JSON" })).status).toBe(409);
    expect((await api.call<Doc>("versions", "GET", path)).json).toMatchObject({
      specification: changedSpec,
      status: "Deprecated",
      version: 4,
    });
  });

  it.each([
    [
      "AVRO",
      '{"type":"record","name":"R","fields":[{"name":"a","type":"strng"}]}',
      "body/specification/fields/0/type",
      undefined,
    ],
    [
      "JSON",
      '{"type":"object","properties":{"a":{"type":"strng"}}}',
      "body/specification/properties/a/type",
      undefined,
    ],
    ["JSON", '{"type": "object",\n "properties": {', "body/specification", 2],
    ["PROTOBUF", 'syntax = "proto3";\nmessage M {\n  string a = ;\n}\n', "body/specification", 3],
  ] as const)("an invalid %s specification is 422 saying where (%s)", async (format, specification, path, line) => {
    const schema = await newSchema();
    const refused = await newVersion(schema.id, { semanticVersion: "1.0.0", format, specification });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.json.error.code).toBe("invalid_specification");
    expect(refused.json.error.details?.[0]?.path).toBe(path);
    if (line !== undefined) expect(refused.json.error.details?.[0]?.line).toBe(line);
    expect(
      (await api.call<{ items: Doc[] }>("versions", "GET", `/api/schemas/${schema.id}/versions`)).json.items,
    ).toEqual([]);

    // An update to an invalid specification is refused the same way and changes nothing.
    const valid = await newVersion(schema.id, {
      semanticVersion: "1.0.0",
      format: "JSON",
      specification: '{"type":"object"}',
    });
    const path2 = `/api/schemas/${schema.id}/versions/${valid.json.id}`;
    expect((await api.call("versions", "PATCH", path2, { format, specification })).status).toBe(422);
    expect((await api.call<Doc>("versions", "GET", path2)).json).toMatchObject({ format: "JSON", version: 1 });
  });
});
