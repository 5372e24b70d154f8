/**
 * What `npm run bench:store` (scripts/bench-store.ts, in Node) sends to its bench Worker
 * (scripts/bench-store.worker.ts, in workerd) and what comes back. Plain types with no Workers or
 * Node types in them, so both sides (and both tsconfigs) can import them.
 *
 * Every timed request carries a fixed `reps` (bounded loops) and answers the milliseconds the
 * Worker measured around its own D1 / KV calls, so the Node <-> workerd hop is never in a figure.
 */

/** The two databases: the collection with three generated indexed columns, and the same without. */
export type Variant = "indexed" | "plain";

/** How a document is found by its unique-ish `key` field. */
export type QueryVariant =
  | "indexed" // WHERE key = ? on the generated column (its index)
  | "json_extract"; // WHERE json_extract(body, '$.key') = ? on the table with no generated column or index

/** How a 20 KiB document is read by id, each in a fresh read session as a request would. */
export type CachedReadVariant =
  | "cached" // cachedGet (tenant-template/src/cache) answering from KV: D1 version probe + KV get
  | "d1" // documentRepository.get: the plain D1 read the cache replaces
  | "kv-raw"; // a bare KV get + JSON.parse of the same entry: the floor, without the probe

/** Which D1 session a small document is read through. */
export type SessionVariant = "bookmark" | "first-unconstrained" | "none";

export type BenchRequest =
  | { op: "setup" }
  | { op: "load"; from: number; count: number; batchSize: number; order: Variant[] }
  | { op: "count" }
  /**
   * `batched: false`: one awaited D1 call per query, as a request makes it (round trip included).
   * `batched: true`: the same queries sent as D1 batch() calls of up to 100 statements, so the
   * round trip is shared and what remains is mostly SQLite's own work (index seek vs full scan).
   */
  | { op: "query"; variant: QueryVariant; reps: number; documents: number; batched: boolean }
  | { op: "seed-large"; count: number; bodyBytes: number }
  | { op: "fill-cache"; count: number }
  | { op: "read-large"; variant: CachedReadVariant; reps: number; count: number }
  | { op: "bookmark" }
  | { op: "read-session"; variant: SessionVariant; reps: number; documents: number; bookmark: string };

/** D1's own figure for the database file (`meta.size_after`: page_count * page_size). */
export interface SizeReply {
  indexedBytes: number;
  plainBytes: number;
}

export interface SetupReply extends SizeReply {
  /** The DDL the indexed collection was created with (collectionDdl, as the migrations use). */
  indexedDdl: string[];
  plainDdl: string[];
}

export interface LoadReply {
  /** Milliseconds spent in D1 batch() calls per variant, for the same documents. */
  ms: Record<Variant, number>;
  /** Total JSON text of the bodies inserted (per variant: the same documents). */
  bodyBytes: number;
}

export interface CountReply extends SizeReply {
  indexedRows: number;
  plainRows: number;
}

export interface TimedReply {
  /** Milliseconds for all `reps`, measured in the Worker. */
  ms: number;
  reps: number;
}

export interface SeedLargeReply {
  /** Length of one stored body (JSON text). */
  bodyBytes: number;
}

export interface BookmarkReply {
  bookmark: string;
}
