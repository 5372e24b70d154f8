/**
 * Our Kysely dialect for D1 (tenant-template/src/store/d1-dialect.ts) on a real D1 database in
 * workerd: the row counts Kysely reports for writes come from D1, Kysely logs no warning about the
 * driver, and what D1 cannot do (transactions, streaming) fails loudly instead of silently.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { startStoreHarness, type StoreHarness } from "./harness/store-harness.ts";

let harness: StoreHarness;
beforeAll(async () => {
  harness = await startStoreHarness(["dialect"]);
});
afterAll(async () => {
  await harness?.dispose();
});

test("Kysely reports the rows an insert, an update and a delete touched, and 0 when nothing matches", async () => {
  const res = await harness.call("dialect", "POST", "/c/kysely/affected-rows", { prefix: "affected" });
  expect(res.status).toBe(200);
  expect(res.json).toEqual({
    inserted: 3,
    insertId: res.json.lastRowid,
    lastRowid: expect.any(Number),
    updated: 2,
    deleted: 1,
    updatedNone: 0,
    deletedNone: 0,
    // kysely-d1 made Kysely log "kysely:warning: outdated driver/plugin detected!" here.
    logged: [],
  });
});

test("transactions and streaming are refused with an error that says why", async () => {
  const res = await harness.call("dialect", "POST", "/c/kysely/unsupported");
  expect(res.status).toBe(200);
  expect(res.json).toEqual({
    transaction: expect.stringContaining("D1 has no interactive transactions"),
    callbackRan: false,
    startTransaction: expect.stringContaining("D1 has no interactive transactions"),
    stream: expect.stringContaining("D1 does not support streaming"),
  });
});
