/**
 * `npm run bench:store [-- --json] [--documents N] [--quick] [--batch-size B] [--rounds R]`
 *
 * What the document store's design buys and costs (issue 3, section 5), at 100,000 documents in
 * one collection, in real workerd on real D1 (Miniflare), in one run:
 *   1. a find by a unique-ish field through its indexed generated column vs the same query
 *      through `json_extract(body, '$.key')` on a table with no generated column or index
 *      (target: at least 100x faster);
 *   2. insert cost with three generated indexed columns vs none: the same documents in the same
 *      D1 batches (target: at most 1.5x);
 *   3. a cached read (tenant-template/src/cache: a D1 version probe + a KV get, every read a hit)
 *      vs the store's plain D1 get of the same 20 KiB document, with a bare KV get for scale;
 *   4. what a bookmark costs a read: the same get through `withSession(bookmark)`, through
 *      `withSession("first-unconstrained")` and with no session;
 *   5. D1 bytes per 10,000 documents with and without the generated columns and their indexes.
 *
 * Timing happens inside the bench Worker (scripts/bench-store.worker.ts) around its own D1 / KV
 * calls; Node only sequences rounds. Variants alternate in rounds (A B, B A, ...; every order of
 * three for three) so drift on this shared two-core machine falls on all of them equally, and the
 * figures that matter are ratios within this one run: each ratio is the median of the per-round
 * ratios (rounds side by side in time), so a burst of load from another process in one round
 * moves it less than it moves a mean. Every loop has a fixed count.
 */
import { intOption } from "./lib/int-option.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { WORKER_BUILD_OPTIONS } from "../contracts/worker-build-options.ts";
import type {
  BenchRequest,
  BookmarkReply,
  CachedReadVariant,
  CountReply,
  LoadReply,
  QueryVariant,
  SeedLargeReply,
  SessionVariant,
  SetupReply,
  TimedReply,
  Variant,
} from "./lib/bench-store-protocol.ts";

const WORKER_ENTRY = fileURLToPath(new URL("./bench-store.worker.ts", import.meta.url));
const COMPATIBILITY_DATE = "2026-06-01";
const TARGETS = { minQuerySpeedup: 100, maxInsertRatio: 1.5 } as const;
/** Documents made and inserted per request to the Worker (a few D1 batches per database). */
const LOAD_CHUNK = 2_000;
const LARGE_BODY_BYTES = 20 * 1024;

interface Options {
  documents: number;
  batchSize: number;
  rounds: number;
  quick: boolean;
  json: boolean;
}

/** Repetitions per round; --quick (the smoke test) shrinks all of them. */
interface Plan {
  indexedQueryReps: number;
  jsonExtractQueryReps: number;
  /** The same queries in D1 batches of 100 statements (the round trip shared). */
  batchedIndexedQueryReps: number;
  batchedJsonExtractQueryReps: number;
  largeDocuments: number;
  largeReadReps: number;
  sessionReadReps: number;
  warmupReps: number;
}

// Workerd's clock has 1 ms resolution, so each timed request is sized to take ~100 ms or more.
const FULL_PLAN: Plan = {
  indexedQueryReps: 200,
  jsonExtractQueryReps: 3,
  batchedIndexedQueryReps: 2000,
  batchedJsonExtractQueryReps: 3,
  largeDocuments: 100,
  largeReadReps: 250,
  sessionReadReps: 150,
  warmupReps: 50,
};
const QUICK_PLAN: Plan = {
  indexedQueryReps: 20,
  jsonExtractQueryReps: 2,
  batchedIndexedQueryReps: 200,
  batchedJsonExtractQueryReps: 2,
  largeDocuments: 10,
  largeReadReps: 20,
  sessionReadReps: 20,
  warmupReps: 5,
};

interface PerOp {
  reps: number;
  totalMs: number;
  /** Mean per operation, in microseconds. */
  meanUs: number;
  /** Microseconds per operation in each timed round (or load chunk), in order: what ratios pair up. */
  roundsUs: number[];
}

/** Workerd's clock ticks in whole milliseconds: a round under one tick counts as one. */
const CLOCK_RESOLUTION_MS = 1;

/** The median over rounds of `numerator / denominator`, round by round (paired in time). */
function pairedRatio(numerator: PerOp, denominator: PerOp): number {
  const ratios = numerator.roundsUs.map((us, i) => us / (denominator.roundsUs[i] ?? Number.NaN)).sort((a, b) => a - b);
  const mid = Math.floor(ratios.length / 2);
  return ratios.length % 2 === 1
    ? (ratios[mid] ?? Number.NaN)
    : ((ratios[mid - 1] ?? Number.NaN) + (ratios[mid] ?? Number.NaN)) / 2;
}

export interface StoreBenchResult {
  config: Omit<Options, "json"> & { loadChunk: number; persistence: "temporary directory"; plan: Plan };
  query: {
    description: string;
    indexed: PerOp;
    jsonExtract: PerOp;
    /** json_extract time / indexed time, per query (one D1 call each, as a request makes them): judged. */
    speedup: number;
    target: number;
    meetsTarget: boolean;
    /**
     * The same queries in D1 batches of 100 statements: the round trip (which dominates an indexed
     * query locally, and swells when the machine is busy) is shared, leaving mostly SQLite's work.
     */
    batched: { indexed: PerOp; jsonExtract: PerOp; speedup: number };
  };
  insert: {
    description: string;
    documents: number;
    indexedMs: number;
    plainMs: number;
    indexedDocsPerSec: number;
    plainDocsPerSec: number;
    /** Time with three generated indexed columns / time with none (median over load chunks). */
    ratio: number;
    target: number;
    meetsTarget: boolean;
  };
  cachedRead: {
    description: string;
    bodyBytes: number;
    documents: number;
    /** cachedGet, every read a hit: the D1 version probe + the KV get. */
    cached: PerOp;
    /** documentRepository.get: the D1 read the cache saves. */
    d1: PerOp;
    /** A bare KV get of the same entry: what the read would cost without the probe. */
    kvRaw: PerOp;
    /** D1 time / cached time (above 1: the cache is faster). */
    speedup: number;
  };
  bookmark: {
    description: string;
    none: PerOp;
    firstUnconstrained: PerOp;
    bookmark: PerOp;
    /** Per-read time over the same read with no session. */
    bookmarkRatio: number;
    firstUnconstrainedRatio: number;
    /** Microseconds a bookmark session adds per read over no session. */
    bookmarkAddedUs: number;
  };
  storage: {
    description: string;
    documents: number;
    avgBodyBytes: number;
    indexedBytesPer10k: number;
    plainBytesPer10k: number;
    /** Indexed / plain. */
    ratio: number;
  };
  durationSeconds: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      documents: { type: "string", default: "100000" },
      "batch-size": { type: "string", default: "250" },
      rounds: { type: "string" },
    },
  });
  const int = intOption;
  return {
    json: values.json,
    quick: values.quick,
    documents: int("documents", values.documents, 1_000, 1_000_000),
    batchSize: int("batch-size", values["batch-size"], 1, 1_000),
    rounds: int("rounds", values.rounds ?? (values.quick ? "2" : "8"), 2, 100),
  };
}

/** Progress goes to stderr, so `--json` keeps stdout to the one JSON object. */
function progress(message: string): void {
  process.stderr.write(`bench:store ${message}\n`);
}

interface BenchWorker {
  call<T>(request: BenchRequest): Promise<T>;
  dispose(): Promise<void>;
}

async function startWorker(): Promise<BenchWorker> {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [WORKER_ENTRY] });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error("esbuild produced no bench Worker bundle");
  // On disk, like D1's own SQLite files, in a directory of this run's own that goes at the end.
  const persistRoot = mkdtempSync(join(tmpdir(), "wfp-bench-store-"));
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    d1Databases: { DB_INDEXED: "bench-store-indexed", DB_PLAIN: "bench-store-plain" },
    kvNamespaces: { KV: "bench-store-kv" },
    defaultPersistRoot: persistRoot,
    d1Persist: true,
    kvPersist: true,
    // Whatever the Worker's code logs goes to
    // stderr, so stdout stays the report, or with --json exactly one JSON object.
    // (workerd's stdout carries the same lines as structured logs: drained, not printed twice).
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.resume();
      stderr.pipe(process.stderr);
    },
    handleStructuredLogs({ level, message }: { level: string; message: string }) {
      process.stderr.write(`workerd ${level}: ${message}\n`);
    },
  });
  try {
    await mf.ready;
  } catch (error) {
    rmSync(persistRoot, { recursive: true, force: true });
    throw error;
  }
  return {
    async call<T>(request: BenchRequest): Promise<T> {
      const res = await mf.dispatchFetch("http://bench/", { method: "POST", body: JSON.stringify(request) });
      const json = (await res.json()) as T & { error?: string };
      if (res.status !== 200) throw new Error(`bench Worker, ${request.op}: ${json.error ?? res.status}`);
      return json;
    },
    async dispose() {
      try {
        await mf.dispose();
      } finally {
        rmSync(persistRoot, { recursive: true, force: true });
      }
    },
  };
}

/** Round r's order of the variants: every permutation in turn, so none always goes first. */
function roundOrder<V>(variants: readonly V[], round: number): V[] {
  const permutations: V[][] = [];
  const permute = (rest: readonly V[], prefix: V[]) => {
    if (rest.length === 0) permutations.push(prefix);
    rest.forEach((v, i) => {
      permute([...rest.slice(0, i), ...rest.slice(i + 1)], [...prefix, v]);
    });
  };
  permute(variants, []);
  return permutations[round % permutations.length] ?? [...variants];
}

const perOp = (replies: TimedReply[]): PerOp => {
  const reps = replies.reduce((sum, r) => sum + r.reps, 0);
  const totalMs = replies.reduce((sum, r) => sum + r.ms, 0);
  const roundsUs = replies.map((r) => (Math.max(r.ms, CLOCK_RESOLUTION_MS) / r.reps) * 1000);
  return { reps, totalMs, meanUs: (totalMs / reps) * 1000, roundsUs };
};

/**
 * Times `variants` in `rounds` interleaved rounds after one untimed warm-up of each; `request`
 * builds one round's request for a variant (with its own rep count).
 */
async function interleaved<V extends string>(
  worker: BenchWorker,
  variants: readonly V[],
  rounds: number,
  request: (variant: V, warmup: boolean) => BenchRequest,
): Promise<Record<V, PerOp>> {
  for (const variant of variants) await worker.call<TimedReply>(request(variant, true));
  const replies = new Map<V, TimedReply[]>(variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const variant of roundOrder(variants, round))
      replies.get(variant)?.push(await worker.call<TimedReply>(request(variant, false)));
  }
  return Object.fromEntries(variants.map((v) => [v, perOp(replies.get(v) ?? [])])) as Record<V, PerOp>;
}

export async function benchStore(options: Omit<Options, "json">): Promise<StoreBenchResult> {
  const started = performance.now();
  const plan = options.quick ? QUICK_PLAN : FULL_PLAN;
  const worker = await startWorker();
  try {
    const empty = await worker.call<SetupReply>({ op: "setup" });

    // Load, and measure insert cost on the way: each chunk goes into both databases, in
    // alternating order, as the same D1 batches of `batchSize` INSERT statements.
    const insertMs: Record<Variant, number> = { indexed: 0, plain: 0 };
    const insertChunks: Record<Variant, TimedReply[]> = { indexed: [], plain: [] };
    let bodyBytes = 0;
    let lastReport = 0;
    for (let from = 0, chunk = 0; from < options.documents; from += LOAD_CHUNK, chunk += 1) {
      const count = Math.min(LOAD_CHUNK, options.documents - from);
      const order: Variant[] = chunk % 2 === 0 ? ["indexed", "plain"] : ["plain", "indexed"];
      const reply = await worker.call<LoadReply>({ op: "load", from, count, batchSize: options.batchSize, order });
      insertMs.indexed += reply.ms.indexed;
      insertMs.plain += reply.ms.plain;
      insertChunks.indexed.push({ ms: reply.ms.indexed, reps: count });
      insertChunks.plain.push({ ms: reply.ms.plain, reps: count });
      bodyBytes += reply.bodyBytes;
      const loaded = from + count;
      if (loaded === options.documents || performance.now() - lastReport > 2_000) {
        lastReport = performance.now();
        progress(
          `loaded ${loaded.toLocaleString("en-US")} / ${options.documents.toLocaleString("en-US")} ` +
            `documents into both tables (${((performance.now() - started) / 1000).toFixed(1)} s)`,
        );
      }
    }
    const loaded = await worker.call<CountReply>({ op: "count" });
    if (loaded.indexedRows !== options.documents || loaded.plainRows !== options.documents) {
      throw new Error(
        `expected ${options.documents} rows in each table, found ${loaded.indexedRows} and ${loaded.plainRows}`,
      );
    }
    const per10k = (bytes: number) => (bytes / options.documents) * 10_000;
    const storage: StoreBenchResult["storage"] = {
      description:
        "D1 database size after loading (meta.size_after = page_count * page_size) " +
        "minus the empty table's, per 10,000 documents",
      documents: options.documents,
      avgBodyBytes: bodyBytes / options.documents,
      indexedBytesPer10k: per10k(loaded.indexedBytes - empty.indexedBytes),
      plainBytesPer10k: per10k(loaded.plainBytes - empty.plainBytes),
      ratio: (loaded.indexedBytes - empty.indexedBytes) / (loaded.plainBytes - empty.plainBytes),
    };

    progress(`timing find-by-key: indexed generated column vs json_extract, ${options.rounds} rounds`);
    const queryVariants: QueryVariant[] = ["indexed", "json_extract"];
    const queries = await interleaved(worker, queryVariants, options.rounds, (variant, warmup) => ({
      op: "query",
      variant,
      documents: options.documents,
      batched: false,
      reps: warmup
        ? variant === "indexed"
          ? plan.warmupReps
          : 1
        : variant === "indexed"
          ? plan.indexedQueryReps
          : plan.jsonExtractQueryReps,
    }));
    progress(`timing the same queries in D1 batches of 100 statements, ${options.rounds} rounds`);
    const batchedQueries = await interleaved(worker, queryVariants, options.rounds, (variant, warmup) => ({
      op: "query",
      variant,
      documents: options.documents,
      batched: true,
      reps: warmup ? 1 : variant === "indexed" ? plan.batchedIndexedQueryReps : plan.batchedJsonExtractQueryReps,
    }));

    // Three variants from here on: rounds rounded up to a whole number of the six orders of three.
    const threeWayRounds = Math.max(6, Math.ceil(options.rounds / 6) * 6);
    progress(
      `timing ${plan.largeDocuments} documents of ${LARGE_BODY_BYTES / 1024} KiB: ` +
        `cached read vs D1 get vs bare KV get, ${threeWayRounds} rounds`,
    );
    const large = await worker.call<SeedLargeReply>({
      op: "seed-large",
      count: plan.largeDocuments,
      bodyBytes: LARGE_BODY_BYTES,
    });
    await worker.call({ op: "fill-cache", count: plan.largeDocuments });
    const readVariants: CachedReadVariant[] = ["cached", "d1", "kv-raw"];
    const reads = await interleaved(worker, readVariants, threeWayRounds, (variant, warmup) => ({
      op: "read-large",
      variant,
      count: plan.largeDocuments,
      reps: warmup ? plan.warmupReps : plan.largeReadReps,
    }));

    progress(`timing get by id through a bookmark, first-unconstrained and no session, ${threeWayRounds} rounds`);
    const { bookmark } = await worker.call<BookmarkReply>({ op: "bookmark" });
    const sessionVariants: SessionVariant[] = ["none", "first-unconstrained", "bookmark"];
    const sessions = await interleaved(worker, sessionVariants, threeWayRounds, (variant, warmup) => ({
      op: "read-session",
      variant,
      bookmark,
      documents: options.documents,
      reps: warmup ? plan.warmupReps : plan.sessionReadReps,
    }));

    const querySpeedup = pairedRatio(queries.json_extract, queries.indexed);
    const insertRatio = pairedRatio(perOp(insertChunks.indexed), perOp(insertChunks.plain));
    return {
      config: { ...options, loadChunk: LOAD_CHUNK, persistence: "temporary directory", plan },
      query: {
        description:
          "find one document by a unique-ish field (the statement list({ where: { key } }) compiles to), random keys",
        indexed: queries.indexed,
        jsonExtract: queries.json_extract,
        speedup: querySpeedup,
        target: TARGETS.minQuerySpeedup,
        meetsTarget: querySpeedup >= TARGETS.minQuerySpeedup,
        batched: {
          indexed: batchedQueries.indexed,
          jsonExtract: batchedQueries.json_extract,
          speedup: pairedRatio(batchedQueries.json_extract, batchedQueries.indexed),
        },
      },
      insert: {
        description:
          `${options.documents} documents in D1 batches of ${options.batchSize} ` +
          `INSERT statements, three generated indexed columns vs none`,
        documents: options.documents,
        indexedMs: insertMs.indexed,
        plainMs: insertMs.plain,
        indexedDocsPerSec: options.documents / (insertMs.indexed / 1000),
        plainDocsPerSec: options.documents / (insertMs.plain / 1000),
        ratio: insertRatio,
        target: TARGETS.maxInsertRatio,
        meetsTarget: insertRatio <= TARGETS.maxInsertRatio,
      },
      cachedRead: {
        description:
          "cachedGet hits (D1 version probe in the read session + KV get) " +
          "vs documentRepository.get on D1, a fresh read session per read; bare KV get for scale",
        bodyBytes: large.bodyBytes,
        documents: plan.largeDocuments,
        cached: reads.cached,
        d1: reads.d1,
        kvRaw: reads["kv-raw"],
        speedup: pairedRatio(reads.d1, reads.cached),
      },
      bookmark: {
        description:
          "documentRepository.get by id, a new session per read as per request: withSession(bookmark) " +
          'vs withSession("first-unconstrained") vs env.DB',
        none: sessions.none,
        firstUnconstrained: sessions["first-unconstrained"],
        bookmark: sessions.bookmark,
        bookmarkRatio: pairedRatio(sessions.bookmark, sessions.none),
        firstUnconstrainedRatio: pairedRatio(sessions["first-unconstrained"], sessions.none),
        bookmarkAddedUs: sessions.bookmark.meanUs - sessions.none.meanUs,
      },
      storage,
      durationSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await worker.dispose();
  }
}

const us = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} ms` : `${value.toFixed(0)} µs`);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const verdict = (ok: boolean) => (ok ? "meets target" : "MISSES target");

function printReport(r: StoreBenchResult): void {
  const { config: c } = r;
  const lines = [
    `bench:store  ${c.documents.toLocaleString("en-US")} documents in one collection, ` +
      `real workerd + D1 (Miniflare, on disk), ${c.rounds} interleaved rounds${c.quick ? " (quick)" : ""}` +
      `; times measured inside the Worker, ratios are medians of per-round ratios`,
    `  1. find by key: indexed generated column ${us(r.query.indexed.meanUs)} ` +
      `per query (${r.query.indexed.reps} queries), ` +
      `json_extract with no index ${us(r.query.jsonExtract.meanUs)} (${r.query.jsonExtract.reps})`,
    `     speedup ${r.query.speedup.toFixed(0)}x (target >= ${r.query.target}x: ${verdict(r.query.meetsTarget)})`,
    `     in D1 batches of 100 (round trip shared): ` +
      `indexed ${us(r.query.batched.indexed.meanUs)}, json_extract ${us(r.query.batched.jsonExtract.meanUs)} ` +
      `per query, speedup ${r.query.batched.speedup.toFixed(0)}x`,
    `  2. insert, batches of ${c.batchSize}: ` +
      `three generated indexed columns ${r.insert.indexedDocsPerSec.toFixed(0)} docs/s, ` +
      `none ${r.insert.plainDocsPerSec.toFixed(0)} docs/s`,
    `     cost ratio ${r.insert.ratio.toFixed(2)}x (target <= ${r.insert.target}x: ${verdict(r.insert.meetsTarget)})`,
    `  3. read of a ${kib(r.cachedRead.bodyBytes)} document: ` +
      `cached (hit: D1 probe + KV get) ${us(r.cachedRead.cached.meanUs)}, ` +
      `D1 get ${us(r.cachedRead.d1.meanUs)}, ` +
      `bare KV get ${us(r.cachedRead.kvRaw.meanUs)}`,
    `     D1 / cached ${r.cachedRead.speedup.toFixed(2)}x (no target; above 1 means the cached read is faster)`,
    `  4. get by id: no session ${us(r.bookmark.none.meanUs)}, ` +
      `first-unconstrained ${us(r.bookmark.firstUnconstrained.meanUs)}, ` +
      `bookmark ${us(r.bookmark.bookmark.meanUs)}`,
    `     bookmark / no session ${r.bookmark.bookmarkRatio.toFixed(2)}x ` +
      `(${r.bookmark.bookmarkAddedUs >= 0 ? "+" : ""}${us(r.bookmark.bookmarkAddedUs)} per read); ` +
      `first-unconstrained / no session ${r.bookmark.firstUnconstrainedRatio.toFixed(2)}x (no target)`,
    `  5. D1 bytes per 10,000 documents (avg body ${r.storage.avgBodyBytes.toFixed(0)} B): ` +
      `with generated columns + indexes ${kib(r.storage.indexedBytesPer10k)}, ` +
      `without ${kib(r.storage.plainBytesPer10k)}, ratio ${r.storage.ratio.toFixed(2)}x`,
    `  whole run ${r.durationSeconds.toFixed(1)} s`,
  ];
  console.log(lines.join("\n"));
}

async function main(): Promise<void> {
  const { json, ...options } = parseOptions();
  const result = await benchStore(options);
  if (json) console.log(JSON.stringify(result));
  else printReport(result);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
