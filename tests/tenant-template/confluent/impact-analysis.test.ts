/**
 * Impact analysis (docs/confluent-api.md, "Impact analysis"): `POST /impact/subjects/{subject}`
 * and `POST /api/impact` answer, for a candidate schema, whether it is compatible with its
 * subject, and for every subject whose latest version references it (directly or through others)
 * whether that version stays valid with the new versions in place and compatible under its own
 * level; reference cycles; and an order to evolve them in. Chains and diamonds in Avro, JSON
 * Schema and Protobuf, through the tenant Worker in workerd with real D1. Each test owns its
 * subjects (a prefix of its own).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startRegistryHarness, type RegistryHarness } from "../registry/registry-harness.ts";
import { confluentCaller } from "./confluent-caller.ts";

const DB = "impact";

let h: RegistryHarness;
const call = confluentCaller(() => h, DB);

beforeAll(async () => {
  h = await startRegistryHarness([DB]);
});
afterAll(async () => {
  await h?.dispose();
});

interface Dependent {
  subject: string;
  version: number;
  depth: number;
  path: string[];
  compatibilityLevel: string;
  valid: boolean;
  compatible: boolean;
  messages: string[];
  checked: boolean;
}
interface Report {
  subject: string;
  compatibilityLevel: string;
  compatible: boolean;
  messages: string[];
  dependents: Dependent[];
  cycles: string[][];
  order: string[];
  safe: boolean;
  truncated: boolean;
  error_code?: number;
  message?: string;
}

interface Reference {
  name: string;
  subject: string;
  version: number;
}

async function register(subject: string, schema: unknown, references: Reference[] = [], schemaType = "AVRO") {
  const text = typeof schema === "string" ? schema : JSON.stringify(schema);
  const reply = await call<{ id: number }>("POST", `/subjects/${subject}/versions`, {
    schema: text,
    schemaType,
    references,
  });
  expect(reply.status, reply.text).toBe(200);
}

const impact = (subject: string, schema: unknown, references: Reference[] = [], schemaType = "AVRO") =>
  call<Report>("POST", `/impact/subjects/${subject}`, {
    schema: typeof schema === "string" ? schema : JSON.stringify(schema),
    schemaType,
    references,
  });

const byName = (report: Report) => new Map(report.dependents.map((dependent) => [dependent.subject, dependent]));

/** An Avro chain: p-order references p-customer, which references p-address. */
async function avroChain(p: string) {
  const address = { type: "record", name: `${p}Address`, fields: [{ name: "street", type: "string" }] };
  await register(`${p}-address`, address);
  await register(
    `${p}-customer`,
    { type: "record", name: `${p}Customer`, fields: [{ name: "address", type: `${p}Address` }] },
    [{ name: `${p}Address`, subject: `${p}-address`, version: 1 }],
  );
  await register(
    `${p}-order`,
    { type: "record", name: `${p}Order`, fields: [{ name: "customer", type: `${p}Customer` }] },
    [{ name: `${p}Customer`, subject: `${p}-customer`, version: 1 }],
  );
  return address;
}

describe("POST /impact/subjects/{subject}", () => {
  test("a chain (Avro): a compatible change is safe all the way, in order", async () => {
    await avroChain("ca");
    const reply = await impact("ca-address", {
      type: "record",
      name: "caAddress",
      fields: [
        { name: "street", type: "string" },
        { name: "city", type: "string", default: "" },
      ],
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json).toMatchObject({
      subject: "ca-address",
      compatibilityLevel: "BACKWARD",
      compatible: true,
      cycles: [],
      order: ["ca-address", "ca-customer", "ca-order"],
      safe: true,
      truncated: false,
    });
    const dependents = byName(reply.json);
    expect(dependents.get("ca-customer")).toMatchObject({
      version: 1,
      depth: 1,
      path: ["ca-address", "ca-customer"],
      valid: true,
      compatible: true,
      checked: true,
    });
    expect(dependents.get("ca-order")).toMatchObject({
      depth: 2,
      path: ["ca-address", "ca-customer", "ca-order"],
      valid: true,
      compatible: true,
    });
    // Nothing was written.
    const versions = await call<number[]>("GET", "/subjects/ca-address/versions");
    expect(versions.json).toEqual([1]);
  });

  test("a chain (Avro): a breaking change breaks each dependent under its own level, with the reasons", async () => {
    await avroChain("cb");
    // The order subject checks nothing: its own level is NONE.
    expect((await call("PUT", "/config/cb-order", { compatibility: "NONE" })).status).toBe(200);
    const reply = await impact("cb-address", {
      type: "record",
      name: "cbAddress",
      fields: [{ name: "street", type: "int" }],
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.compatible).toBe(false);
    expect(reply.json.messages.join(" ")).toMatch(/TYPE_MISMATCH/);
    expect(reply.json.safe).toBe(false);
    const dependents = byName(reply.json);
    const customer = dependents.get("cb-customer")!;
    expect(customer).toMatchObject({ valid: true, compatible: false, compatibilityLevel: "BACKWARD" });
    expect(customer.messages.length).toBeGreaterThan(0);
    expect(dependents.get("cb-order")).toMatchObject({ valid: true, compatible: true, compatibilityLevel: "NONE" });
  });

  test("a dependent whose latest no longer parses is reported invalid, with the parser's words", async () => {
    await avroChain("cc");
    // The record the customer uses is renamed away: its latest cannot resolve the type any more.
    const reply = await impact("cc-address", {
      type: "record",
      name: "ccPlace",
      fields: [{ name: "street", type: "string" }],
    });
    expect(reply.status, reply.text).toBe(200);
    const customer = byName(reply.json).get("cc-customer")!;
    expect(customer.valid).toBe(false);
    expect(customer.compatible).toBe(false);
    expect(customer.messages.join(" ")).toMatch(/ccAddress/);
    expect(reply.json.safe).toBe(false);
  });

  test("a diamond (JSON Schema): each dependent once, the top after both sides, whatever the names", async () => {
    await register("dj-z-base", { type: "object", properties: { id: { type: "string" } } }, [], "JSON");
    for (const side of ["left", "right"])
      await register(
        `dj-m-${side}`,
        { type: "object", properties: { base: { $ref: "base.json" } } },
        [{ name: "base.json", subject: "dj-z-base", version: 1 }],
        "JSON",
      );
    await register(
      "dj-a-top",
      { type: "object", properties: { left: { $ref: "left.json" }, right: { $ref: "right.json" } } },
      [
        { name: "left.json", subject: "dj-m-left", version: 1 },
        { name: "right.json", subject: "dj-m-right", version: 1 },
      ],
      "JSON",
    );
    const reply = await impact(
      "dj-z-base",
      { type: "object", properties: { id: { type: "string" }, note: { type: "string" } } },
      [],
      "JSON",
    );
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.dependents.map((dependent) => dependent.subject).sort()).toEqual([
      "dj-a-top",
      "dj-m-left",
      "dj-m-right",
    ]);
    // The top references both sides: after them, though its name sorts first.
    expect(reply.json.order).toEqual(["dj-z-base", "dj-m-left", "dj-m-right", "dj-a-top"]);
    expect(byName(reply.json).get("dj-a-top")).toMatchObject({ depth: 2, valid: true });
    expect(reply.json.cycles).toEqual([]);
  });

  test("Protobuf: an import's message removed leaves the importer invalid; a field added is safe", async () => {
    const common = 'syntax = "proto3";\npackage pb;\nmessage Money { int64 units = 1; }\n';
    await register("pb-common", common, [], "PROTOBUF");
    await register(
      "pb-payment",
      'syntax = "proto3";\npackage pb;\nimport "common.proto";\nmessage Payment { pb.Money amount = 1; }\n',
      [{ name: "common.proto", subject: "pb-common", version: 1 }],
      "PROTOBUF",
    );
    const added = await impact(
      "pb-common",
      'syntax = "proto3";\npackage pb;\nmessage Money { int64 units = 1; string currency = 2; }\n',
      [],
      "PROTOBUF",
    );
    expect(added.status, added.text).toBe(200);
    expect(added.json).toMatchObject({ compatible: true, safe: true, order: ["pb-common", "pb-payment"] });
    const removed = await impact(
      "pb-common",
      'syntax = "proto3";\npackage pb;\nmessage Cash { int64 units = 1; }\n',
      [],
      "PROTOBUF",
    );
    expect(removed.status, removed.text).toBe(200);
    expect(byName(removed.json).get("pb-payment")).toMatchObject({ valid: false, compatible: false });
    expect(removed.json.safe).toBe(false);
  });

  test("a candidate that closes a reference cycle is reported with the cycle's path", async () => {
    await register("cy-b", { type: "record", name: "cyB", fields: [{ name: "id", type: "string" }] });
    await register("cy-a", { type: "record", name: "cyA", fields: [{ name: "b", type: "cyB" }] }, [
      { name: "cyB", subject: "cy-b", version: 1 },
    ]);
    // cy-b would now reference cy-a, which references cy-b.
    const reply = await impact(
      "cy-b",
      { type: "record", name: "cyB", fields: [{ name: "a", type: ["null", "cyA"], default: null }] },
      [{ name: "cyA", subject: "cy-a", version: 1 }],
    );
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.cycles).toEqual([["cy-a", "cy-b", "cy-a"]]);
    expect(reply.json.safe).toBe(false);
    expect(reply.json.compatible).toBe(false);
    expect(reply.json.messages.join(" ")).toMatch(/circular/);
  });

  test("a subject nobody references: the candidate alone; an unknown subject is a first version", async () => {
    const lone = await impact("lone-new", { type: "record", name: "Lone", fields: [{ name: "id", type: "string" }] });
    expect(lone.status, lone.text).toBe(200);
    expect(lone.json).toMatchObject({ compatible: true, dependents: [], order: ["lone-new"], safe: true });
  });

  test("an invalid candidate is 42201, as a registration's would be", async () => {
    const reply = await impact("bad-candidate", "{not json");
    expect(reply.status).toBe(422);
    expect(reply.json.error_code).toBe(42201);
  });
});

describe("POST /api/impact", () => {
  test("answers the same report, in /api's error shape when the candidate is invalid", async () => {
    await avroChain("ap");
    const candidate = {
      type: "record",
      name: "apAddress",
      fields: [{ name: "street", type: "int" }],
    };
    const viaApi = await h.call<Report>(DB, "POST", "/api/impact", {
      subject: "ap-address",
      schema: JSON.stringify(candidate),
    });
    expect(viaApi.status, viaApi.text).toBe(200);
    const viaConfluent = await impact("ap-address", candidate);
    expect(viaApi.json).toEqual(viaConfluent.json);
    expect(viaApi.json.order).toEqual(["ap-address", "ap-customer", "ap-order"]);

    const invalid = await h.call<{ error: { code: string; message: string } }>(DB, "POST", "/api/impact", {
      subject: "ap-address",
      schema: "{not json",
    });
    expect(invalid.status).toBe(422);
    expect(invalid.json.error.code).toBe("invalid_schema");
    const missing = await h.call(DB, "POST", "/api/impact", { schema: "{}" });
    expect(missing.status).toBe(400);
  });
});
