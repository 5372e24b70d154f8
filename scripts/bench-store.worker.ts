/**
 * The Worker `npm run bench:store` runs in workerd (scripts/bench-store.ts bundles it with the
 * repository's Worker build options). Not part of the product: it exposes the store operations
 * the benchmark times, and times them itself, around its own D1 and KV calls, so the hop from
 * Node into workerd (which costs as much as a D1 read) is never inside a figure.
 *
 * Two D1 databases hold the same documents in one collection each:
 *   DB_INDEXED  `bench_documents` with three generated STORED columns (key, context_id, status),
 *               each with an index: the table the document store builds for such a declaration;
 *   DB_PLAIN    `bench_documents` with the fixed columns only (no generated column, no index).
 * Separate databases, so D1's size of each file is the size of one table (D1 refuses
 * `PRAGMA page_count`; `meta.size_after` is the same figure, page_count * page_size).
 */
import { z } from "zod";
import { cacheKey } from "../tenant-template/src/cache/cache-key.ts";
import { cachedGet } from "../tenant-template/src/cache/cached-get.ts";
import { readCacheConfig, type ReadCacheConfig } from "../tenant-template/src/cache/read-cache-config.ts";
import { newReadCacheStats, type ReadCacheStats } from "../tenant-template/src/cache/read-cache-stats.ts";
import { collectionDdl, INCARNATION_COUNTER_DDL, incarnationDdl } from "../tenant-template/src/store/collection-ddl.ts";
import { defineCollection } from "../tenant-template/src/store/define-collection.ts";
import { documentRepository } from "../tenant-template/src/store/document-repository.ts";
import { openD1Session } from "../tenant-template/src/store/open-d1-session.ts";
import type {
  BenchRequest,
  BookmarkReply,
  CountReply,
  LoadReply,
  SeedLargeReply,
  SetupReply,
  SizeReply,
  TimedReply,
  Variant,
} from "./lib/bench-store-protocol.ts";

interface BenchEnv {
  DB_INDEXED: D1Database;
  DB_PLAIN: D1Database;
  KV: KVNamespace;
}

const STATUSES = ["Draft", "Published", "Deprecated", "Removed"] as const;

const body = z.object({
  key: z.string(),
  contextId: z.string(),
  status: z.enum(STATUSES),
  name: z.string(),
  semanticVersion: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  owner: z.object({ team: z.string(), email: z.string() }),
  specification: z.string().optional(),
});

/** A schema-registry-like collection: found by a unique-ish key, listed by context and status. */
const indexedCollection = defineCollection({
  name: "bench_documents",
  body,
  indexes: [
    { name: "key", jsonPath: "$.key", sqlType: "TEXT" },
    { name: "context_id", jsonPath: "$.contextId", sqlType: "TEXT" },
    { name: "status", jsonPath: "$.status", sqlType: "TEXT" },
  ],
});

/** The same documents with nothing generated: only the fixed columns and the primary key. */
const plainCollection = defineCollection({ name: "bench_documents", body, indexes: [] });

const COLUMNS = "id, body, created_at, updated_at, _version";
const INSERT = `INSERT INTO bench_documents (${COLUMNS}) VALUES (?, ?, ?, ?, ?)`;
// The statement the store's list({ where: { key } }) compiles to, and the same with the indexed
// column replaced by the expression it is generated from: exactly one token differs.
const QUERY = {
  indexed: `SELECT ${COLUMNS} FROM bench_documents WHERE key = ? ORDER BY id LIMIT 51`,
  json_extract: `SELECT ${COLUMNS} FROM bench_documents WHERE json_extract(body, '$.key') = ? ORDER BY id LIMIT 51`,
} as const;

/** Large documents live far above the loaded range, so their ids and keys never collide with it. */
const LARGE_BASE = 1_000_000_000;
const BASE_MS = Date.UTC(2026, 0, 1);
const CREATED_AT = new Date(BASE_MS).toISOString();

/** A 32-bit integer hash (a xorshift-multiply mix), so every document is reproducible from n. */
function mix(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The id of document n: UUIDv7-shaped like the store's own (time first, so ids grow with n and
 * inserts land at the right of the primary key b-tree, as they do in production), but
 * deterministic, so Node and the Worker can both name any document without a lookup.
 */
export function documentId(n: number): string {
  const time = (BASE_MS + n).toString(16).padStart(12, "0");
  const a = mix(n).toString(16).padStart(8, "0");
  const b = mix(n + 0x5bd1e995)
    .toString(16)
    .padStart(8, "0");
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-7${a.slice(0, 3)}` +
    `-${(0x8 | (mix(n) & 0x3)).toString(16)}${a.slice(3, 6)}-${a.slice(6)}${b}00`
  );
}

const documentKey = (n: number) => `acme.orders.schema-${n}`;

const WORDS = ["order", "payment", "invoice", "shipment", "customer", "refund", "ledger", "stock", "price", "address"];

/** Document n: about 500 bytes of JSON, shaped like a schema's metadata. */
function documentBody(n: number, specification?: string): z.output<typeof body> {
  const h = mix(n);
  const word = (i: number) => WORDS[(h >>> (i * 3)) % WORDS.length] ?? "event";
  return {
    key: documentKey(n),
    contextId: `ctx-${h % 1000}`,
    status: STATUSES[h % STATUSES.length] ?? "Draft",
    name: `${word(0)}-${word(1)}-${n}`,
    semanticVersion: `${h % 5}.${(h >>> 4) % 20}.${(h >>> 9) % 10}`,
    description:
      `Emitted when the ${word(2)} service records a ${word(3)} change for a ${word(4)}; ` +
      `consumers in the ${word(5)} and ${word(6)} domains rely on its ordering per aggregate id (document ${n}).`,
    tags: [word(7), word(8), "events", `team-${h % 40}`],
    owner: { team: `team-${h % 40}`, email: `team-${h % 40}@acme.example` },
    ...(specification === undefined ? {} : { specification }),
  };
}

/** A JSON Schema text of at least `bytes` characters: what a large schema version's body carries. */
function specificationText(n: number, bytes: number): string {
  const properties: Record<string, unknown> = {};
  for (let i = 0; JSON.stringify(properties).length < bytes; i += 1) {
    properties[`${WORDS[i % WORDS.length] ?? "field"}_${i}`] = {
      type: i % 3 === 0 ? "string" : i % 3 === 1 ? "integer" : "object",
      description: `Field ${i} of schema ${n}: kept for compatibility with consumers of version ${i % 7}.`,
      ...(i % 3 === 0 ? { maxLength: 200 + (i % 50) } : {}),
    };
  }
  return JSON.stringify({
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: `Schema ${n}`,
    type: "object",
    properties,
  });
}

const sizeOf = async (db: D1Database): Promise<number> =>
  (await db.prepare("SELECT count(*) AS n FROM bench_documents").run()).meta.size_after;

async function sizes(env: BenchEnv): Promise<SizeReply> {
  return { indexedBytes: await sizeOf(env.DB_INDEXED), plainBytes: await sizeOf(env.DB_PLAIN) };
}

/** Runs `reps` awaited calls of `once(i)` and answers the wall time around them. */
async function timed(reps: number, once: (i: number) => Promise<void>): Promise<TimedReply> {
  // Every iteration is I/O (D1 or KV), so the clock moves across the loop however workerd
  // freezes it between I/O; its resolution is 1 ms, so callers size `reps` to ~100 ms or more.
  const started = performance.now();
  for (let i = 0; i < reps; i += 1) await once(i);
  return { ms: performance.now() - started, reps };
}

/** A uniformly random document number below `documents` (crypto: no seed to keep). */
function randomDocument(documents: number): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % documents;
}

const MAX_REPS = 100_000;
/** Statements per D1 batch when queries are batched. */
const QUERY_BATCH = 100;

/** The cache as a tenant with CACHE_MODE "on" has it. */
const cacheConfig = (env: BenchEnv, stats: ReadCacheStats): ReadCacheConfig =>
  readCacheConfig({ CACHE: env.KV, CACHE_MODE: "on" }, undefined, stats);

async function handle(request: BenchRequest, env: BenchEnv): Promise<unknown> {
  if ("reps" in request && !(Number.isInteger(request.reps) && request.reps > 0 && request.reps <= MAX_REPS)) {
    throw new Error(`reps must be 1..${MAX_REPS}`);
  }
  const dbs: Record<Variant, D1Database> = { indexed: env.DB_INDEXED, plain: env.DB_PLAIN };
  switch (request.op) {
    case "setup": {
      // The tables as tenants have them: migration 0002's shape plus 0007's incarnation trigger.
      const indexedDdl = [
        ...collectionDdl(indexedCollection),
        ...INCARNATION_COUNTER_DDL,
        ...incarnationDdl(indexedCollection),
      ];
      const plainDdl = [
        ...collectionDdl(plainCollection),
        ...INCARNATION_COUNTER_DDL,
        ...incarnationDdl(plainCollection),
      ];
      await env.DB_INDEXED.batch(indexedDdl.map((statement) => env.DB_INDEXED.prepare(statement)));
      await env.DB_PLAIN.batch(plainDdl.map((statement) => env.DB_PLAIN.prepare(statement)));
      return { ...(await sizes(env)), indexedDdl, plainDdl } satisfies SetupReply;
    }

    case "load": {
      // The documents are made once, before any clock starts, and inserted into both databases
      // in the order Node chose (it alternates), in batches of the same statements.
      const rows: [string, string][] = [];
      let bodyBytes = 0;
      for (let n = request.from; n < request.from + request.count; n += 1) {
        const json = JSON.stringify(documentBody(n));
        bodyBytes += json.length;
        rows.push([documentId(n), json]);
      }
      const ms: Record<Variant, number> = { indexed: 0, plain: 0 };
      for (const variant of request.order) {
        const db = dbs[variant];
        const insert = db.prepare(INSERT);
        const batches: D1PreparedStatement[][] = [];
        for (let i = 0; i < rows.length; i += request.batchSize) {
          batches.push(
            rows.slice(i, i + request.batchSize).map(([id, json]) => insert.bind(id, json, CREATED_AT, CREATED_AT, 1)),
          );
        }
        const started = performance.now();
        for (const batch of batches) await db.batch(batch);
        ms[variant] += performance.now() - started;
      }
      return { ms, bodyBytes } satisfies LoadReply;
    }

    case "count": {
      const count = async (db: D1Database) =>
        (await db.prepare("SELECT count(*) AS n FROM bench_documents").first<number>("n")) ?? 0;
      return {
        ...(await sizes(env)),
        indexedRows: await count(env.DB_INDEXED),
        plainRows: await count(env.DB_PLAIN),
      } satisfies CountReply;
    }

    case "query": {
      const { variant, documents } = request;
      const db = variant === "indexed" ? env.DB_INDEXED : env.DB_PLAIN;
      const statement = db.prepare(QUERY[variant]);
      // A wrong answer would make any speed meaningless: exactly the one document, every time.
      const check = (n: number, results: { id: string }[]) => {
        if (results.length !== 1 || results[0]?.id !== documentId(n))
          throw new Error(`${variant} query for document ${n} answered ${results.length} rows`);
      };
      if (!request.batched) {
        return timed(request.reps, async () => {
          const n = randomDocument(documents);
          check(n, (await statement.bind(documentKey(n)).all<{ id: string }>()).results);
        });
      }
      const numbers = Array.from({ length: request.reps }, () => randomDocument(documents));
      const batches: number[][] = [];
      for (let i = 0; i < numbers.length; i += QUERY_BATCH) batches.push(numbers.slice(i, i + QUERY_BATCH));
      const answers: D1Result<{ id: string }>[][] = [];
      const reply = await timed(batches.length, async (i) => {
        answers.push(await db.batch<{ id: string }>((batches[i] ?? []).map((n) => statement.bind(documentKey(n)))));
      });
      answers.forEach((results, i) => {
        results.forEach((result, j) => {
          check(batches[i]?.[j] ?? -1, result.results);
        });
      });
      return { ms: reply.ms, reps: request.reps } satisfies TimedReply;
    }

    case "seed-large": {
      // Large documents go through the store's own insert (zod parse, RETURNING).
      const repo = documentRepository(env.DB_INDEXED, indexedCollection);
      let bodyBytes = 0;
      for (let i = 0; i < request.count; i += 1) {
        const n = LARGE_BASE + i;
        const inserted = await repo.insert(documentBody(n, specificationText(n, request.bodyBytes)), {
          id: documentId(n),
        });
        if (!inserted.ok) throw new Error(`seeding large document ${i}: ${inserted.kind}`);
        bodyBytes = JSON.stringify(inserted.document.body).length;
      }
      return { bodyBytes } satisfies SeedLargeReply;
    }

    case "fill-cache": {
      // One read of each large document through the cache: every one a miss that puts its entry
      // (awaited: no waitUntil here), so the timed cached reads are all hits.
      const stats = newReadCacheStats();
      const config = cacheConfig(env, stats);
      for (let i = 0; i < request.count; i += 1)
        await cachedGet(env.DB_INDEXED, indexedCollection, documentId(LARGE_BASE + i), config);
      if (stats.misses !== request.count || stats.kvErrors !== 0)
        throw new Error(`filling the cache: ${JSON.stringify(stats)}`);
      return {};
    }

    case "read-large": {
      const { variant, count } = request;
      const stats = newReadCacheStats();
      const config = cacheConfig(env, stats);
      // The raw KV read needs each entry's key, which names the row's incarnation: looked up
      // before the clock starts.
      const incarnations = new Map<string, number>();
      if (variant === "kv-raw") {
        const { results } = await env.DB_INDEXED.prepare(
          "SELECT id, _incarnation AS incarnation FROM bench_documents WHERE id >= ?",
        )
          .bind(documentId(LARGE_BASE))
          .all<{ id: string; incarnation: number }>();
        for (const row of results) incarnations.set(row.id, row.incarnation);
      }
      const reply = await timed(request.reps, async () => {
        const id = documentId(LARGE_BASE + randomDocument(count));
        // A read session per read, as the d1Session middleware opens one per request.
        const session = openD1Session(env.DB_INDEXED, null, "read");
        let document: { id: string } | null;
        if (variant === "cached") document = await cachedGet(session, indexedCollection, id, config);
        else if (variant === "d1") document = await documentRepository(session, indexedCollection).get(id);
        else {
          const key = cacheKey(indexedCollection.name, id, incarnations.get(id) ?? -1, 1);
          document = await env.KV.get<{ id: string }>(key, "json");
        }
        if (document?.id !== id) throw new Error(`${variant} read of ${id} found nothing`);
      });
      // Only hits are the cached read being measured; a miss would time a D1 read plus KV.
      if (variant === "cached" && stats.hits !== request.reps)
        throw new Error(`cached reads were not all hits: ${JSON.stringify(stats)}`);
      return reply;
    }

    case "bookmark": {
      // A bookmark as a client holds one after a write: the write session's latest.
      const session = openD1Session(env.DB_INDEXED, null, "write");
      await session
        .prepare("UPDATE bench_documents SET updated_at = updated_at WHERE id = ?")
        .bind(documentId(0))
        .run();
      const bookmark = session.getBookmark();
      if (bookmark === null) throw new Error("the write session returned no bookmark");
      return { bookmark } satisfies BookmarkReply;
    }

    case "read-session": {
      const { variant, documents, bookmark } = request;
      return timed(request.reps, async () => {
        // A session per read, as the d1Session middleware opens one per request.
        const queryable =
          variant === "none"
            ? env.DB_INDEXED
            : openD1Session(env.DB_INDEXED, variant === "bookmark" ? bookmark : null, "read");
        const id = documentId(randomDocument(documents));
        const document = await documentRepository(queryable, indexedCollection).get(id);
        if (document?.id !== id) throw new Error(`read through ${variant} found nothing for ${id}`);
      });
    }
  }
}

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    try {
      return Response.json(await handle((await request.json()) as BenchRequest, env));
    } catch (error) {
      return Response.json({ error: error instanceof Error ? error.message : String(error) }, { status: 500 });
    }
  },
} satisfies ExportedHandler<BenchEnv>;
