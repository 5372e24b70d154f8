/**
 * How the local platform stores Workers Analytics Engine data points: one SQLite table in a D1
 * database of the platform's own (never listed by the API), written by the binding
 * (worker-shims/analytics-engine.ts) and read by the SQL API (api/analytics-engine.ts). Free of
 * Node, so the Worker side can import it.
 *
 * Columns as the SQL API names them (developers.cloudflare.com/analytics/analytics-engine/sql-api/):
 * `timestamp`, `index1`, `blob1..blob20`, `double1..double20`, `_sample_interval` (always 1 here:
 * nothing is sampled locally), plus `dataset` (the SQL's table). `timestamp` is kept in ms.
 */

/** The D1 id (Miniflare's storage name) of the store. */
export const ANALYTICS_STORE_DATABASE = "wfp-local-analytics-engine";
/** The binding the zone Worker's entry module writes through; removed from the env the Worker sees. */
export const ANALYTICS_STORE_BINDING = "__WFP_ANALYTICS_STORE";

export const MAX_BLOBS = 20;
export const MAX_DOUBLES = 20;
/** Cloudflare's limits (developers.cloudflare.com/analytics/analytics-engine/limits/). */
export const MAX_INDEX_BYTES = 96;
export const MAX_BLOB_BYTES = 16 * 1024;
export const MAX_POINTS_PER_INVOCATION = 250;

export const BLOB_COLUMNS = Array.from({ length: MAX_BLOBS }, (_, i) => `blob${i + 1}`);
export const DOUBLE_COLUMNS = Array.from({ length: MAX_DOUBLES }, (_, i) => `double${i + 1}`);

/** The statements that make the store; each is idempotent. */
export const ANALYTICS_STORE_SCHEMA: readonly string[] = [
  "CREATE TABLE IF NOT EXISTS points (" +
    "dataset TEXT NOT NULL, timestamp INTEGER NOT NULL, index1 TEXT NOT NULL DEFAULT '', " +
    "_sample_interval INTEGER NOT NULL DEFAULT 1, " +
    BLOB_COLUMNS.map((c) => `${c} TEXT NOT NULL DEFAULT ''`).join(", ") +
    ", " +
    DOUBLE_COLUMNS.map((c) => `${c} REAL NOT NULL DEFAULT 0`).join(", ") +
    ")",
  // Every query is bounded in time; most also name one index (a tenant).
  "CREATE INDEX IF NOT EXISTS points_by_time ON points (dataset, timestamp)",
  "CREATE INDEX IF NOT EXISTS points_by_index ON points (dataset, index1, timestamp)",
];

/** One row's insert: dataset, timestamp, index1, then every blob and every double. */
export const INSERT_POINT =
  `INSERT INTO points (dataset, timestamp, index1, ${[...BLOB_COLUMNS, ...DOUBLE_COLUMNS].join(", ")}) ` +
  `VALUES (${Array.from({ length: 3 + MAX_BLOBS + MAX_DOUBLES }, () => "?").join(", ")})`;

/** A point as the binding accepted it. */
export interface StoredPoint {
  dataset: string;
  timestamp: number;
  index1: string;
  blobs: string[];
  doubles: number[];
}

/** The parameters of {@link INSERT_POINT} for a point. */
export function insertParams(point: StoredPoint): (string | number)[] {
  const blobs = BLOB_COLUMNS.map((_, i) => point.blobs[i] ?? "");
  const doubles = DOUBLE_COLUMNS.map((_, i) => point.doubles[i] ?? 0);
  return [point.dataset, point.timestamp, point.index1, ...blobs, ...doubles];
}

/** Cloudflare keeps points three months; locally, also at most this many (the oldest go first). */
export const RETENTION_MS = 92 * 86_400_000;
export const DEFAULT_MAX_STORED_POINTS = 2_000_000;

/**
 * The statements that drop points past the retention and, past `maxPoints`, the oldest.
 *
 * @example runtime.queryD1(ANALYTICS_STORE_DATABASE, pruneStatements(Date.now(), 2_000_000))
 */
export function pruneStatements(now: number, maxPoints: number): { sql: string; params: number[] }[] {
  return [
    { sql: "DELETE FROM points WHERE timestamp < ?", params: [now - RETENTION_MS] },
    {
      sql:
        "DELETE FROM points WHERE rowid IN (SELECT rowid FROM points ORDER BY timestamp " +
        "LIMIT max(0, (SELECT count(*) FROM points) - ?))",
      params: [maxPoints],
    },
  ];
}
