/**
 * The load loop the HTTP benchmarks share (bench:dispatch, bench:registry): a fixed number of
 * requests with a fixed number in flight, their latencies, and the summary the benches compare
 * (throughput and p50/p99 within one run).
 */
import { performance } from "node:perf_hooks";

export interface Batch {
  latenciesMs: number[];
  errors: number;
  elapsedMs: number;
}

export interface LoadSummary {
  requests: number;
  errors: number;
  /** Requests per second over the batches' elapsed time. */
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Sends `count` requests (the i-th made by `request(i)`) with `concurrency` in flight; a fixed
 * number, never open-ended. A request that throws or answers another status than `okStatus` is an error.
 *
 * @example
 *   const batch = await runBatch(1000, 4, () => send(agent, target, "/health"));
 */
export async function runBatch(
  count: number,
  concurrency: number,
  request: (i: number) => Promise<{ status: number }>,
  okStatus = 200,
): Promise<Batch> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      try {
        if ((await request(i)).status !== okStatus) errors += 1;
      } catch {
        errors += 1;
      }
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { latenciesMs, errors, elapsedMs: performance.now() - started };
}

/** The nearest-rank percentile of ascending `sorted` (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** One summary over several batches of the same target (interleaved rounds). */
export function summarise(batches: readonly Batch[]): LoadSummary {
  const latencies = batches.flatMap((b) => b.latenciesMs).sort((a, b) => a - b);
  const elapsedMs = batches.reduce((sum, b) => sum + b.elapsedMs, 0);
  return {
    requests: latencies.length,
    errors: batches.reduce((sum, b) => sum + b.errors, 0),
    perSec: latencies.length / (elapsedMs / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}
