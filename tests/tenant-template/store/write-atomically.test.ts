/**
 * Atomic groups of writes (one D1 batch): all of a group is written, or none of it, and the
 * refused write is named with the same typed results as single writes.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { startStoreHarness, type StoreHarness } from "./harness/store-harness.ts";

let harness: StoreHarness;
beforeAll(async () => {
  harness = await startStoreHarness(["atomic"]);
});
afterAll(async () => {
  await harness?.dispose();
});

interface Doc {
  id: string;
  version: number;
  body: Record<string, unknown>;
}
const atomic = async (ops: unknown[]) =>
  (await harness.call<Record<string, unknown>>("atomic", "POST", "/c/atomic", ops)).json;
const get = async (collection: string, id: string) =>
  (await harness.call<{ document: Doc | null }>("atomic", "GET", `/c/${collection}/${id}`)).json.document;

test("a group commits together: an insert, an update and a delete across collections", async () => {
  const created = await atomic([
    { op: "insert", collection: "products", id: "p-atomic", body: { name: "atomic" } },
    { op: "insert", collection: "domains", id: "d-atomic-1", body: { productId: "p-atomic", name: "one" } },
    { op: "insert", collection: "domains", id: "d-atomic-2", body: { productId: "p-atomic", name: "two" } },
  ]);
  expect(created).toEqual({ ok: true, ids: ["p-atomic", "d-atomic-1", "d-atomic-2"] });
  const changed = await atomic([
    {
      op: "update",
      collection: "products",
      id: "p-atomic",
      body: { name: "atomic", description: "one domain" },
      expectedVersion: 1,
    },
    { op: "delete", collection: "domains", id: "d-atomic-2", expectedVersion: 1 },
  ]);
  expect(changed).toMatchObject({ ok: true });
  expect(await get("products", "p-atomic")).toMatchObject({ version: 2, body: { description: "one domain" } });
  expect(await get("domains", "d-atomic-2")).toBeNull();
});

test("a stale version anywhere in the group writes nothing, and names the stale write", async () => {
  await atomic([{ op: "insert", collection: "products", id: "p-stale", body: { name: "stale group" } }]);
  const refused = await atomic([
    { op: "insert", collection: "domains", id: "d-stale", body: { productId: "p-stale", name: "never" } },
    {
      op: "update",
      collection: "products",
      id: "p-stale",
      body: { name: "stale group", description: "lost?" },
      expectedVersion: 7,
    },
  ]);
  expect(refused).toEqual({
    ok: false,
    kind: "version_conflict",
    id: "p-stale",
    expectedVersion: 7,
    currentVersion: 1,
    index: 1,
  });
  expect(await get("domains", "d-stale")).toBeNull();
  expect(await get("products", "p-stale")).toMatchObject({ version: 1, body: { name: "stale group" } });
  expect(await atomic([{ op: "delete", collection: "products", id: "p-missing", expectedVersion: 1 }])).toMatchObject({
    ok: false,
    kind: "not_found",
    index: 0,
  });
});

test("a unique violation in the group writes nothing, and names the write and the constraint", async () => {
  await atomic([
    { op: "insert", collection: "products", id: "p-unique", body: { name: "unique group" } },
    { op: "insert", collection: "domains", id: "d-taken", body: { productId: "p-unique", name: "taken" } },
  ]);
  const refused = await atomic([
    { op: "insert", collection: "domains", id: "d-free", body: { productId: "p-unique", name: "free" } },
    { op: "insert", collection: "domains", id: "d-clash", body: { productId: "p-unique", name: "taken" } },
  ]);
  expect(refused).toEqual({
    ok: false,
    kind: "unique_violation",
    constraint: "domains_product_id_name_unique",
    fields: ["product_id", "name"],
    index: 1,
  });
  expect(await get("domains", "d-free")).toBeNull();
  // An invalid body is refused before anything runs.
  expect(await atomic([{ op: "insert", collection: "domains", body: { name: "orphan" } }])).toMatchObject({
    ok: false,
    kind: "invalid_input",
    index: 0,
  });
});
