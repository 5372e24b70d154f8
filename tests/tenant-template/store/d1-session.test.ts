/**
 * Bookmarks through the d1Session middleware, in workerd with Miniflare's D1 (which implements
 * sessions and bookmarks locally): every response carries one, and a read that sends the bookmark
 * of a write sees that write.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { startStoreHarness, type StoreHarness } from "./harness/store-harness.ts";

let harness: StoreHarness;
beforeAll(async () => {
  harness = await startStoreHarness(["sessions"]);
});
afterAll(async () => {
  await harness?.dispose();
});

interface Written {
  ok: true;
  document: { id: string; version: number; body: { name: string } };
}

test("a read with the bookmark of a write sees the write, and answers a bookmark at least as new", async () => {
  const write = await harness.call<Written>("sessions", "POST", "/c/products/insert", { body: { name: "bookmarked" } });
  const writeBookmark = write.headers.get("x-d1-bookmark");
  expect(writeBookmark).toBeTruthy();

  const read = await harness.call<{ document: Written["document"] | null }>(
    "sessions",
    "GET",
    `/c/products/${write.json.document.id}`,
    undefined,
    { "x-d1-bookmark": writeBookmark! },
  );
  expect(read.status).toBe(200);
  expect(read.json.document).toMatchObject({ id: write.json.document.id, version: 1, body: { name: "bookmarked" } });
  const readBookmark = read.headers.get("x-d1-bookmark");
  expect(readBookmark).toBeTruthy();
  // Bookmarks are ordered lexically: a session never goes back in time.
  expect(readBookmark! >= writeBookmark!).toBe(true);

  // A second write continues from the read's bookmark and moves it forward.
  const update = await harness.call<Written>(
    "sessions",
    "POST",
    "/c/products/update",
    { id: write.json.document.id, body: { name: "bookmarked", description: "2" }, expectedVersion: 1 },
    { "x-d1-bookmark": readBookmark! },
  );
  expect(update.json.ok).toBe(true);
  expect(update.headers.get("x-d1-bookmark")! > readBookmark!).toBe(true);
});

test("a read without a bookmark still gets one; a malformed bookmark is a 400, not a query", async () => {
  const read = await harness.call("sessions", "POST", "/c/products/list", { limit: 1 });
  expect(read.status).toBe(200);
  expect(read.headers.get("x-d1-bookmark")).toBeTruthy();

  const bad = await harness.call("sessions", "GET", "/c/products/anything", undefined, {
    "x-d1-bookmark": "not a bookmark; drop table",
  });
  expect(bad.status).toBe(400);
  expect(bad.json).toMatchObject({ error: { code: "bad_bookmark" } });
});
