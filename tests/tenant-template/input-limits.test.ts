/**
 * The input limits of docs/security.md ("Input limits"), each checked on both APIs of a real tenant
 * Worker in workerd: body size, schema size, name and subject rules (unicode included), page size.
 * Every refusal is a 4xx in the refusing API's own error shape; the accepted edges are accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_BODY_BYTES,
  MAX_NAME_LENGTH,
  MAX_PAGE_SIZE,
  MAX_SPEC_BYTES,
  nameProblem,
  subjectProblem,
} from "../../tenant-template/src/http/input-limits.ts";
import { startRegistryHarness, type RegistryHarness } from "./registry/registry-harness.ts";

const DB = "limits";
const CONTEXT = "00000000-0000-7000-8000-000000000003";
const AVRO = (name: string) => JSON.stringify({ type: "record", name, fields: [{ name: "id", type: "string" }] });
let api: RegistryHarness;

beforeAll(async () => {
  api = await startRegistryHarness([DB]);
});
afterAll(async () => {
  await api?.dispose();
});

describe("the rules themselves", () => {
  it("names: control, bidi, lone surrogate, noncharacter, length, NFC", () => {
    expect(nameProblem("Payments")).toBeNull();
    expect(nameProblem("注文イベント")).toBeNull();
    expect(nameProblem("a\u0000b")).toMatch(/control character U\+0000/);
    expect(nameProblem("a\u0085b")).toMatch(/control character U\+0085/);
    expect(nameProblem("abc\u202Eevil")).toMatch(/bidirectional control U\+202E/);
    expect(nameProblem("x\u2066y")).toMatch(/U\+2066/);
    expect(nameProblem("a\uD800")).toMatch(/unpaired surrogate U\+D800/);
    expect(nameProblem("\uDC00a")).toMatch(/unpaired surrogate U\+DC00/);
    expect(nameProblem("emoji 😀")).toBeNull();
    expect(nameProblem("a\uFFFE")).toMatch(/noncharacter/);
    expect(nameProblem("x".repeat(MAX_NAME_LENGTH))).toBeNull();
    expect(nameProblem("x".repeat(MAX_NAME_LENGTH + 1))).toMatch(/over the limit of 255/);
    expect(nameProblem("Cafe\u0301", { requireNfc: true })).toMatch(/NFC/);
    expect(nameProblem("Caf\u00e9", { requireNfc: true })).toBeNull();
  });

  it("subjects: reserved names, undecodable escapes, the context part", () => {
    expect(subjectProblem("orders-value")).toBeNull();
    expect(subjectProblem(":.payments:orders-value")).toBeNull();
    expect(subjectProblem("100%-sure")).toBeNull();
    expect(subjectProblem("__GLOBAL")).toBe("is reserved");
    expect(subjectProblem(":.ctx:__EMPTY")).toBe("is reserved");
    expect(subjectProblem("a%FFb")).toMatch(/percent escape/);
    expect(subjectProblem(":.bad\u0001ctx:s")).toMatch(/^context name contains the control character/);
    expect(subjectProblem("Cafe\u0301")).toBeNull(); // kept byte for byte, as Kafka clients send it
  });
});

describe("the registry API (/api)", () => {
  const createProduct = (name: unknown) => api.call(DB, "POST", "/api/products", { name });

  it(`refuses names with control or bidi characters, lone surrogates, \
non-NFC text or over 255 characters: 400 naming body/name`, async () => {
    for (const name of ["a\u0000b", "tab\there", "abc\u202Eevil", "Cafe\u0301", "x".repeat(MAX_NAME_LENGTH + 1)]) {
      const res = await createProduct(name);
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(res.json).toMatchObject({ error: { code: "invalid_request", details: [{ path: "body/name" }] } });
    }
    // A lone surrogate, as JSON allows it to be written.
    const lone = await api.call(DB, "POST", "/api/products", '{"name":"a\\ud800b"}');
    expect(lone.status).toBe(400);
    expect(lone.json).toMatchObject({
      error: {
        code: "invalid_request",
        details: [{ path: "body/name", message: expect.stringMatching(/unpaired surrogate/) }],
      },
    });
  });

  it("accepts NFC unicode names up to 255 characters and gives them back unchanged", async () => {
    for (const name of ["Caf\u00e9 Zahlungen", "注文イベント 😀", "y".repeat(MAX_NAME_LENGTH)]) {
      const res = await createProduct(name);
      expect(res.status, name).toBe(201);
      expect(res.json.name).toBe(name);
    }
  });

  it("refuses a renamed document with a bad name (PATCH) the same way", async () => {
    const res = await api.call(DB, "PATCH", `/api/contexts/${CONTEXT}`, { name: "ctx\u202E" });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { details: [{ path: "body/name" }] } });
  });

  it("refuses a body over 1 MiB with 413, a specification over 256 KiB with 422", async () => {
    const big = await api.call(DB, "POST", "/api/products", { name: "big", description: "d".repeat(MAX_BODY_BYTES) });
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ error: { code: "payload_too_large" } });
    const schema = await api.call<{ id: string }>(DB, "POST", `/api/contexts/${CONTEXT}/schemas`, {
      name: "Large",
      schemaTypeCategory: "Events",
      scope: "Public",
    });
    const spec = JSON.stringify({ type: "object", description: "s".repeat(MAX_SPEC_BYTES) });
    const res = await api.call(DB, "POST", `/api/schemas/${schema.json.id}/versions`, {
      semanticVersion: "1.0.0",
      format: "JSON",
      specification: spec,
    });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      error: {
        code: "invalid_specification",
        details: [{ message: expect.stringMatching(/over the limit of 262144 bytes/) }],
      },
    });
  });

  it("refuses a page size outside 1..500, or not in plain digits, on every listing (400, never clamped)", async () => {
    for (const listing of ["/api/products", "/api/audit", "/api/keys"]) {
      for (const limit of ["0", String(MAX_PAGE_SIZE + 1), "-1", "1e9", "ten", "0x10", "1e2", "+5", "%205"]) {
        const res = await api.call(DB, "GET", `${listing}?limit=${limit}`);
        expect(res.status, `${listing} ${limit}`).toBe(400);
        expect(res.json).toMatchObject({ error: { code: "invalid_request", details: [{ path: "query/limit" }] } });
      }
      expect((await api.call(DB, "GET", `${listing}?limit=${MAX_PAGE_SIZE}`)).status, listing).toBe(200);
    }
  });
});

describe("the Confluent API", () => {
  const register = (subject: string, body: unknown = { schema: AVRO("R") }) =>
    api.call(DB, "POST", `/subjects/${subject}/versions`, body);

  it("refuses invalid subjects with 422 / 42208 in Confluent's shape", async () => {
    const bad = [
      "ctl%01x",
      "rtl%E2%80%AEgnp.exe",
      "lone%ED%A0%80",
      "bad%FFutf8",
      "__GLOBAL",
      ":.ctx:__EMPTY",
      "nul%00",
      "x".repeat(MAX_NAME_LENGTH + 1),
      `:.${"c".repeat(MAX_NAME_LENGTH + 1)}:s`,
    ];
    for (const subject of bad) {
      for (const [method, path] of [
        ["POST", `/subjects/${subject}/versions`],
        ["GET", `/subjects/${subject}/versions`],
        ["PUT", `/config/${subject}`],
        ["DELETE", `/subjects/${subject}`],
      ] as const) {
        const res = await api.call(
          DB,
          method,
          path,
          method === "POST" ? { schema: AVRO("R") } : method === "PUT" ? { compatibility: "NONE" } : undefined,
        );
        expect(res.status, `${method} ${path}`).toBe(422);
        expect(res.json, `${method} ${path}`).toEqual({
          error_code: 42208,
          message: expect.stringMatching(/^The specified subject /),
        });
      }
    }
    expect((await api.call<string[]>(DB, "GET", "/subjects")).json).toEqual([]);
  });

  it(`accepts unicode subjects up to 255 characters \
(Confluent's own 201-character one too), byte for byte`, async () => {
    const subjects = [
      "注文-value",
      "Cafe\u0301-value",
      "z".repeat(201),
      "w".repeat(MAX_NAME_LENGTH),
      ":.ctx:dotted.name-value",
    ];
    for (const subject of subjects) {
      const res = await register(encodeURIComponent(subject));
      expect(res.status, subject).toBe(200);
    }
    // `:*:` lists every context's subjects (the root alone lists the default context's).
    const listed = (await api.call<string[]>(DB, "GET", "/subjects?subjectPrefix=:*:")).json;
    for (const subject of subjects) expect(listed).toContain(subject);
  });

  it(`refuses a body over 1 MiB with 413 and a schema over 256 KiB with 422 / 42209, \
in Confluent's shape`, async () => {
    const huge = await register("huge-value", { schema: "x".repeat(MAX_BODY_BYTES + 10) });
    expect(huge.status).toBe(413);
    expect(huge.json).toEqual({ error_code: 413, message: expect.stringContaining("larger than 1048576 bytes") });
    const large = await register("large-value", {
      schema: JSON.stringify({ type: "record", name: "L", doc: "d".repeat(MAX_SPEC_BYTES), fields: [] }),
    });
    expect(large.status).toBe(422);
    expect(large.json).toEqual({
      error_code: 42209,
      message: expect.stringContaining("over the limit of 262144 bytes"),
    });
    expect((await api.call(DB, "GET", "/subjects/large-value/versions")).status).toBe(404);
  });
});
