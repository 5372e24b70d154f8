/**
 * Keeps `npm run bench:store` from rotting without making a benchmark part of the suite: the
 * script runs at a tiny size (`--documents 2000 --quick --json`, a few seconds) and every figure
 * the report needs must be in its one JSON object as a finite number. The figures' values are not
 * checked: at 2,000 documents they say nothing about the targets (judged at 100,000).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/lib/worker-bundles.ts";

const execFileAsync = promisify(execFile);

/** Every numeric figure of the JSON, by path: the shape a reader (or CI) relies on. */
const FIGURES = [
  "query.indexed.meanUs",
  "query.jsonExtract.meanUs",
  "query.speedup",
  "query.target",
  "query.batched.indexed.meanUs",
  "query.batched.jsonExtract.meanUs",
  "query.batched.speedup",
  "insert.indexedMs",
  "insert.plainMs",
  "insert.indexedDocsPerSec",
  "insert.plainDocsPerSec",
  "insert.ratio",
  "insert.target",
  "cachedRead.bodyBytes",
  "cachedRead.cached.meanUs",
  "cachedRead.d1.meanUs",
  "cachedRead.kvRaw.meanUs",
  "cachedRead.speedup",
  "bookmark.none.meanUs",
  "bookmark.firstUnconstrained.meanUs",
  "bookmark.bookmark.meanUs",
  "bookmark.bookmarkRatio",
  "bookmark.firstUnconstrainedRatio",
  "bookmark.bookmarkAddedUs",
  "storage.avgBodyBytes",
  "storage.indexedBytesPer10k",
  "storage.plainBytesPer10k",
  "storage.ratio",
  "durationSeconds",
] as const;

const at = (value: unknown, path: string): unknown =>
  path
    .split(".")
    .reduce<unknown>(
      (node, key) => (typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined),
      value,
    );

describe("npm run bench:store", () => {
  it("runs at a tiny size and reports every figure as one JSON object on stdout", async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "scripts/bench-store.ts"), "--documents", "2000", "--quick", "--json"],
      { cwd: REPO_ROOT, encoding: "utf8", timeout: 50_000 },
    );
    // Exactly one JSON object: progress and the Worker's logs must stay on stderr.
    const result: unknown = JSON.parse(stdout);
    const missing = FIGURES.filter((path) => {
      const value = at(result, path);
      return typeof value !== "number" || !Number.isFinite(value);
    });
    expect(missing).toEqual([]);
    expect(at(result, "config.documents")).toBe(2000);
    for (const path of ["query.meetsTarget", "insert.meetsTarget"]) expect(typeof at(result, path)).toBe("boolean");
    // Every timed figure came from at least one measured operation.
    for (const path of [
      "query.indexed",
      "query.jsonExtract",
      "query.batched.indexed",
      "query.batched.jsonExtract",
      "cachedRead.cached",
      "cachedRead.d1",
      "cachedRead.kvRaw",
      "bookmark.none",
      "bookmark.firstUnconstrained",
      "bookmark.bookmark",
    ]) {
      expect(at(result, `${path}.reps`)).toBeGreaterThan(0);
    }
  }, 60_000);
});
