/**
 * The Confluent-compatible API beyond its first slice, in real workerd on a real D1
 * (docs/confluent-api.md): modes (READONLY, IMPORT with ids kept), contexts (URL prefix, /contexts,
 * the one-store mapping both ways), references for the three formats (resolution, referencedby,
 * 42206), GET /schemas and the subject filters, metadata and rule sets with config merging,
 * dedup on the canonical form, 405, and a backup that carries the Confluent numbering.
 * Each test uses its own subjects; mode tests put the global mode back.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startRegistryHarness, type RegistryHarness } from "../registry/registry-harness.ts";

const DB = "confluent-features";
const RESTORED = "confluent-restored";
const DEFAULT_DOMAIN = "00000000-0000-7000-8000-000000000002";
const CT = { "content-type": "application/vnd.schemaregistry.v1+json" };

let h: RegistryHarness;
const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, db = DB) =>
  h.call<T>(db, method, path, body, body === undefined ? {} : CT);

const avro = (name: string, fields: object[] = [{ name: "id", type: "string" }], namespace = "com.acme") =>
  JSON.stringify({ type: "record", name, namespace, fields });

beforeAll(async () => {
  h = await startRegistryHarness([DB, RESTORED]);
});
afterAll(async () => {
  await h?.dispose();
});

describe("modes", () => {
  test(`READONLY refuses writes with 42205 and keeps reads; \
a subject's own mode wins; 40409 unless defaultToGlobal`, async () => {
    expect((await call("GET", "/mode")).json).toEqual({ mode: "READWRITE" });
    expect((await call("POST", "/subjects/ro-value/versions", { schema: avro("Ro") })).status).toBe(200);
    expect((await call("PUT", "/mode", { mode: "READONLY" })).json).toEqual({ mode: "READONLY" });
    try {
      const refused = await call("POST", "/subjects/ro-value/versions", {
        schema: avro("Ro", [
          { name: "id", type: "string" },
          { name: "x", type: "int", default: 0 },
        ]),
      });
      expect([refused.status, refused.json.error_code]).toEqual([422, 42205]);
      expect((await call("DELETE", "/subjects/ro-value")).json.error_code).toBe(42205);
      expect((await call("GET", "/subjects/ro-value/versions/latest")).status).toBe(200);
      expect((await call("GET", "/mode/ro-value")).json.error_code).toBe(40409);
      expect((await call("GET", "/mode/ro-value?defaultToGlobal=true")).json).toEqual({ mode: "READONLY" });
      expect((await call("PUT", "/mode/rw-value", { mode: "READWRITE" })).status).toBe(200);
      expect((await call("POST", "/subjects/rw-value/versions", { schema: avro("Rw") })).status).toBe(200);
      expect((await call("PUT", "/mode", { mode: "SIDEWAYS" })).json.error_code).toBe(42204);
      expect((await call("DELETE", "/mode/rw-value")).json).toEqual({ mode: "READWRITE" });
    } finally {
      await call("PUT", "/mode", { mode: "READWRITE" });
    }
  });

  test(`IMPORT keeps the given ids and versions, skips compatibility, \
refuses a different schema under a taken id; needs force over existing subjects`, async () => {
    expect((await call("POST", "/subjects/before-import/versions", { schema: avro("BeforeImport") })).status).toBe(200);
    const refused = await call("PUT", "/mode", { mode: "IMPORT" });
    expect([refused.status, refused.json.error_code]).toEqual([422, 42205]);
    expect((await call("PUT", "/mode?force=true", { mode: "IMPORT" })).json).toEqual({ mode: "IMPORT" });
    try {
      expect(
        (await call("POST", "/subjects/imported-value/versions", { schema: avro("Imp"), id: 700, version: 3 })).json,
      ).toEqual({ id: 700 });
      // Incompatible under BACKWARD, imported anyway.
      expect(
        (
          await call("POST", "/subjects/imported-value/versions", {
            schema: avro("Imp", [{ name: "n", type: "int" }]),
            id: 701,
            version: 4,
          })
        ).json,
      ).toEqual({ id: 701 });
      const clash = await call("POST", "/subjects/other-import/versions", {
        schema: avro("Other"),
        id: 700,
        version: 1,
      });
      expect([clash.status, clash.json.error_code]).toEqual([422, 42205]);
      // An import names the id it keeps: without one it is refused.
      expect((await call("POST", "/subjects/other-import/versions", { schema: avro("Other") })).json.error_code).toBe(
        42205,
      );
      // The same version imported again is answered as it is.
      expect(
        (await call("POST", "/subjects/imported-value/versions", { schema: avro("Imp"), id: 700, version: 3 })).json,
      ).toEqual({ id: 700 });
      // Another schema at a version that exists: answered with that version's id, as Confluent does.
      const again = await call("POST", "/subjects/imported-value/versions", {
        schema: avro("Imp", [{ name: "x", type: "int", default: 1 }]),
        id: 702,
        version: 3,
      });
      expect([again.status, again.json]).toEqual([200, { id: 700 }]);
    } finally {
      await call("PUT", "/mode", { mode: "READWRITE" });
    }
    expect((await call("GET", "/subjects/imported-value/versions")).json).toEqual([3, 4]);
    expect((await call("GET", "/subjects/imported-value/versions/3")).json).toMatchObject({ version: 3, id: 700 });
    expect((await call("GET", "/schemas/ids/700")).json).toEqual({ schemaType: "AVRO", schema: avro("Imp") });
    // Out of IMPORT, an id cannot be chosen; new ids continue after the highest.
    expect(
      (
        await call("POST", "/subjects/imported-value/versions", {
          schema: avro("Imp", [
            { name: "n", type: "int" },
            { name: "m", type: "int", default: 0 },
          ]),
          id: 9,
        })
      ).json.error_code,
    ).toBe(42205);
    const next = await call("POST", "/subjects/after-import/versions", { schema: avro("AfterImport") });
    expect(next.json.id as number).toBeGreaterThan(701);
    expect((await call("GET", "/schemas/ids/701?fetchMaxId=true")).json.maxId).toBe(next.json.id);
  });
});

describe("contexts", () => {
  test(`the /contexts/{ctx} prefix is the :.ctx: spelling; /contexts lists them; \
/api sees the same context, both ways`, async () => {
    expect(
      (await call("POST", "/contexts/.billing/subjects/invoice-value/versions", { schema: avro("Invoice") })).status,
    ).toBe(200);
    expect((await call("GET", "/subjects/:.billing:invoice-value/versions/1")).json).toMatchObject({
      subject: "invoice-value",
      version: 1,
    });
    expect((await call("GET", "/contexts/.billing/subjects")).json).toEqual(["invoice-value"]);
    expect((await call("GET", "/contexts")).json).toEqual(expect.arrayContaining([".", ".billing"]));
    expect((await call("GET", "/contexts/.bad!name/subjects")).json.error_code).toBe(42210);
    // Config set through the prefix is the subject's own.
    await call("PUT", "/contexts/.billing/config/invoice-value", { compatibility: "FULL" });
    expect((await call("GET", "/config/:.billing:invoice-value")).json).toEqual({ compatibilityLevel: "FULL" });

    // /api -> Confluent: a schema published in that context through /api is a subject there.
    const contexts = await h.call<{ items: { id: string }[] }>(
      DB,
      "GET",
      `/api/domains/${DEFAULT_DOMAIN}/contexts?name=billing`,
    );
    const contextId = contexts.json.items[0]!.id;
    const schema = await h.call(DB, "POST", `/api/contexts/${contextId}/schemas`, {
      name: "receipt",
      schemaTypeCategory: "Events",
      scope: "Public",
    });
    await h.call(DB, "POST", `/api/schemas/${schema.json.id as string}/versions`, {
      semanticVersion: "1.0.0",
      format: "AVRO",
      specification: avro("Receipt"),
      status: "Published",
    });
    expect((await call("GET", "/contexts/.billing/subjects/receipt/versions")).json).toEqual([1]);
    expect((await call("GET", "/subjects?subjectPrefix=:.billing:")).json).toEqual([
      ":.billing:invoice-value",
      ":.billing:receipt",
    ]);
  });
});

describe("settings levels", () => {
  test(`subject -> context (:.ctx:) -> __GLOBAL -> default; \
the root's /config is the default context's; READONLY_OVERRIDE at the root stops every write`, async () => {
    expect((await call("PUT", "/config/:.__GLOBAL:", { compatibility: "FULL" })).status).toBe(200);
    try {
      await call("POST", "/contexts/.lv/subjects/lv-value/versions", { schema: avro("Lv") });
      expect((await call("GET", "/contexts/.lv/config/lv-value?defaultToGlobal=true")).json).toMatchObject({
        compatibilityLevel: "FULL",
      });
      await call("PUT", "/config/:.lv:", { compatibility: "NONE" });
      expect((await call("GET", "/config/:.lv:lv-value?defaultToGlobal=true")).json).toMatchObject({
        compatibilityLevel: "NONE",
      });
      await call("PUT", "/config", { compatibility: "FORWARD" });
      expect((await call("GET", "/config/:.lv:lv-value?defaultToGlobal=true")).json).toMatchObject({
        compatibilityLevel: "NONE",
      });
      expect((await call("GET", "/config/plain-value?defaultToGlobal=true")).json).toMatchObject({
        compatibilityLevel: "FORWARD",
      });
      expect((await call("POST", "/subjects/:.__GLOBAL:x/versions", { schema: avro("X") })).status).toBe(400);
      expect((await call("GET", "/contexts")).json).not.toContain(".__GLOBAL");
      await call("PUT", "/mode/:.lv:lv-value", { mode: "READWRITE" });
      await call("PUT", "/mode", { mode: "READONLY_OVERRIDE" });
      expect((await call("POST", "/subjects/:.lv:lv-value/versions", { schema: avro("Lv2") })).json.error_code).toBe(
        42205,
      );
    } finally {
      await call("PUT", "/mode", { mode: "READWRITE" });
      await call("DELETE", "/config");
      await call("DELETE", "/config/:.__GLOBAL:");
    }
  });
});

describe("references", () => {
  test(`Avro: a schema using another subject's record registers with the reference, \
lists it in referencedby, and blocks its deletion (42206)`, async () => {
    await call("PUT", "/config/ref-address", { compatibility: "NONE" });
    const address = await call("POST", "/subjects/ref-address/versions", {
      schema: avro("Address", [{ name: "street", type: "string" }]),
    });
    const unresolved = await call("POST", "/subjects/ref-customer/versions", {
      schema: avro("Customer", [{ name: "address", type: "com.acme.Address" }]),
    });
    expect(unresolved.json.error_code).toBe(42201);
    const references = [{ name: "com.acme.Address", subject: "ref-address", version: 1 }];
    const customer = await call("POST", "/subjects/ref-customer/versions", {
      schema: avro("Customer", [{ name: "address", type: "com.acme.Address" }]),
      references,
    });
    expect(customer.status, JSON.stringify(customer.json)).toBe(200);
    expect((await call("GET", "/subjects/ref-customer/versions/1")).json).toMatchObject({ references });
    expect((await call("GET", `/schemas/ids/${customer.json.id as number}`)).json).toMatchObject({ references });
    expect((await call("GET", "/subjects/ref-address/versions/1/referencedby")).json).toEqual([customer.json.id]);
    const blocked = await call("DELETE", "/subjects/ref-address/versions/1");
    expect([blocked.status, blocked.json.error_code]).toEqual([422, 42206]);
    expect((await call("DELETE", "/subjects/ref-address")).json.error_code).toBe(42206);
    // The same schema with the same reference is the same id; lookup finds it.
    expect(
      (
        await call("POST", "/subjects/ref-customer", {
          schema: avro("Customer", [{ name: "address", type: "com.acme.Address" }]),
          references,
        })
      ).json,
    ).toMatchObject({ id: customer.json.id });
    // Once the referrer is gone, the referenced version may go.
    expect((await call("DELETE", "/subjects/ref-customer")).status).toBe(200);
    expect((await call("GET", "/subjects/ref-address/versions/1/referencedby")).json).toEqual([]);
    expect((await call("DELETE", "/subjects/ref-address/versions/1")).json).toBe(1);
    expect(address.status).toBe(200);
  });

  test("Protobuf imports and JSON Schema $refs resolve through references; a missing reference is 42201", async () => {
    const common = 'syntax = "proto3";\npackage acme;\nmessage Money { int64 cents = 1; }\n';
    expect(
      (await call("POST", "/subjects/money.proto/versions", { schemaType: "PROTOBUF", schema: common })).status,
    ).toBe(200);
    const order = 'syntax = "proto3";\npackage acme;\nimport "money.proto";\nmessage Order { acme.Money total = 1; }\n';
    expect(
      (await call("POST", "/subjects/order-proto/versions", { schemaType: "PROTOBUF", schema: order })).json.error_code,
    ).toBe(42201);
    const registered = await call("POST", "/subjects/order-proto/versions", {
      schemaType: "PROTOBUF",
      schema: order,
      references: [{ name: "money.proto", subject: "money.proto", version: 1 }],
    });
    expect(registered.status, JSON.stringify(registered.json)).toBe(200);
    // The imported type is compared structurally: the same name with an incompatible field is incompatible.
    const changed = 'syntax = "proto3";\npackage acme;\nmessage Money { string cents = 1; }\n';
    expect(
      (await call("POST", "/subjects/money-v2.proto/versions", { schemaType: "PROTOBUF", schema: changed })).status,
    ).toBe(200);
    const orderOnChanged = order.replace('import "money.proto"', 'import "money-v2.proto"');
    const check = await call("POST", "/compatibility/subjects/order-proto/versions/latest", {
      schemaType: "PROTOBUF",
      schema: orderOnChanged,
      references: [{ name: "money-v2.proto", subject: "money-v2.proto", version: 1 }],
    });
    expect(check.json).toEqual({ is_compatible: false });

    const point = JSON.stringify({ type: "object", properties: { x: { type: "number" } } });
    expect((await call("POST", "/subjects/point-json/versions", { schemaType: "JSON", schema: point })).status).toBe(
      200,
    );
    const shape = JSON.stringify({ type: "object", properties: { at: { $ref: "point.json" } } });
    // A JSON Schema cannot build on a Protobuf schema.
    expect(
      (
        await call("POST", "/subjects/shape-json/versions", {
          schemaType: "JSON",
          schema: shape,
          references: [{ name: "point.json", subject: "money.proto", version: 1 }],
        })
      ).json.error_code,
    ).toBe(42201);
    const missing = await call("POST", "/subjects/shape-json/versions", {
      schemaType: "JSON",
      schema: shape,
      references: [{ name: "point.json", subject: "nowhere", version: 1 }],
    });
    expect(missing.json.error_code).toBe(42201);
    expect(
      (
        await call("POST", "/subjects/shape-json/versions", {
          schemaType: "JSON",
          schema: shape,
          references: [{ name: "point.json", subject: "point-json", version: 1 }],
        })
      ).status,
    ).toBe(200);
  });
});

describe("listing", () => {
  test(`GET /schemas with subjectPrefix, latestOnly, deleted, offset and limit; \
/subjects deletedOnly; ids by guid`, async () => {
    await call("PUT", "/config/list-a", { compatibility: "NONE" });
    await call("POST", "/subjects/list-a/versions", { schema: avro("ListA") });
    await call("POST", "/subjects/list-a/versions", { schema: avro("ListA2") });
    await call("POST", "/subjects/list-b/versions", { schema: avro("ListB") });
    await call("DELETE", "/subjects/list-b");
    const all = await call<{ subject: string; version: number; guid: string; id: number }[]>(
      "GET",
      "/schemas?subjectPrefix=list-",
    );
    expect(all.json.map((s) => `${s.subject}/${s.version}`)).toEqual(["list-a/1", "list-a/2"]);
    expect(
      (await call<{ version: number }[]>("GET", "/schemas?subjectPrefix=list-&latestOnly=true")).json.map(
        (s) => s.version,
      ),
    ).toEqual([2]);
    expect((await call<unknown[]>("GET", "/schemas?subjectPrefix=list-&deleted=true")).json).toHaveLength(3);
    expect(
      (await call<{ version: number }[]>("GET", "/schemas?subjectPrefix=list-&offset=1&limit=1")).json.map(
        (s) => s.version,
      ),
    ).toEqual([2]);
    expect((await call("GET", "/subjects?deletedOnly=true")).json).toContain("list-b");
    expect((await call("GET", "/subjects?deletedOnly=true")).json).not.toContain("list-a");
    expect((await call("GET", `/schemas/guids/${all.json[0]!.guid}`)).json).toMatchObject({
      id: all.json[0]!.id,
      schema: avro("ListA"),
    });
    expect((await call("GET", `/schemas/ids/${all.json[0]!.id}?subject=list-a`)).status).toBe(200);
    expect((await call("GET", `/schemas/ids/${all.json[0]!.id}?subject=:.elsewhere:list-a`)).json.error_code).toBe(
      40403,
    );
  });

  test("GET /subjects pages with offset and limit; an alias in a subject's config stands for its target", async () => {
    for (const name of ["pg-a", "pg-b", "pg-c"])
      await call("POST", `/subjects/${name}/versions`, { schema: avro(`Pg${name.slice(-1)}`) });
    expect((await call("GET", "/subjects?subjectPrefix=pg-&offset=1&limit=1")).json).toEqual(["pg-b"]);
    expect((await call("GET", "/subjects?subjectPrefix=pg-&limit=-1")).json).toEqual(["pg-a", "pg-b", "pg-c"]);
    expect((await call("GET", "/subjects?subjectPrefix=pg-&offset=9")).json).toEqual([]);
    await call("PUT", "/config/pg-short", { compatibility: "BACKWARD", alias: "pg-a" });
    expect((await call("GET", "/config/pg-short")).json).toMatchObject({ alias: "pg-a" });
    expect(
      (
        await call("POST", "/subjects/pg-short/versions", {
          schema: avro("Pga", [
            { name: "id", type: "string" },
            { name: "n", type: "int", default: 0 },
          ]),
        })
      ).status,
    ).toBe(200);
    expect((await call("GET", "/subjects/pg-a/versions")).json).toEqual([1, 2]);
    expect((await call("GET", "/subjects/pg-short/versions/2")).json).toMatchObject({ subject: "pg-a", version: 2 });
    await call("PUT", "/config/pg-short", { alias: "" });
    expect((await call("GET", "/subjects/pg-short/versions")).json.error_code).toBe(40401);
  });

  test("an Avro enum without symbols is an invalid schema (42201), as Avro and avsc refuse it", async () => {
    const empty = JSON.stringify({ type: "enum", name: "Nothing", symbols: [] });
    expect((await call("POST", "/subjects/enum-empty/versions", { schema: empty })).json.error_code).toBe(42201);
  });

  test("a GET-only endpoint answers other methods with 405 in Confluent's shape", async () => {
    const res = await call("POST", "/schemas/types", {});
    expect([res.status, res.json.error_code]).toEqual([405, 405]);
    expect((await call("DELETE", "/schemas/ids/1")).status).toBe(405);
  });
});

describe("identity, metadata and rule sets", () => {
  test("an inherited Avro namespace and the same namespace spelled out are the same schema", async () => {
    const inherited = JSON.stringify({
      type: "record",
      name: "Outer",
      namespace: "com.ns",
      fields: [{ name: "in", type: { type: "record", name: "Inner", fields: [{ name: "a", type: "int" }] } }],
    });
    const explicit = JSON.stringify({
      type: "record",
      name: "Outer",
      namespace: "com.ns",
      fields: [
        {
          name: "in",
          type: { type: "record", name: "Inner", namespace: "com.ns", fields: [{ name: "a", type: "int" }] },
        },
      ],
    });
    const first = await call("POST", "/subjects/ns-a/versions", { schema: inherited });
    expect((await call("POST", "/subjects/ns-b/versions", { schema: explicit })).json).toEqual({ id: first.json.id });
  });

  test("validateFields: a field may not take a reserved name, and a reserved name stays reserved (409)", async () => {
    await call("PUT", "/config/reserved-value", { compatibility: "NONE", validateFields: true });
    const schema = avro("Reserved", [{ name: "email", type: "string" }]);
    const conflict = await call("POST", "/subjects/reserved-value/versions", {
      schema,
      metadata: { properties: { "confluent:reserved": "x, email" } },
    });
    expect([conflict.status, conflict.json.message]).toEqual([
      409,
      "The new schema has field that conflicts with the reserved field email.",
    ]);
    expect(
      (
        await call("POST", "/subjects/reserved-value/versions", {
          schema,
          metadata: { properties: { "confluent:reserved": "ssn" } },
        })
      ).status,
    ).toBe(200);
    const removed = await call("POST", "/subjects/reserved-value/versions", {
      schema: avro("Reserved2"),
      metadata: { properties: { "confluent:reserved": "other" } },
    });
    expect([removed.status, removed.json.message]).toEqual([
      409,
      "The new schema has reserved field ssn removed from its metadata.",
    ]);
  });

  test("the same schema with other whitespace is the same id and no new version", async () => {
    const first = await call("POST", "/subjects/canon-value/versions", {
      schema: '{"type":"record","name":"Canon","fields":[{"name":"a","type":"string"}]}',
    });
    const again = await call("POST", "/subjects/canon-value/versions", {
      schema: '{ "type": "record", "name": "Canon", "fields": [ { "name": "a", "type": "string" } ] }',
    });
    expect(again.json).toEqual({ id: first.json.id });
    expect((await call("GET", "/subjects/canon-value/versions")).json).toEqual([1]);
    // The text is kept as first registered.
    expect((await call("GET", `/schemas/ids/${first.json.id as number}/schema`)).text).toBe(
      '{"type":"record","name":"Canon","fields":[{"name":"a","type":"string"}]}',
    );
  });

  test(`metadata and rule sets are stored and returned, \
merged with the config's defaults and overrides (override wins), inherited by the next version`, async () => {
    await call("PUT", "/config/meta-value", {
      compatibility: "NONE",
      defaultMetadata: { properties: { team: "platform", tier: "bronze" } },
      overrideMetadata: { properties: { tier: "gold" } },
    });
    expect((await call("GET", "/config/meta-value")).json).toMatchObject({
      compatibilityLevel: "NONE",
      defaultMetadata: { properties: { team: "platform", tier: "bronze" } },
    });
    const ruleSet = {
      domainRules: [{ name: "checkId", kind: "CONDITION", mode: "WRITE", type: "CEL", expr: "message.id != ''" }],
    };
    await call("POST", "/subjects/meta-value/versions", {
      schema: avro("Meta"),
      metadata: { properties: { owner: "ana", tier: "silver" } },
      ruleSet,
    });
    const v1 = await call("GET", "/subjects/meta-value/versions/1");
    expect(v1.json).toMatchObject({
      metadata: { properties: { team: "platform", owner: "ana", tier: "gold", "confluent:version": "1" } },
      ruleSet,
    });
    // The same schema with other metadata: a new version under the same id.
    const v1id = v1.json.id;
    expect(
      (
        await call("POST", "/subjects/meta-value/versions", {
          schema: avro("Meta"),
          metadata: { properties: { owner: "bo" } },
        })
      ).json,
    ).toEqual({ id: v1id });
    expect((await call("GET", "/subjects/meta-value/versions")).json).toEqual([1, 2]);
    expect((await call("GET", "/subjects/meta-value/metadata")).json).toMatchObject({
      properties: { owner: "bo", tier: "gold" },
    });
    await call("POST", "/subjects/meta-value/versions", { schema: avro("Meta2") });
    expect((await call("GET", "/subjects/meta-value/versions/3")).json).toMatchObject({
      metadata: { properties: { owner: "bo" } },
      ruleSet,
    });
    const badRules = await call("POST", "/subjects/meta-value/versions", {
      schema: avro("Meta3"),
      ruleSet: { domainRules: [{ name: "r", kind: "MAYBE" }] },
    });
    expect(badRules.json.error_code).toBe(42201);
  });
});

describe("backup", () => {
  test(`export carries the Confluent tables and an import \
restores ids, versions, references and settings exactly`, async () => {
    await call("PUT", "/config/bk-user", { compatibility: "FORWARD" });
    const base = await call("POST", "/subjects/bk-base/versions", { schema: avro("BkBase") });
    const references = [{ name: "com.acme.BkBase", subject: "bk-base", version: 1 }];
    const user = await call("POST", "/subjects/bk-user/versions", {
      schema: avro("BkUser", [{ name: "base", type: "com.acme.BkBase" }]),
      references,
    });
    expect(user.status).toBe(200);
    const exported = await h.call(DB, "GET", "/api/export");
    const text = exported.text;
    expect(JSON.parse(text)).toHaveProperty("confluent.confluent_schema_ids");
    const imported = await h.call(RESTORED, "POST", "/api/import", JSON.parse(text) as unknown, {
      "content-type": "application/json",
    });
    expect(imported.status, JSON.stringify(imported.json)).toBe(201);
    expect((await h.call(RESTORED, "GET", "/api/export")).text).toBe(text);
    expect((await call("GET", "/subjects/bk-user/versions/1", undefined, RESTORED)).json).toMatchObject({
      id: user.json.id,
      references,
    });
    expect((await call("GET", `/schemas/ids/${base.json.id as number}`, undefined, RESTORED)).json).toEqual({
      schemaType: "AVRO",
      schema: avro("BkBase"),
    });
    expect((await call("GET", "/config/bk-user", undefined, RESTORED)).json).toEqual({ compatibilityLevel: "FORWARD" });
    expect((await call("GET", "/subjects/bk-base/versions/1/referencedby", undefined, RESTORED)).json).toEqual([
      user.json.id,
    ]);
  });
});
