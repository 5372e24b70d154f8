/**
 * The KV read cache in real workerd on a real D1 database and a real KV namespace (through the
 * cache harness: tenant `on` and tenant `off` share one database and one namespace; and through the
 * tenant Worker's own API with the cache on). What it proves: no read ever returns a version older
 * than the last acknowledged write, nor the body of an earlier row of the same id, whatever KV holds.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cacheKey } from "../../../tenant-template/src/cache/cache-key.ts";
import type { ReadCacheStats } from "../../../tenant-template/src/cache/read-cache-stats.ts";
import { startRegistryHarness, type RegistryHarness } from "../registry/registry-harness.ts";
import { startCacheHarness, type CacheHarness, type CacheMode } from "./harness/cache-harness.ts";

let harness: CacheHarness;
beforeAll(async () => {
  harness = await startCacheHarness();
});
afterAll(async () => {
  await harness?.dispose();
});

interface Doc {
  id: string;
  body: { name: string; description?: string };
  version: number;
  createdAt: string;
  updatedAt: string;
}
interface ReadAnswer {
  document: Doc | null;
  /** The row's incarnation (which row of the id this is), null when there is no document. */
  incarnation: number | null;
  stats: ReadCacheStats;
  kvOps: number;
}
interface WriteAnswer {
  result: { ok: true; document: Doc } | { ok: false; kind: string };
  kvOps: number;
}

const read = async (mode: CacheMode, id: string, headers: Record<string, string> = {}) => {
  const res = await harness.call<ReadAnswer>(mode, "GET", `/c/products/${id}`, undefined, headers);
  expect(res.status).toBe(200);
  return { ...res.json, bookmark: res.headers.get("x-d1-bookmark") };
};
const write = async (
  mode: CacheMode,
  op: "insert" | "update" | "delete",
  input: Record<string, unknown>,
  headers: Record<string, string> = {},
) => {
  const res = await harness.call<WriteAnswer>(mode, "POST", `/c/products/${op}`, input, headers);
  expect(res.status).toBe(200);
  return { ...res.json, bookmark: res.headers.get("x-d1-bookmark") };
};
const written = (answer: WriteAnswer): Doc => {
  if (!answer.result.ok) throw new Error(`write refused: ${JSON.stringify(answer.result)}`);
  return answer.result.document;
};
const insert = async (mode: CacheMode, name: string, id?: string) =>
  written(await write(mode, "insert", { body: { name }, ...(id ? { id } : {}) }));
const update = async (mode: CacheMode, doc: Doc, description: string) =>
  written(
    await write(mode, "update", {
      id: doc.id,
      body: { name: doc.body.name, description },
      expectedVersion: doc.version,
    }),
  );
const kvEntry = async (id: string, incarnation: number | null, version: number) =>
  (await harness.kv()).get(cacheKey("products", id, incarnation ?? -1, version));
/** Every cache entry of an id, whatever its incarnation or version (but the keys `except`): key -> value. */
async function kvEntriesOf(
  kv: KvNamespace,
  collection: string,
  id: string,
  except: readonly string[] = [],
): Promise<Map<string, string>> {
  // Everything of the key up to and including the id: its incarnations and versions follow.
  const anyKey = cacheKey(collection, id, 0, 0);
  const prefix = anyKey.slice(0, anyKey.indexOf(`/${id}/`) + id.length + 2);
  const names = (await kv.list({ prefix })).keys.map((key) => key.name).filter((name) => !except.includes(name));
  const values = await Promise.all(names.map((name) => kv.get(name, "text")));
  return new Map(names.flatMap((name, i) => (values[i] == null ? [] : [[name, values[i]] as const])));
}
type KvNamespace = Awaited<ReturnType<CacheHarness["kv"]>>;

describe("read-after-write", () => {
  test("with the cache: a miss fills the entry, the next read hits, an update is read back at once", async () => {
    const doc = await insert("on", "raw-on");
    const first = await read("on", doc.id);
    expect(first.document).toEqual(doc);
    expect(first.stats).toMatchObject({ misses: 1, hits: 0 });
    const second = await read("on", doc.id);
    expect(second.document).toEqual(doc);
    expect(second.stats).toMatchObject({ hits: 1, misses: 0 });

    const v2 = await update("on", doc, "second");
    const after = await read("on", doc.id);
    expect(after.document).toEqual(v2);
    expect(after.stats).toMatchObject({ misses: 1 });
    expect((await read("on", doc.id)).stats).toMatchObject({ hits: 1 });
    // Hygiene: the replaced version's entry is deleted (correctness never depended on it).
    expect(after.incarnation).toBe(first.incarnation);
    expect(await kvEntry(doc.id, first.incarnation, 1)).toBeNull();
    expect(await kvEntry(doc.id, first.incarnation, 2)).not.toBeNull();

    await write("on", "delete", { id: doc.id, expectedVersion: 2 });
    expect((await read("on", doc.id)).document).toBeNull();
  });

  test(`without the cache (CACHE_MODE off): the same reads, \
and not one KV call for reads, writes or hygiene`, async () => {
    const doc = await insert("off", "raw-off");
    const reads = [await read("off", doc.id), await read("off", doc.id)];
    const v2 = await update("off", doc, "second");
    const after = await read("off", doc.id);
    const deleted = await write("off", "delete", { id: doc.id, expectedVersion: 2 });
    const gone = await read("off", doc.id);

    expect(reads.map((r) => r.document)).toEqual([doc, doc]);
    expect(after.document).toEqual(v2);
    expect(gone.document).toBeNull();
    for (const answer of [...reads, after, gone])
      expect(answer.stats).toEqual({ hits: 0, misses: 0, absent: 0, bypassed: 1, kvErrors: 0, rejected: 0 });
    expect([...reads, after, gone, deleted].map((answer) => answer.kvOps)).toEqual([0, 0, 0, 0, 0]);
    expect(await kvEntriesOf(await harness.kv(), "products", doc.id)).toEqual(new Map());
  });

  test(`interleaved writes and reads, sequential then concurrent: \
a read never returns a version older than the last acknowledged write`, async () => {
    const docs = [await insert("on", "interleaved-a"), await insert("on", "interleaved-b")];
    for (let round = 0; round < 20; round += 1) {
      const index = round % 2;
      docs[index] = await update("on", docs[index]!, `round ${round}`);
      for (const doc of docs) {
        const seen = await read("on", doc.id);
        expect(seen.document).toEqual(doc);
        // A second read of the same version is a hit, and still the acknowledged version.
        expect(await read("on", doc.id)).toMatchObject({ document: doc, stats: { hits: 1 } });
      }
    }

    // One writer, several readers at once. Each read remembers the version acknowledged before it
    // was sent; what it gets must be at least that, and its body must be that version's body.
    let current = docs[0]!;
    const start = current;
    let acknowledged = current.version;
    const writer = (async () => {
      for (let i = 0; i < 15; i += 1) {
        current = await update("on", current, `v${current.version + 1}`);
        acknowledged = current.version;
      }
    })();
    const reader = async () => {
      const seen: [number, Doc][] = [];
      for (let i = 0; i < 15; i += 1) {
        const floor = acknowledged;
        const answer = await read("on", current.id);
        seen.push([floor, answer.document!]);
      }
      return seen;
    };
    const results = await Promise.all([reader(), reader(), reader(), writer]);
    for (const [floor, doc] of results.slice(0, 3).flat() as [number, Doc][]) {
      expect(doc.version).toBeGreaterThanOrEqual(floor);
      expect(doc.body.description).toBe(doc.version === start.version ? start.body.description : `v${doc.version}`);
    }
    expect((await read("on", current.id)).document).toEqual(current);
  });
});

describe("KV can never make a read stale", () => {
  test(`an entry planted under an old version's key is never served, \
nor one that does not match the current version`, async () => {
    const v1 = await insert("on", "planted");
    const { incarnation } = await read("on", v1.id); // caches version 1
    const v2 = await update("on", v1, "real v2");
    // Plant what a lagging KV location could still hold: the old version, written back by hand.
    const kv = await harness.kv();
    await kv.put(
      cacheKey("products", v1.id, incarnation!, 1),
      JSON.stringify({ ...v1, incarnation, body: { name: "STALE" } }),
    );
    expect(await read("on", v1.id)).toMatchObject({ document: v2, stats: { misses: 1, hits: 0 } });
    // A forged entry under the current key that claims another write (other timestamps) is refused too.
    await kv.put(
      cacheKey("products", v1.id, incarnation!, 2),
      JSON.stringify({ ...v2, incarnation, updatedAt: v1.updatedAt, body: { name: "FORGED" } }),
    );
    expect(await read("on", v1.id)).toMatchObject({ document: v2, stats: { rejected: 1, misses: 1, hits: 0 } });
    expect(await read("on", v1.id)).toMatchObject({ document: v2, stats: { hits: 1 } });
  });

  test(`an id deleted and created again at once, 40 times, never serves the earlier row's body, \
even when a lagging KV location still holds that row's entry \
claiming the new row's version and timestamps`, async () => {
    // A re-create within the same millisecond as the earlier row's write leaves exactly that: an
    // entry with the same id, version and timestamps and another body. Here the earlier row's
    // entries are planted back rewritten so, with no pause between the delete and the insert.
    const id = `recreated-${crypto.randomUUID()}`;
    const kv = await harness.kv();
    const incarnations = new Set<number>();
    const planted = new Set<string>();
    let earlier = new Map<string, string>();
    for (let life = 0; life < 40; life += 1) {
      const row = await insert("on", `life ${life}`, id);
      expect(row.version).toBe(1);
      for (const [key, value] of earlier) {
        const entry = JSON.parse(value) as Doc;
        await kv.put(key, JSON.stringify({ ...entry, createdAt: row.createdAt, updatedAt: row.updatedAt }));
        planted.add(key);
      }
      const first = await read("on", id);
      expect(first.document).toEqual(row);
      // The earlier row's entries are not even looked at: they sit under other keys.
      expect(first.stats).toMatchObject({ misses: 1, hits: 0, rejected: 0 });
      expect(incarnations.has(first.incarnation!), `incarnation ${first.incarnation} given twice`).toBe(false);
      incarnations.add(first.incarnation!);
      expect(await read("on", id)).toMatchObject({ document: row, stats: { hits: 1 } });
      // This row's entries (the listing also holds the earlier rows' planted ones: left out).
      earlier = await kvEntriesOf(kv, "products", id, [...planted]);
      expect([...earlier.values()].map((value) => (JSON.parse(value) as Doc).body.name)).toEqual([`life ${life}`]);
      expect((await write("on", "delete", { id, expectedVersion: 1 })).result.ok).toBe(true);
    }
  });

  test("a request whose bookmark is newer than the cached entry sees the write", async () => {
    const v1 = await insert("on", "bookmarked");
    const { incarnation } = await read("on", v1.id);
    expect((await read("on", v1.id)).stats.hits).toBe(1);
    const updated = await write("on", "update", {
      id: v1.id,
      body: { name: "bookmarked", description: "after" },
      expectedVersion: 1,
    });
    expect(updated.bookmark).toBeTruthy();
    // Plant version 1 again under its key: only the probe, run at the bookmark, decides what is current.
    await (await harness.kv()).put(
      cacheKey("products", v1.id, incarnation!, 1),
      JSON.stringify({ ...v1, incarnation }),
    );
    const answer = await read("on", v1.id, { "x-d1-bookmark": updated.bookmark! });
    expect(answer.document).toEqual(written(updated));
    expect(answer.bookmark).toBeTruthy();
  });
});

describe("KV failures fall back to D1", () => {
  test.each(["reject", "throw"])(
    "a KV whose every call fails (%s) still answers every read and write from D1",
    async (fault) => {
      const headers = { "x-kv-fault": fault };
      const doc = await insert("on", `faulty-${fault}`);
      const first = await read("on", doc.id, headers);
      expect(first.document).toEqual(doc);
      // The get failed, then the put failed: both counted, neither an error.
      expect(first.stats).toMatchObject({ kvErrors: 2, misses: 1, hits: 0 });
      const v2 = written(
        await write(
          "on",
          "update",
          { id: doc.id, body: { name: doc.body.name, description: "x" }, expectedVersion: 1 },
          headers,
        ),
      );
      expect((await read("on", doc.id, headers)).document).toEqual(v2);
    },
  );

  test("puts handed to ctx.waitUntil still fill the cache", async () => {
    const doc = await insert("on", "wait-until");
    const first = await read("on", doc.id, { "x-wait-until": "1" });
    expect(first.document).toEqual(doc);
    await expect.poll(() => kvEntry(doc.id, first.incarnation, 1), { timeout: 5_000 }).not.toBeNull();
    expect(await read("on", doc.id, { "x-wait-until": "1" })).toMatchObject({ document: doc, stats: { hits: 1 } });
  });
});

describe("through the tenant Worker's API (cache on)", () => {
  const TENANT = "recreate";
  let api: RegistryHarness;
  beforeAll(async () => {
    api = await startRegistryHarness([TENANT], { cacheMode: "on" });
  });
  afterAll(async () => {
    await api?.dispose();
  });

  /** A backup holding one product under a fixed id, always at version 1 with the same timestamps. */
  const backup = (id: string, name: string) => ({
    format: "wfp-schema-registry-export",
    formatVersion: 1,
    collections: {
      products: [
        {
          id,
          _version: 1,
          created_at: "2026-01-01T00:00:00.000Z",
          updated_at: "2026-01-01T00:00:00.000Z",
          body: { name },
        },
      ],
    },
  });

  test(`an import that re-creates a fixed id with the same version and timestamps, 10 times over, \
never answers the earlier row's body, even from a KV location that has not seen the delete`, async () => {
    // The earlier row and the new one agree on id, version and both timestamps: only the row
    // itself (its incarnation) tells them apart. This is what a restore of another backup with
    // the same fixed ids does, at any speed.
    const id = "fixed-product-0001";
    const path = `/api/products/${id}`;
    const kv = await api.kv(TENANT);
    let earlier = new Map<string, string>();
    for (let life = 0; life < 10; life += 1) {
      const imported = await api.call(TENANT, "POST", "/api/import", backup(id, `life ${life}`));
      expect(imported.status, imported.text).toBe(201);
      // What a lagging KV location could still hold: the earlier row's entries, as they were.
      for (const [key, value] of earlier) await kv.put(key, value);
      const first = await api.call<{ name: string; version: number }>(TENANT, "GET", path);
      expect(first.status, first.text).toBe(200);
      expect(first.json).toMatchObject({ name: `life ${life}`, version: 1 });
      expect(first.headers.get("x-registry-cache")).toBe("miss");
      // The entry is put after the response (waitUntil): read until a hit, which must be this row.
      await expect
        .poll(
          async () => {
            const res = await api.call<{ name: string }>(TENANT, "GET", path);
            return `${res.headers.get("x-registry-cache")} ${res.json.name}`;
          },
          { timeout: 10_000, interval: 50 },
        )
        .toBe(`hit life ${life}`);
      // This row's entry (the listing also holds the earlier rows' planted ones: left out).
      earlier = new Map(
        [...(await kvEntriesOf(kv, "products", id))].filter(([, value]) => value.includes(`"life ${life}"`)),
      );
      expect(earlier.size).toBe(1);
      const deleted = await api.call(TENANT, "DELETE", path, undefined, { "if-match": '"1"' });
      expect(deleted.status, deleted.text).toBe(200);
      // The delete's hygiene removes the entry after the response; wait for it, so the entry
      // planted back above is not removed after it was planted.
      await expect
        .poll(async () => (await Promise.all([...earlier.keys()].map((key) => kv.get(key)))).every((v) => v === null), {
          timeout: 10_000,
          interval: 50,
        })
        .toBe(true);
    }
  });
});
