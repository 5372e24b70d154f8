/**
 * A test Worker that exposes the document store over HTTP so the suites in this folder can drive
 * it from Node while it runs in real workerd on a real D1 database. Not part of the product: it is
 * bundled only by the tests (see store-harness.ts), and its routes are not an API.
 */
import { Hono } from "hono";
import { sql } from "kysely";
import { z } from "zod";
import { ApiError } from "../../../../tenant-template/src/api-error.ts";
import { collectionDdl } from "../../../../tenant-template/src/store/collection-ddl.ts";
import { COLLECTIONS } from "../../../../tenant-template/src/store/collections.ts";
import { d1Session, type D1SessionVariables } from "../../../../tenant-template/src/store/d1-session.ts";
import { defineCollection, type Collection } from "../../../../tenant-template/src/store/define-collection.ts";
import { documentRepository, InvalidCursorError } from "../../../../tenant-template/src/store/document-repository.ts";
import { storeDb } from "../../../../tenant-template/src/store/store-db.ts";
import {
  deleteWrite,
  insertWrite,
  updateWrite,
  writeAtomically,
} from "../../../../tenant-template/src/store/write-atomically.ts";

/** A collection only the tests have: one counter document many writers increment. */
export const counters = defineCollection({
  name: "test_counters",
  body: z.object({ name: z.string(), count: z.number().int() }),
  indexes: [{ name: "name", jsonPath: "$.name", sqlType: "TEXT" }],
});

const collections = new Map<string, Collection>(
  [...COLLECTIONS, counters].map((collection) => [collection.name, collection]),
);

type HarnessEnv = { Bindings: { DB: D1Database }; Variables: D1SessionVariables };
const app = new Hono<HarnessEnv>();
app.onError((error, c) => {
  if (error instanceof ApiError) return c.json({ error: { code: error.code, message: error.message } }, error.status);
  return c.json({ error: { code: "internal_error", message: String(error) } }, 500);
});

// Creates the test-only tables (the real ones come from the migrations).
app.post("/setup", async (c) => {
  await c.env.DB.batch(collectionDdl(counters).map((statement) => c.env.DB.prepare(statement)));
  return c.json({ ok: true });
});

app.use("/c/*", d1Session());

const repo = (c: { req: { param: (name: "collection") => string }; var: D1SessionVariables }) => {
  const collection = collections.get(c.req.param("collection"));
  if (!collection) throw new ApiError(404, "not_found", "no such collection");
  return documentRepository(c.var.session, collection);
};

interface OpBody {
  id?: string;
  body?: Record<string, unknown>;
  expectedVersion?: number;
  where?: Record<string, string | number | null>;
  limit?: number;
  cursor?: string | null;
}

app.get("/c/:collection/:id", async (c) => c.json({ document: await repo(c).get(c.req.param("id")) }));
app.post("/c/:collection/insert", async (c) => {
  const input = await c.req.json<OpBody>();
  return c.json(await repo(c).insert(input.body ?? {}, input.id === undefined ? {} : { id: input.id }));
});
app.post("/c/:collection/update", async (c) => {
  const input = await c.req.json<OpBody>();
  return c.json(
    await repo(c).update(input.id ?? "", input.body ?? {}, { expectedVersion: input.expectedVersion ?? 0 }),
  );
});
app.post("/c/:collection/delete", async (c) => {
  const input = await c.req.json<OpBody>();
  return c.json(await repo(c).delete(input.id ?? "", { expectedVersion: input.expectedVersion ?? 0 }));
});
app.post("/c/:collection/list", async (c) => {
  const input = await c.req.json<OpBody>();
  try {
    return c.json(
      await repo(c).list({ where: input.where ?? {}, limit: input.limit ?? 50, cursor: input.cursor ?? null }),
    );
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new ApiError(400, "bad_cursor", error.message);
    throw error;
  }
});

interface AtomicOp {
  op: "insert" | "update" | "delete";
  collection: string;
  id?: string;
  body?: Record<string, unknown>;
  expectedVersion?: number;
}

// A group of writes, all or nothing.
app.post("/c/atomic", async (c) => {
  const ops = await c.req.json<AtomicOp[]>();
  const writes = ops.map((op) => {
    const collection = collections.get(op.collection);
    if (!collection) throw new ApiError(404, "not_found", "no such collection");
    if (op.op === "insert") return insertWrite(collection, op.body ?? {}, op.id === undefined ? {} : { id: op.id });
    if (op.op === "update")
      return updateWrite(collection, op.id ?? "", op.body ?? {}, { expectedVersion: op.expectedVersion ?? 0 });
    return deleteWrite(collection, op.id ?? "", { expectedVersion: op.expectedVersion ?? 0 });
  });
  return c.json(await writeAtomically(c.var.session, writes));
});

interface CounterRow {
  id: string;
  body: string;
  created_at: string;
  updated_at: string;
  _version: number;
}

// What Kysely reports for writes through our D1 dialect on the request's session: an insert of
// three rows, an update of two, a delete of one, then an update and a delete that match nothing.
// Also returns whatever was logged meanwhile, so the test sees any Kysely warning about the driver.
app.post("/c/kysely/affected-rows", async (c) => {
  const { prefix } = await c.req.json<{ prefix: string }>();
  const db = storeDb<Record<string, CounterRow>>(c.var.session);
  const logged: string[] = [];
  const { log, warn } = console;
  console.log = console.warn = (...args: unknown[]) => logged.push(args.map(String).join(" "));
  try {
    const now = new Date().toISOString();
    const first = `${prefix}-a`;
    const second = `${prefix}-b`;
    const third = `${prefix}-c`;
    const rows = [first, second, third].map((id) => ({
      id,
      body: JSON.stringify({ name: id, count: 0 }),
      created_at: now,
      updated_at: now,
      _version: 1,
    }));
    const inserted = await db.insertInto(counters.name).values(rows).executeTakeFirstOrThrow();
    const lastRow = await db
      .selectFrom(counters.name)
      .select(sql<number>`rowid`.as("rowid"))
      .where("id", "=", third)
      .executeTakeFirstOrThrow();
    const bump = { _version: sql<number>`_version + 1` };
    const updated = await db.updateTable(counters.name).set(bump).where("id", "in", [first, second]).executeTakeFirst();
    const deleted = await db.deleteFrom(counters.name).where("id", "=", third).executeTakeFirst();
    const missing = `${prefix}-none`;
    const updatedNone = await db.updateTable(counters.name).set(bump).where("id", "=", missing).executeTakeFirst();
    const deletedNone = await db.deleteFrom(counters.name).where("id", "=", missing).executeTakeFirst();
    return c.json({
      inserted: Number(inserted.numInsertedOrUpdatedRows),
      insertId: inserted.insertId === undefined ? null : Number(inserted.insertId),
      lastRowid: lastRow.rowid,
      updated: Number(updated.numUpdatedRows),
      deleted: Number(deleted.numDeletedRows),
      updatedNone: Number(updatedNone.numUpdatedRows),
      deletedNone: Number(deletedNone.numDeletedRows),
      logged,
    });
  } finally {
    console.log = log;
    console.warn = warn;
  }
});

// What Kysely's transaction(), startTransaction() and stream() do on D1, which has none of them.
app.post("/c/kysely/unsupported", async (c) => {
  const db = storeDb<Record<string, { id: string }>>(c.var.session);
  const failure = async (attempt: () => Promise<unknown>) => {
    try {
      await attempt();
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  let callbackRan = false;
  return c.json({
    transaction: await failure(() =>
      db.transaction().execute(async () => {
        callbackRan = true;
      }),
    ),
    callbackRan,
    startTransaction: await failure(() => db.startTransaction().execute()),
    stream: await failure(async () => {
      for await (const _ of db.selectFrom(counters.name).select("id").stream()) break;
    }),
  });
});

// One writer: `times` increments of a counter, each a read then a compare-and-set, retried on
// conflict. Reports how many increments succeeded and how many conflicts it saw.
app.post("/c/:collection/increment", async (c) => {
  const { id, times } = await c.req.json<{ id: string; times: number }>();
  const counter = documentRepository(c.var.session, counters);
  let done = 0;
  let conflicts = 0;
  while (done < times) {
    const current = await counter.get(id);
    if (!current) throw new ApiError(404, "not_found", "no such counter");
    // Let other writers interleave between the read and the write, as separate requests would.
    await scheduler.wait(Math.floor(Math.random() * 3));
    const result = await counter.update(
      id,
      { ...current.body, count: current.body.count + 1 },
      { expectedVersion: current.version },
    );
    if (result.ok) done += 1;
    else if (result.kind === "version_conflict") conflicts += 1;
    else throw new Error(`unexpected ${result.kind}`);
  }
  return c.json({ done, conflicts });
});

export default app;
