/**
 * Schema ids numbered per context, as Confluent numbers them (docs/confluent-api.md, "Contexts"):
 * each context hands out its own ids from 1, and an id is found in the default context, under
 * `/contexts/{ctx}`, or in the context of `?subject=`, never from another context. Through the
 * tenant Worker in workerd with real D1; this file owns its database and numbers from a fresh one.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { splitSqlStatements } from "../../../infra/local-platform/sql-statements.ts";
import { TENANT_MIGRATIONS_DIR } from "../../../scripts/lib/worker-bundles.ts";
import { startRegistryHarness, type RegistryHarness } from "../registry/registry-harness.ts";
import { avroRecord, confluentCaller, registerSchema } from "./confluent-caller.ts";

const DB = "ctxids";
/** A database whose ids are numbered again by migration 0008's statements, as a tenant migrating. */
const LEGACY = "ctxlegacy";

let h: RegistryHarness;
const call = confluentCaller(() => h, DB);
const avro = avroRecord;

const register = (subject: string, schema: string) => registerSchema(call, subject, schema);

beforeAll(async () => {
  h = await startRegistryHarness([DB, LEGACY]);
  // In order, on the fresh database: each context numbers from 1.
  expect(await register(":.alpha:orders", avro("Shared"))).toBe(1);
  expect(await register(":.beta:orders", avro("Shared"))).toBe(1);
  expect(await register(":.alpha:users", avro("AlphaUser"))).toBe(2);
  expect(await register("plain", avro("Plain"))).toBe(1);
});
afterAll(async () => {
  await h?.dispose();
});

describe("schema ids per context", () => {
  test("an id is found in its own context only", async () => {
    expect((await call("GET", "/schemas/ids/1")).json).toMatchObject({ schema: avro("Plain") });
    expect((await call("GET", "/contexts/.alpha/schemas/ids/1")).json).toMatchObject({ schema: avro("Shared") });
    expect((await call("GET", "/contexts/.alpha/schemas/ids/2")).json).toMatchObject({ schema: avro("AlphaUser") });
    expect((await call("GET", "/schemas/ids/2?subject=:.alpha:users")).json).toMatchObject({
      schema: avro("AlphaUser"),
    });
    // Id 2 exists in .alpha only.
    for (const path of ["/schemas/ids/2", "/contexts/.beta/schemas/ids/2", "/schemas/ids/2?subject=:.beta:orders"]) {
      const missing = await call("GET", path);
      expect([missing.status, missing.json.error_code], path).toEqual([404, 40403]);
    }
  });

  test("the uses of an id are its context's, and fetchMaxId is the context's highest", async () => {
    expect((await call("GET", "/contexts/.alpha/schemas/ids/1/versions")).json).toEqual([
      { subject: "orders", version: 1 },
    ]);
    expect((await call("GET", "/schemas/ids/1/subjects")).json).toEqual(["plain"]);
    expect((await call("GET", "/contexts/.alpha/schemas/ids/1?fetchMaxId=true")).json).toMatchObject({ maxId: 2 });
    expect((await call("GET", "/schemas/ids/1?fetchMaxId=true")).json).toMatchObject({ maxId: 1 });
  });

  test("subject versions and lookups answer their context's ids", async () => {
    expect((await call("GET", "/subjects/:.beta:orders/versions/1")).json).toMatchObject({ id: 1 });
    expect((await call("GET", "/subjects/:.alpha:users/versions/latest")).json).toMatchObject({ id: 2 });
    const lookup = await call("POST", "/subjects/:.alpha:users", { schema: avro("AlphaUser") });
    expect(lookup.json).toMatchObject({ id: 2, version: 1 });
    const listed = await call<{ subject: string; id: number }[]>("GET", "/schemas?subjectPrefix=:*:");
    const ids = Object.fromEntries(listed.json.map((each) => [each.subject, each.id]));
    expect(ids).toMatchObject({ ":.alpha:orders": 1, ":.beta:orders": 1, ":.alpha:users": 2, plain: 1 });
  });

  test("the id cache keeps contexts apart (the same id cached in two contexts)", async () => {
    for (let i = 0; i < 2; i += 1) {
      const plain = await call("GET", "/schemas/ids/1");
      const alpha = await call("GET", "/contexts/.alpha/schemas/ids/1");
      expect(plain.json).toEqual({ schemaType: "AVRO", schema: avro("Plain") });
      expect(alpha.json).toEqual({ schemaType: "AVRO", schema: avro("Shared") });
      if (i === 1)
        expect([plain.headers.get("x-registry-cache"), alpha.headers.get("x-registry-cache")]).toEqual(["hit", "hit"]);
    }
  });

  test("an import keeps its id in its own context", async () => {
    expect((await call("PUT", "/mode/:.gamma:?force=true", { mode: "IMPORT" })).status).toBe(200);
    try {
      const imported = await call("POST", "/subjects/:.gamma:events/versions", {
        schema: avro("GammaEvent"),
        id: 1,
        version: 1,
      });
      expect(imported.json, imported.text).toEqual({ id: 1 });
    } finally {
      await call("PUT", "/mode/:.gamma:", { mode: "READWRITE" });
    }
    expect((await call("GET", "/contexts/.gamma/schemas/ids/1")).json).toMatchObject({ schema: avro("GammaEvent") });
    expect((await call("GET", "/schemas/ids/1")).json).toMatchObject({ schema: avro("Plain") });
    // The next registration there continues above the imported id.
    expect(await register(":.gamma:more", avro("GammaMore"))).toBe(2);
  });

  test("a prefix-scoped key cannot read another context's id through ?subject=", async () => {
    const created = await call<{ key: string }>(
      "POST",
      "/api/keys",
      { role: "read", subjectPrefix: "plain" },
      { "content-type": "application/json" },
    );
    expect(created.status, created.text).toBe(201);
    const key = { authorization: `Bearer ${created.json.key}` };
    expect((await call("GET", "/schemas/ids/1", undefined, key)).status).toBe(200);
    // Id 1 of .alpha is used by :.alpha:orders only, outside the key's scope.
    expect((await call("GET", "/schemas/ids/1?subject=:.alpha:orders", undefined, key)).status).toBe(403);
    expect((await call("GET", "/contexts/.alpha/schemas/ids/1", undefined, key)).status).toBe(403);
  });
});

describe("migration 0008 on a registry numbered before contexts had their own ids", () => {
  test("every id keeps its number in the default context and in each named context that used it", async () => {
    const legacy = confluentCaller(() => h, LEGACY);
    for (const [subject, name] of [
      ["first", "First"],
      [":.team:orders", "TeamOrder"],
      ["second", "Second"],
    ]) {
      expect((await legacy("POST", `/subjects/${subject}/versions`, { schema: avro(name!) })).status).toBe(200);
    }
    const db = await h.d1(LEGACY);
    const rows = (
      await db.prepare("SELECT id, schema FROM confluent_schema_ids ORDER BY id").all<{ id: number; schema: string }>()
    ).results;
    expect(rows.map((row) => row.schema)).toEqual([avro("First"), avro("TeamOrder"), avro("Second")]);
    // Before 0008 an id was the row's number everywhere: put the table back to that and number again.
    const migration = await readFile(join(TENANT_MIGRATIONS_DIR, "0008_confluent_context_ids.sql"), "utf8");
    const seed = splitSqlStatements(migration).filter((statement) => /^\s*(--[^\n]*\n\s*)*INSERT/.test(statement));
    expect(seed).toHaveLength(2);
    await db.batch([
      db.prepare("DELETE FROM confluent_context_ids"),
      ...seed.map((statement) => db.prepare(statement)),
    ]);
    for (const row of rows) {
      expect((await legacy("GET", `/schemas/ids/${row.id}?fetchMaxId=false`)).json).toMatchObject({
        schema: row.schema,
      });
    }
    const team = rows[1]!.id;
    expect((await legacy("GET", `/contexts/.team/schemas/ids/${team}`)).json).toMatchObject({
      schema: avro("TeamOrder"),
    });
    expect((await legacy("GET", "/subjects/:.team:orders/versions/1")).json).toMatchObject({ id: team });
    // New ids continue above the highest each context holds.
    expect((await legacy("POST", "/subjects/:.team:more/versions", { schema: avro("More") })).json).toEqual({
      id: team + 1,
    });
  });
});
