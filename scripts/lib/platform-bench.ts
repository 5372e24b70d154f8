/**
 * What `npm run bench:platform` measures (issue 10, section 7), as a function a test can run small:
 * the local platform filled with real tenants (`tenant create`, the CLI operators use), and at each
 * checkpoint size (1, 10, 100, 1,000, and the size asked for):
 *
 * - `create`: wall time of `npm run -s tenant -- create ...` as an operator types it (npm, Node's
 *   start, the template build, every API call), the median of a few; then the new tenant must
 *   answer through the dispatcher;
 * - restart: `npm start` on the platform's folder, from the command to a tenant's first answer
 *   (npm, Node, the dispatcher's build, workerd's start, the tenant's load); then the platform is
 *   started again in this process, and that restart's time is reported too;
 * - workerd's RSS right after that restart (no tenant loaded), and once `inUse` tenants have been
 *   served;
 * - dispatch latency p50/p99 of `GET /health` to one tenant through the dispatcher.
 *
 * Tenants between checkpoints are created in this process, four at a time (they are real tenants,
 * only their creation is not timed).
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "./initialised-platform.ts";
import { percentile } from "./load-batch.ts";
import { requestTenant, runTenant } from "./tenant-traffic.ts";
import { REPO_ROOT } from "./worker-bundles.ts";

const execFileAsync = promisify(execFile);

export interface PlatformBenchOptions {
  /** How many tenants the platform ends with (at least). */
  tenants: number;
  /** Timed creates per checkpoint (the median is reported). */
  samples: number;
  /** Tenants served before the "in use" RSS is read. */
  inUse: number;
  /** Requests for the dispatch latency figures. */
  requests: number;
  /** Progress lines. */
  log: (line: string) => void;
}

export interface Checkpoint {
  /** Tenants that existed when the first timed create ran, plus one (the tenant # it created). */
  tenant: number;
  createSeconds: number[];
  createMedianSeconds: number;
  /** `npm start` to the first answer of tenant #1. */
  npmStartSeconds: number;
  /** `startInitialisedPlatform()` in this process to the first answer of tenant #1. */
  restartSeconds: number;
  rssIdleMb: number;
  rssInUseMb: number;
  dispatchP50Ms: number;
  dispatchP99Ms: number;
}

export interface PlatformBenchReport {
  tenants: number;
  samples: number;
  inUse: number;
  checkpoints: Checkpoint[];
  targets: {
    /** create at the last checkpoint / create at tenant 1 (target at most 1.5). */
    createRatio: number;
    /** every median create under 3 s. */
    createUnder3s: boolean;
    /** the slowest `npm start` to a first answer, seconds (target under 5). */
    slowestRestartSeconds: number;
    /** RSS with `inUse` served at the last checkpoint / at tenant 10 (target at most 1.5), when both exist. */
    rssRatio: number | null;
    met: boolean;
  };
}

const CHECKPOINTS = [1, 10, 100, 1000];
const FILL_CONCURRENCY = 4;

export const tenantId = (n: number) => `t${String(n).padStart(5, "0")}`;
export const hostOf = (n: number) => `registry.${tenantId(n)}.bench.localhost`;
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** workerd's resident memory in MB (Linux /proc). */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return line === undefined ? Number.NaN : Number(line.replace(/\D+/g, "")) / 1024;
}

async function health(platform: LocalPlatform, n: number): Promise<number> {
  return (await requestTenant(platform.trafficUrl, hostOf(n), "GET", "/health")).status;
}

/** `tenant create` as an operator runs it (`npm run tenant`), so npm, Node and the template build are timed too. */
async function timedCreate(platform: LocalPlatform, n: number): Promise<number> {
  const started = performance.now();
  await execFileAsync("npm", ["run", "-s", "tenant", "--", "create", tenantId(n), "--domain", hostOf(n), "--json"], {
    cwd: REPO_ROOT,
    env: { ...process.env, CLOUDFLARE_API_BASE_URL: platform.apiUrl, CLOUDFLARE_API_TOKEN: "" },
    encoding: "utf8",
  }).catch((error: { code?: number; stderr?: string }) => {
    throw new Error(`tenant create ${tenantId(n)} failed (exit ${error.code}): ${error.stderr}`);
  });
  const seconds = (performance.now() - started) / 1000;
  const status = await health(platform, n);
  if (status !== 200) throw new Error(`tenant ${tenantId(n)} answered ${status} on /health after create`);
  return seconds;
}

/** `npm start` on the folder, timed to tenant #1's first answer, then stopped (Ctrl-C's signal). */
async function npmStart(stateDir: string): Promise<number> {
  const started = performance.now();
  const child = spawn(
    "npm",
    ["start", "-s", "--", "--port", "0", "--api-port", "0", "--state", stateDir, "--json"],
    // Its own process group, so the signal reaches npm's children as Ctrl-C's would.
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    const facts = await new Promise<{ trafficUrl: string }>((resolve, reject) => {
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line !== undefined) resolve(JSON.parse(line) as { trafficUrl: string });
      });
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
      child.once("exit", (code) => reject(new Error(`npm start exited (${code}) before it was ready: ${err}`)));
    });
    for (;;) {
      const reply = await requestTenant(facts.trafficUrl, hostOf(1), "GET", "/health").catch(() => null);
      if (reply?.status === 200) break;
      if (performance.now() - started > 120_000)
        throw new Error("tenant #1 did not answer within 2 minutes of npm start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return (performance.now() - started) / 1000;
  } finally {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGINT");
    await exited;
  }
}

/**
 * Tenants #from..#to made with `tenant create` (in-process, a few at a time), as the benchmarks fill
 * a platform.
 *
 * @example await fillTenants(platform, 1, 1000, console.error)
 */
export async function fillTenants(
  platform: Pick<LocalPlatform, "apiUrl">,
  from: number,
  to: number,
  log: (line: string) => void,
): Promise<void> {
  let next = from;
  let done = 0;
  const worker = async () => {
    while (next <= to) {
      const n = next++;
      const { code, stderr } = await runTenant(platform.apiUrl, ["create", tenantId(n), "--domain", hostOf(n)]);
      if (code !== 0) throw new Error(`tenant create ${tenantId(n)} failed (exit ${code}): ${stderr}`);
      done++;
      if (done % 50 === 0 || n === to) log(`  filled ${done} of ${to - from + 1} (tenant #${n})`);
    }
  };
  await Promise.all(Array.from({ length: FILL_CONCURRENCY }, worker));
}

export async function benchPlatform(options: PlatformBenchOptions): Promise<PlatformBenchReport> {
  const { tenants, samples, inUse, requests, log } = options;
  const sizes = [...new Set([...CHECKPOINTS.filter((c) => c < tenants), tenants])].sort((a, b) => a - b);
  const stateDir = mkdtempSync(join(tmpdir(), "wfp-bench-platform-"));
  const start = () => startInitialisedPlatform({ port: 0, apiPort: 0, stateDir });
  let platform = await start();
  const checkpoints: Checkpoint[] = [];
  let count = 0;
  try {
    for (const size of sizes) {
      if (count < size - 1) {
        log(`filling to ${size - 1} tenants`);
        await fillTenants(platform, count + 1, size - 1, log);
        count = size - 1;
      }
      const createSeconds: number[] = [];
      for (let i = 0; i < samples; i++) {
        createSeconds.push(await timedCreate(platform, ++count));
        log(`  tenant #${count}: create ${createSeconds.at(-1)!.toFixed(2)} s`);
      }

      await platform.close();
      const npmStartSeconds = await npmStart(stateDir);
      const restarted = performance.now();
      platform = await start();
      const rssIdleMb = rssMb(platform.workerdPid());
      if ((await health(platform, 1)) !== 200) throw new Error("tenant #1 did not answer after the restart");
      const restartSeconds = (performance.now() - restarted) / 1000;

      const served = Array.from({ length: Math.min(inUse, count) }, (_, i) => count - i);
      for (const n of served) if ((await health(platform, n)) !== 200) throw new Error(`tenant #${n} did not answer`);
      const rssInUseMb = rssMb(platform.workerdPid());

      const latencies: number[] = [];
      for (let i = 0; i < requests; i++) {
        const t0 = performance.now();
        if ((await health(platform, 1)) !== 200) throw new Error("tenant #1 did not answer");
        latencies.push(performance.now() - t0);
      }
      latencies.sort((a, b) => a - b);
      const checkpoint: Checkpoint = {
        tenant: count - samples + 1,
        createSeconds,
        createMedianSeconds: median(createSeconds),
        npmStartSeconds,
        restartSeconds,
        rssIdleMb,
        rssInUseMb,
        dispatchP50Ms: percentile(latencies, 50),
        dispatchP99Ms: percentile(latencies, 99),
      };
      checkpoints.push(checkpoint);
      log(
        `${count} tenants: create #${checkpoint.tenant} ${checkpoint.createMedianSeconds.toFixed(2)} s (median), ` +
          `npm start ${npmStartSeconds.toFixed(2)} s (in-process ${restartSeconds.toFixed(2)} s), ` +
          `RSS ${rssIdleMb.toFixed(0)} MB idle / ` +
          `${rssInUseMb.toFixed(0)} MB with ${served.length} in use, ` +
          `dispatch p50 ${checkpoint.dispatchP50Ms.toFixed(1)} ms p99 ${checkpoint.dispatchP99Ms.toFixed(1)} ms`,
      );
    }
  } finally {
    await platform.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  const first = checkpoints[0]!;
  const last = checkpoints.at(-1)!;
  const ten = checkpoints.find((c) => c.tenant === 10);
  const createRatio = last.createMedianSeconds / first.createMedianSeconds;
  const createUnder3s = checkpoints.every((c) => c.createMedianSeconds < 3);
  const slowestRestartSeconds = Math.max(...checkpoints.map((c) => Math.max(c.npmStartSeconds, c.restartSeconds)));
  const rssRatio = ten === undefined || ten === last ? null : last.rssInUseMb / ten.rssInUseMb;
  return {
    tenants: count,
    samples,
    inUse,
    checkpoints,
    targets: {
      createRatio,
      createUnder3s,
      slowestRestartSeconds,
      rssRatio,
      met: createRatio <= 1.5 && createUnder3s && slowestRestartSeconds < 5 && (rssRatio === null || rssRatio <= 1.5),
    },
  };
}
