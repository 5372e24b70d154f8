/**
 * Many writers increment one document at the same time, each with a read then a compare-and-set
 * on `_version`, retrying on conflict. With lost updates the final count would fall short of the
 * number of increments that reported success; it must equal it exactly.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { startStoreHarness, type StoreHarness } from "./harness/store-harness.ts";

let harness: StoreHarness;
beforeAll(async () => {
  harness = await startStoreHarness(["concurrency"]);
});
afterAll(async () => {
  await harness?.dispose();
});

test("concurrent compare-and-set writers never lose an update", async () => {
  const writers = 16;
  const incrementsEach = 8;
  const inserted = await harness.call<{ ok: boolean; document: { id: string } }>(
    "concurrency",
    "POST",
    "/c/test_counters/insert",
    { body: { name: "hits", count: 0 } },
  );
  const id = inserted.json.document.id;

  // Each writer is its own request (own D1 session), all in flight together in one workerd.
  const results = await Promise.all(
    Array.from({ length: writers }, () =>
      harness.call<{ done: number; conflicts: number }>("concurrency", "POST", "/c/test_counters/increment", {
        id,
        times: incrementsEach,
      }),
    ),
  );
  for (const result of results) expect(result.status, JSON.stringify(result.json)).toBe(200);
  const succeeded = results.reduce((sum, result) => sum + result.json.done, 0);
  const conflicts = results.reduce((sum, result) => sum + result.json.conflicts, 0);

  const final = await harness.call<{ document: { body: { count: number }; version: number } }>(
    "concurrency",
    "GET",
    `/c/test_counters/${id}`,
  );
  expect(succeeded).toBe(writers * incrementsEach);
  expect(final.json.document.body.count).toBe(succeeded);
  expect(final.json.document.version).toBe(1 + succeeded);
  // The writers really raced: some compare-and-sets were refused and retried.
  expect(conflicts).toBeGreaterThan(0);
});
