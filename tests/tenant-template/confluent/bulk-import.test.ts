/**
 * `POST /import/schemas` (docs/confluent-api.md, "Bulk import"): many schemas in one request, each
 * keeping the id and version it was given, for moving a registry here. Each schema is imported
 * or refused on its own (a partial import is reported as such), nothing is ever overwritten, and
 * the tally says exactly what was written. Through the tenant Worker in workerd with real D1.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startRegistryHarness, type RegistryHarness } from "../registry/registry-harness.ts";
import { avroRecord, confluentCaller } from "./confluent-caller.ts";

const DB = "bulkimport";

let h: RegistryHarness;
const call = confluentCaller(() => h, DB);
const avro = avroRecord;

interface ImportReply {
  imported: number;
  errors: number;
  results: { subject: string; version: number; id: number; success: boolean; error_code?: number; message?: string }[];
  error_code?: number;
  message?: string;
}

const bulk = (schemas: unknown[]) => call<ImportReply>("POST", "/import/schemas", { schemas });

beforeAll(async () => {
  h = await startRegistryHarness([DB]);
  // The root's mode is the default context's; a named context has its own.
  for (const level of ["/mode", "/mode/:.team:"])
    expect((await call("PUT", `${level}?force=true`, { mode: "IMPORT" })).status).toBe(200);
});
afterAll(async () => {
  await h?.dispose();
});

describe("POST /import/schemas", () => {
  test("imports each schema with its id and version, in one request", async () => {
    const reply = await bulk([
      { id: 100, subject: "bulk-a", version: 3, schema: avro("BulkA") },
      { id: 101, subject: "bulk-b", version: 1, schemaType: "JSON", schema: '{"type":"object"}' },
      { id: 102, subject: ":.team:bulk-c", version: 1, schema: avro("BulkC") },
    ]);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json).toMatchObject({ imported: 3, errors: 0 });
    expect(reply.json.results.map((r) => [r.subject, r.version, r.id, r.success])).toEqual([
      ["bulk-a", 3, 100, true],
      ["bulk-b", 1, 101, true],
      [":.team:bulk-c", 1, 102, true],
    ]);
    expect((await call("GET", "/subjects/bulk-a/versions/3")).json).toMatchObject({ id: 100, schema: avro("BulkA") });
    expect((await call("GET", "/schemas/ids/101")).json).toMatchObject({ schemaType: "JSON" });
    expect((await call("GET", "/contexts/.team/schemas/ids/102")).json).toMatchObject({ schema: avro("BulkC") });
  });

  test("a partial import imports the valid ones and reports each refusal", async () => {
    const reply = await bulk([
      { id: 200, subject: "part-a", version: 1, schema: avro("PartA") },
      { id: 201, subject: "part-b", version: 1, schema: "{not a schema" },
      { id: 202, subject: "part-c", version: 1, schema: avro("PartC") },
    ]);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json).toMatchObject({ imported: 2, errors: 1 });
    expect(reply.json.results[1]).toMatchObject({ subject: "part-b", success: false, error_code: 42201 });
    expect((await call("GET", "/schemas/ids/201")).status).toBe(404);
    expect((await call("GET", "/schemas/ids/202")).status).toBe(200);
  });

  test("never overwrites: a taken id or an existing version is refused, even the same schema again", async () => {
    expect((await bulk([{ id: 300, subject: "keep", version: 1, schema: avro("Keep") }])).json.imported).toBe(1);
    for (const entry of [
      { id: 300, subject: "other", version: 1, schema: avro("Other") }, // the id stands for another schema
      { id: 301, subject: "keep", version: 1, schema: avro("Else") }, // the version exists
      { id: 300, subject: "keep", version: 1, schema: avro("Keep") }, // the very same import again
    ]) {
      const reply = await bulk([entry]);
      expect(reply.status, JSON.stringify(entry)).toBe(422);
      expect(reply.json).toMatchObject({ error_code: 42205, imported: 0, errors: 1 });
      expect(reply.json.results[0]).toMatchObject({ success: false, error_code: 42205 });
    }
    expect((await call("GET", "/subjects/keep/versions")).json).toEqual([1]);
    expect((await call("GET", "/schemas/ids/300")).json).toMatchObject({ schema: avro("Keep") });
    expect((await call("GET", "/schemas/ids/301")).status).toBe(404);
  });

  test("outside IMPORT mode each schema is refused", async () => {
    expect((await call("PUT", "/mode/:.closed:", { mode: "READWRITE" })).status).toBe(200);
    const reply = await bulk([{ id: 400, subject: ":.closed:x", version: 1, schema: avro("Closed") }]);
    expect(reply.status, reply.text).toBe(422);
    expect(reply.json.results[0]).toMatchObject({ success: false, error_code: 42205 });
  });

  test("a body that is not a list of schemas is refused as a whole", async () => {
    const tooMany = Array.from({ length: 26 }, (_, i) => ({
      id: 900 + i,
      subject: `many-${i}`,
      version: 1,
      schema: avro("M"),
    }));
    const noId = [{ subject: "no-id", version: 1, schema: avro("X") }];
    for (const body of [{}, { schemas: [] }, { schemas: noId }, { schemas: tooMany }]) {
      const reply = await call("POST", "/import/schemas", body);
      expect(reply.status, JSON.stringify(body)).toBe(422);
      expect(reply.json.error_code, JSON.stringify(body)).toBeTypeOf("number");
    }
  });

  test("is audited as one change, and needs an unscoped key of the write role", async () => {
    const reply = await bulk([{ id: 500, subject: "audited", version: 1, schema: avro("Audited") }]);
    const requestId = reply.headers.get("x-request-id");
    const audit = await call<{ items: { requestId: string; action: string; afterHash: string | null }[] }>(
      "GET",
      "/api/audit?limit=100",
    );
    expect(audit.json.items.find((entry) => entry.requestId === requestId)).toMatchObject({
      action: "schemas.import",
      afterHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const scoped = await call<{ key: string }>(
      "POST",
      "/api/keys",
      { role: "write", subjectPrefix: "audited" },
      { "content-type": "application/json" },
    );
    const refused = await call(
      "POST",
      "/import/schemas",
      { schemas: [] },
      {
        authorization: `Bearer ${scoped.json.key}`,
      },
    );
    expect(refused.status).toBe(403);
  });
});
