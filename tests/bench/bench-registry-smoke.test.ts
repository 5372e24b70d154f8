/**
 * Keeps `npm run bench:registry` from rotting without making a benchmark part of the suite: the
 * script runs at a tiny size (a few hundred requests, 50-field records, 5 versions; about 15 s)
 * and every figure the report needs must be in its one JSON object as a finite number, with no
 * request failing. The values are not judged: at this size they say nothing about the targets.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/lib/worker-bundles.ts";

const execFileAsync = promisify(execFile);

const SUMMARY = ["perSec", "p50Ms", "p99Ms"];
const TIMING = ["meanMs", "p50Ms", "maxMs"];
const FIGURES = [
  ...[
    "reads.0.registry",
    "reads.0.helloWorld",
    "reads.1.registry",
    "reads.1.helloWorld",
    "registrations.sequential",
    "registrations.concurrent",
    "registrations.oneSubject",
    "webhooks.without",
    "webhooks.with",
  ].flatMap((at) => SUMMARY.map((f) => `${at}.${f}`)),
  "webhooks.throughputRatio",
  "webhooks.lagP50Ms",
  "webhooks.lagP99Ms",
  "reads.0.ratio",
  "reads.1.ratio",
  // CPU per request (Linux /proc, which CI has); ratios of them are left out: at this size a
  // process may not have used one 10 ms tick.
  "reads.0.registry.cpu.platformMs",
  "reads.0.helloWorld.cpu.platformMs",
  "registrations.concurrent.cpu.platformMs",
  "registrations.concurrent.cpu.clientMs",
  ...["compatibility.wide", "compatibility.history"].flatMap((at) =>
    ["http", "engine", "engineWithParse"].flatMap((kind) => TIMING.map((f) => `${at}.${kind}.${f}`)),
  ),
  "compatibility.history.versions",
  "durationSeconds",
] as const;

const at = (value: unknown, path: string): unknown =>
  path
    .split(".")
    .reduce<unknown>(
      (node, key) => (typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined),
      value,
    );

describe("npm run bench:registry", () => {
  it("runs at a tiny size and reports every figure as one JSON object on stdout", async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(REPO_ROOT, "scripts/bench-registry.ts"),
        "--requests",
        "100",
        "--rounds",
        "2",
        "--warmup",
        "10",
        "--registrations",
        "8",
        "--fields",
        "50",
        "--versions",
        "5",
        "--reps",
        "2",
        "--webhook-registrations",
        "8",
        "--json",
      ],
      { cwd: REPO_ROOT, encoding: "utf8", timeout: 55_000 },
    );
    // Exactly one JSON object: progress and the Workers' logs stay on stderr.
    const result: unknown = JSON.parse(stdout);
    const missing = FIGURES.filter((path) => {
      const value = at(result, path);
      return typeof value !== "number" || !Number.isFinite(value);
    });
    expect(missing).toEqual([]);
    expect(at(result, "reads.0.concurrency")).toBe(1);
    expect(at(result, "reads.1.concurrency")).toBe(4);
    expect(at(result, "compatibility.history.versions")).toBe(5);
    // Every registration of the rounds with a webhook was delivered.
    expect(at(result, "webhooks.delivered")).toBe(8);
    for (const path of [
      "reads.0.registry",
      "reads.0.helloWorld",
      "reads.1.registry",
      "reads.1.helloWorld",
      "registrations.sequential",
      "registrations.concurrent",
      "webhooks.without",
      "webhooks.with",
    ]) {
      expect(at(result, `${path}.errors`), path).toBe(0);
    }
    expect(typeof at(result, "reads.0.meetsTarget")).toBe("boolean");
  }, 60_000);
});
