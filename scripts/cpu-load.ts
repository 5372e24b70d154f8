/**
 * `npm run load [-- --seconds N] [--threads N]`
 *
 * Keeps CPU cores busy for a bounded time, so the test suite can be run on a busy machine:
 *   npm run load -- --seconds 900 & npx vitest run; kill %1
 * Each thread is a busy loop in a worker thread (default: two, one per core of the machine the
 * suite is tuned for). The run stops by itself after `--seconds` (default 600), on Ctrl-C and on
 * SIGTERM, so a forgotten load never outlives its purpose.
 */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { intOption } from "./lib/int-option.ts";

export interface CpuLoadOptions {
  /** How many busy threads (each keeps one core busy). */
  threads: number;
  /** When they stop by themselves. */
  seconds: number;
}

export interface CpuLoad {
  /** Resolves when every thread has stopped. */
  done: Promise<void>;
  /** Stops every thread now. */
  stop(): Promise<void>;
}

// A busy loop that does real work, so no engine can skip it; it checks the clock rarely.
const BUSY_LOOP = `
const { workerData } = require("node:worker_threads");
let x = 0;
while (Date.now() < workerData.until) {
  for (let i = 0; i < 1e6; i++) x = (x * 31 + i) % 1000003;
}
`;

/**
 * Starts `threads` busy loops that stop by themselves after `seconds`.
 *
 * @example
 *   const load = startCpuLoad({ threads: 2, seconds: 60 });
 *   // ... measure something on a busy machine ...
 *   await load.stop();
 */
export function startCpuLoad({ threads, seconds }: CpuLoadOptions): CpuLoad {
  const until = Date.now() + seconds * 1000;
  const workers = Array.from({ length: threads }, () => new Worker(BUSY_LOOP, { eval: true, workerData: { until } }));
  const done = Promise.all(
    workers.map((worker) => new Promise<void>((resolve) => worker.once("exit", () => resolve()))),
  );
  return {
    done: done.then(() => undefined),
    async stop() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: "string", default: "600" }, threads: { type: "string", default: "2" } },
  });
  const seconds = intOption("seconds", values.seconds, 1, 24 * 3600);
  const threads = intOption("threads", values.threads, 1, 256);
  const load = startCpuLoad({ threads, seconds });
  console.log(
    `cpu-load: ${threads} busy thread(s) for ${seconds} s on ${availableParallelism()} core(s), pid ${process.pid}`,
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void load.stop());
  await load.done;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  });
}
