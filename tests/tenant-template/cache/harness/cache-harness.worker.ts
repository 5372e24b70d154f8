/**
 * A test Worker that exposes the read cache over HTTP so cache.test.ts can drive it in real workerd
 * on a real D1 database and a real KV namespace. Not part of the product. Every response reports
 * what the cache did (`stats`) and how many KV calls it made (`kvOps`), counted by a wrapper around
 * the binding, which is how "CACHE_MODE off never touches KV" is proved.
 * Header `x-kv-fault: reject|throw` swaps KV for one whose every call rejects / throws synchronously.
 * Header `x-wait-until: 1` hands cache puts to `ctx.waitUntil` (default: awaited, so tests are deterministic).
 */
import { Hono, type Context } from "hono";
import { cachedGet } from "../../../../tenant-template/src/cache/cached-get.ts";
import { forgetCached } from "../../../../tenant-template/src/cache/forget-cached.ts";
import { readCacheConfig, type ReadCacheConfig } from "../../../../tenant-template/src/cache/read-cache-config.ts";
import { newReadCacheStats } from "../../../../tenant-template/src/cache/read-cache-stats.ts";
import { COLLECTIONS } from "../../../../tenant-template/src/store/collections.ts";
import { d1Session, type D1SessionVariables } from "../../../../tenant-template/src/store/d1-session.ts";
import type { Collection } from "../../../../tenant-template/src/store/define-collection.ts";
import { documentRepository } from "../../../../tenant-template/src/store/document-repository.ts";

type HarnessEnv = {
  Bindings: { DB: D1Database; CACHE: KVNamespace; CACHE_MODE: string };
  Variables: D1SessionVariables;
};
const app = new Hono<HarnessEnv>();
app.onError((error, c) => c.json({ error: String(error) }, 500));
app.use(d1Session());

const collections = new Map<string, Collection>(COLLECTIONS.map((collection) => [collection.name, collection]));
const collectionOf = (c: Context<HarnessEnv>): Collection => {
  const collection = collections.get(c.req.param("collection") ?? "");
  if (!collection) throw new Error("no such collection");
  return collection;
};

interface Counted {
  kv: KVNamespace;
  ops: { total: number };
}

function countingKv(kv: KVNamespace): Counted {
  const ops = { total: 0 };
  const wrapped = new Proxy(kv, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        ops.total += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { kv: wrapped, ops };
}

function faultyKv(fault: string): KVNamespace {
  const fail = () => {
    if (fault === "throw") throw new Error("KV is down (sync)");
    return Promise.reject(new Error("KV is down"));
  };
  return { get: fail, put: fail, delete: fail, list: fail, getWithMetadata: fail } as unknown as KVNamespace;
}

function cacheFor(c: Context<HarnessEnv>): { config: ReadCacheConfig; ops: { total: number } } {
  const fault = c.req.header("x-kv-fault");
  const { kv, ops } = countingKv(fault === undefined ? c.env.CACHE : faultyKv(fault));
  const ctx = c.req.header("x-wait-until") === "1" ? c.executionCtx : undefined;
  return { config: readCacheConfig({ CACHE: kv, CACHE_MODE: c.env.CACHE_MODE }, ctx, newReadCacheStats()), ops };
}

// The document as the repository would answer it; the row's incarnation beside it.
app.get("/c/:collection/:id", async (c) => {
  const { config, ops } = cacheFor(c);
  const read = await cachedGet(c.var.session, collectionOf(c), c.req.param("id"), config);
  if (read === null) return c.json({ document: null, incarnation: null, stats: config.stats, kvOps: ops.total });
  const { incarnation, ...document } = read;
  return c.json({ document, incarnation, stats: config.stats, kvOps: ops.total });
});

interface WriteInput {
  id?: string;
  body?: Record<string, unknown>;
  expectedVersion?: number;
}

// Writes as an API handler would do them: the store write, then cache hygiene for the replaced
// version (the handler read the row before writing; here its incarnation is read from D1).
app.post("/c/:collection/:op", async (c) => {
  const collection = collectionOf(c);
  const repo = documentRepository(c.var.session, collection);
  const input = await c.req.json<WriteInput>();
  const { config, ops } = cacheFor(c);
  const op = c.req.param("op");
  if (op === "insert") {
    const result = await repo.insert(input.body ?? {}, input.id === undefined ? {} : { id: input.id });
    return c.json({ result, kvOps: ops.total });
  }
  const id = input.id ?? "";
  const expectedVersion = input.expectedVersion ?? 0;
  const row = await c.var.session
    .prepare(`SELECT _incarnation AS incarnation FROM ${collection.name} WHERE id = ?`)
    .bind(id)
    .first<{ incarnation: number }>();
  const replaced = { id, incarnation: row?.incarnation ?? -1, version: expectedVersion };
  if (op === "update") {
    const result = await repo.update(id, input.body ?? {}, { expectedVersion });
    if (result.ok) await forgetCached(collection, replaced, config);
    return c.json({ result, kvOps: ops.total });
  }
  const result = await repo.delete(id, { expectedVersion });
  if (result.ok) await forgetCached(collection, replaced, config);
  return c.json({ result, kvOps: ops.total });
});

export default app;
