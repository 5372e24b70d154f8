/**
 * `npm run bench:dispatch [-- --json] [--requests N] [--concurrency C[,C...]] [--rounds R] [--warmup W]
 *   [--limits shared|per-isolate]`
 *
 * What the dispatcher costs: the same request (`GET /health` on a real tenant-template Worker
 * with a real D1 database and KV namespace) is sent, in one run against one Miniflare instance,
 *   (a) straight to the tenant Worker, on its own loopback socket, and
 *   (b) through the dispatcher + local dispatch namespace shim, on the dispatcher's own socket,
 *       addressed by the tenant's custom hostname (the Host header), as tenant traffic arrives.
 * Both are dedicated workerd sockets (no Miniflare entry proxy on either path), so the only
 * difference is the dispatcher's work: host lookup (isolate cache -> KV), rate limits (counted in
 * the isolate and reported to the tenant's RATE_LIMITS object in the background), `get()`, one more hop.
 *
 * A second, stricter scenario sends a request the tenant answers without touching D1 (its JSON
 * 401 to a request without an API key), so the dispatcher's fixed cost is measured against the
 * cheapest possible tenant response.
 * The targets are judged on /health, the request the issue names; both are printed.
 *
 * Noise control: after a warm-up, the two targets alternate in rounds (A B, then B A, ...) with the
 * same fixed concurrency over keep-alive connections, so drift (CPU frequency, GC, other load)
 * falls on both equally. Throughput is requests / wall time spent on that target; latency is per
 * request, reported as p50 and p99. Targets (issue 2, section 7): at most 10% added cost
 * (throughput) and under 1 ms added at p99.
 *
 * The second half of section 7, seconds to onboard one tenant, plugs into `measureOnboarding()`.
 */
import { intOption } from "./lib/int-option.ts";
import { runBatch, summarise, type Batch, type LoadSummary as Summary } from "./lib/load-batch.ts";
import { Agent, request as httpRequest } from "node:http";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startInitialisedPlatform } from "./lib/initialised-platform.ts";
import { TEMPLATE_VERSION } from "../contracts/template-version.ts";
import { applyMigrationsLocally } from "./lib/local-migrations.ts";
import { staticTenantHost } from "./lib/static-tenant-host.ts";
import { bundleLocalDispatcher, bundleTenantTemplate, REPO_ROOT } from "./lib/worker-bundles.ts";

const execFileAsync = promisify(execFile);
const COMPATIBILITY_DATE = "2026-06-01";
const TENANT_ID = "bench";
const TENANT_SCRIPT = `tenant-${TENANT_ID}`;
const TENANT_HOST = "registry.bench.localhost";
/** The tenant's dispatch proof: the dispatcher adds it from the route record; direct requests send it themselves. */
const BENCH_PROOF = "bench-dispatch-proof-0123456789abcdefghijklmnopq";

interface Scenario {
  name: "health" | "empty";
  path: string;
  /** The status every timed reply must have; anything else counts as an error. */
  status: number;
  description: string;
}

const SCENARIOS: readonly Scenario[] = [
  { name: "health", path: "/health", status: 200, description: "GET /health (two D1 reads)" },
  {
    name: "empty",
    path: "/__bench/no-such-path",
    status: 401,
    description: "GET of an unknown path without an API key (the tenant's JSON 401, no D1)",
  },
];

const TARGETS = { maxAddedCostPct: 10, maxAddedP99Ms: 1 } as const;

interface Options {
  /** How the dispatcher counts rate limits: across isolates (the RATE_LIMITS binding, as deployed) or alone. */
  limits: "shared" | "per-isolate";
  requests: number;
  concurrency: number;
  rounds: number;
  warmup: number;
  json: boolean;
}

interface Endpoint {
  label: "direct" | "dispatcher";
  port: number;
  /** Host header sent: the tenant's custom hostname through the dispatcher, the socket itself directly. */
  host: string;
  /** Other headers sent: the dispatch proof, directly (so both targets do the tenant's proof check). */
  headers: Record<string, string>;
}

export interface DispatchBenchResult {
  scenario: string;
  config: Omit<Options, "json"> & { path: string; tenantHost: string };
  direct: Summary;
  dispatcher: Summary;
  /** dispatcher req/s divided by direct req/s. */
  throughputRatio: number;
  /** Extra cost per request through the dispatcher, in percent: direct/dispatcher throughput - 1. */
  addedCostPct: number;
  addedP50Ms: number;
  addedP99Ms: number;
  targets: typeof TARGETS;
  meetsTargets: { cost: boolean; p99: boolean };
}

/** Filled in by the provisioner work: seconds from `tenant create` to a tenant answering /health. */
export interface OnboardingResult {
  /** From starting the command to the tenant's first healthy /health through the dispatcher. */
  seconds: number;
  /** The command alone. */
  cliSeconds: number;
  steps: number;
  targetSeconds: number;
}

function parseOptions(): Omit<Options, "concurrency"> & { concurrency: number[] } {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      // per-isolate: without the RATE_LIMITS binding, to see what counting across isolates costs.
      limits: { type: "string", default: "shared" },
      requests: { type: "string", default: "6000" },
      // Both by default: 1 is latency-bound (the hop's own cost), 4 saturates this machine's two
      // cores (shared with the load generator), where any extra CPU shows up as lost throughput.
      concurrency: { type: "string", default: "1,4" },
      rounds: { type: "string", default: "10" },
      warmup: { type: "string", default: "500" },
    },
  });
  const int = intOption;
  if (values.limits !== "shared" && values.limits !== "per-isolate")
    throw new Error(`--limits must be shared or per-isolate, not ${values.limits}`);
  return {
    json: values.json,
    limits: values.limits,
    requests: int("requests", values.requests, 100, 200_000),
    concurrency: values.concurrency.split(",").map((c) => int("concurrency", c.trim(), 1, 256)),
    rounds: int("rounds", values.rounds, 2, 100),
    warmup: int("warmup", values.warmup, 0, 50_000),
  };
}

async function startPlatform(limits: Options["limits"]): Promise<{
  mf: Miniflare;
  direct: Endpoint;
  dispatcher: Endpoint;
  migrations: string[];
}> {
  const [dispatcherCode, tenantCode] = await Promise.all([bundleLocalDispatcher(), bundleTenantTemplate()]);
  const tenantHost = staticTenantHost({ [TENANT_SCRIPT]: TENANT_SCRIPT }, COMPATIBILITY_DATE);
  const mf = new Miniflare({
    workers: [
      {
        name: "wfp-dispatcher",
        modules: true,
        script: dispatcherCode,
        compatibilityDate: COMPATIBILITY_DATE,
        kvNamespaces: { ROUTES: "wfp-routes" },
        // Usage per request (docs/usage.md): Miniflare's binding, which takes each point and drops it,
        // as Cloudflare's takes it without I/O on the request; so what is measured is the dispatcher's
        // own work (the route template, the point) and not the local platform's store.
        analyticsEngineDatasets: { USAGE: { dataset: "wfp_usage" } },
        // As platform init deploys it: rate limits counted across isolates (shared-rate-limiter.ts).
        ...(limits === "shared"
          ? { durableObjects: { RATE_LIMITS: { className: "RateLimitCounter", useSQLite: true } } }
          : {}),
        bindings: { PLATFORM_HOSTS: "localhost,127.0.0.1" },
        serviceBindings: tenantHost.dispatcherBindings,
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      },
      tenantHost.worker,
      {
        name: TENANT_SCRIPT,
        modules: true,
        script: tenantCode,
        compatibilityDate: COMPATIBILITY_DATE,
        d1Databases: { DB: `wfp-tenant-${TENANT_ID}` },
        kvNamespaces: { CACHE: `wfp-tenant-${TENANT_ID}-cache` },
        bindings: {
          TENANT_ID,
          TEMPLATE_VERSION,
          RESIDENCY: "global",
          CACHE_MODE: "off",
          ADMIN_KEY_HASH: "0".repeat(64),
          DISPATCH_PROOF: BENCH_PROOF,
        },
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      },
    ],
  });
  await mf.ready;
  const migrations = await applyMigrationsLocally(await mf.getD1Database("DB", TENANT_SCRIPT));
  const routes = await mf.getKVNamespace("ROUTES", "wfp-dispatcher");
  await routes.put(
    `host:${TENANT_HOST}`,
    JSON.stringify({
      tenantId: TENANT_ID,
      script: TENANT_SCRIPT,
      status: "active",
      limits: { cpuMs: 50, subRequests: 50 },
      plan: "standard",
      proof: BENCH_PROOF,
      // Counted on every request like any tenant's, but high enough that the run is never refused.
      rateLimit: { requestsPerMinute: 100_000_000, keyRequestsPerMinute: 100_000_000 },
      updatedAt: new Date().toISOString(),
    }),
  );
  const directUrl = await mf.unsafeGetDirectURL(TENANT_SCRIPT);
  const dispatcherUrl = await mf.unsafeGetDirectURL("wfp-dispatcher");
  return {
    mf,
    migrations,
    direct: {
      label: "direct",
      port: Number(directUrl.port),
      host: directUrl.host,
      headers: { "x-wfp-proof": BENCH_PROOF },
    },
    dispatcher: {
      label: "dispatcher",
      port: Number(dispatcherUrl.port),
      host: `${TENANT_HOST}:${dispatcherUrl.port}`,
      headers: {},
    },
  };
}

interface Reply {
  status: number;
  body: string;
  requestId: string | undefined;
}

function send(agent: Agent, endpoint: Endpoint, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { agent, host: "127.0.0.1", port: endpoint.port, path, headers: { ...endpoint.headers, host: endpoint.host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const requestId = res.headers["x-request-id"];
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            requestId: typeof requestId === "string" ? requestId : undefined,
          });
        });
        res.on("error", reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`request to ${endpoint.label} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** Both endpoints must give the same healthy answer before anything is timed. */
async function checkEndpoint(agent: Agent, endpoint: Endpoint, migrations: string[]): Promise<void> {
  {
    const reply = await send(agent, endpoint, "/health");
    const body = JSON.parse(reply.body) as { tenantId?: string; database?: string; migrations?: string[] };
    const healthy =
      reply.status === 200 &&
      body.tenantId === TENANT_ID &&
      body.database === "ok" &&
      JSON.stringify(body.migrations) === JSON.stringify(migrations) &&
      reply.requestId !== undefined;
    if (!healthy) throw new Error(`${endpoint.label} did not answer a healthy /health: ${reply.status} ${reply.body}`);
  }
}

/** Runs every scenario against one platform; the targets are judged per scenario. */
export async function benchDispatch(options: Omit<Options, "json">): Promise<DispatchBenchResult[]> {
  const { mf, direct, dispatcher, migrations } = await startPlatform(options.limits);
  // One pool per target, each as large as the concurrency, so connections are reused, never reopened.
  const agents = {
    direct: new Agent({ keepAlive: true, maxSockets: options.concurrency }),
    dispatcher: new Agent({ keepAlive: true, maxSockets: options.concurrency }),
  };
  try {
    await checkEndpoint(agents.direct, direct, migrations);
    await checkEndpoint(agents.dispatcher, dispatcher, migrations);
    const results: DispatchBenchResult[] = [];
    for (const scenario of SCENARIOS) {
      for (const endpoint of [direct, dispatcher]) {
        await runBatch(
          options.warmup,
          options.concurrency,
          () => send(agents[endpoint.label], endpoint, scenario.path),
          scenario.status,
        );
      }
      const perRound = Math.ceil(options.requests / options.rounds);
      const batches: Record<Endpoint["label"], Batch[]> = { direct: [], dispatcher: [] };
      for (let round = 0; round < options.rounds; round += 1) {
        // A B, B A, A B...: neither target always runs first (or right after the other).
        const order = round % 2 === 0 ? [direct, dispatcher] : [dispatcher, direct];
        for (const endpoint of order) {
          batches[endpoint.label].push(
            await runBatch(
              perRound,
              options.concurrency,
              () => send(agents[endpoint.label], endpoint, scenario.path),
              scenario.status,
            ),
          );
        }
      }
      results.push(compare(scenario, options, summarise(batches.direct), summarise(batches.dispatcher)));
    }
    return results;
  } finally {
    agents.direct.destroy();
    agents.dispatcher.destroy();
    await mf.dispose();
  }
}

function compare(
  scenario: Scenario,
  options: Omit<Options, "json">,
  direct: Summary,
  dispatcher: Summary,
): DispatchBenchResult {
  const addedCostPct = (direct.perSec / dispatcher.perSec - 1) * 100;
  const addedP99Ms = dispatcher.p99Ms - direct.p99Ms;
  return {
    scenario: scenario.description,
    config: { ...options, path: scenario.path, tenantHost: TENANT_HOST },
    direct,
    dispatcher,
    throughputRatio: dispatcher.perSec / direct.perSec,
    addedCostPct,
    addedP50Ms: dispatcher.p50Ms - direct.p50Ms,
    addedP99Ms,
    targets: TARGETS,
    meetsTargets: { cost: addedCostPct <= TARGETS.maxAddedCostPct, p99: addedP99Ms < TARGETS.maxAddedP99Ms },
  };
}

/**
 * Seconds to onboard one tenant locally (issue 2, section 7, second half; target under 3 s
 * including the Worker build): a fresh local platform on free ports and a new state dir, then
 * the operator's command, `npm run tenant -- create ...` (a real child process: Node and tsx
 * start-up, the template build, every API call, workerd picking up the new Worker), timed until
 * the tenant's first healthy `/health` through the dispatcher by its custom hostname.
 */
async function measureOnboarding(): Promise<OnboardingResult> {
  const stateDir = mkdtempSync(join(tmpdir(), "wfp-bench-onboard-"));
  const platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir });
  try {
    const host = "registry.onboard.localhost";
    const started = performance.now();
    // Asynchronous on purpose: the platform answering the command's API calls lives in this process.
    const cli = await execFileAsync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(REPO_ROOT, "scripts/tenant.ts"),
        "create",
        "onboard",
        "--domain",
        host,
        "--residency",
        "eu",
        "--json",
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, CLOUDFLARE_API_BASE_URL: platform.apiUrl, CLOUDFLARE_API_TOKEN: "" },
        encoding: "utf8",
      },
    ).catch((error: { code?: number; stderr?: string }) => {
      throw new Error(`tenant create failed (exit ${error.code}): ${error.stderr}`);
    });
    const cliSeconds = (performance.now() - started) / 1000;
    const url = new URL(platform.trafficUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: "/health", headers: { host } }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      req.end();
    });
    const seconds = (performance.now() - started) / 1000;
    if (status !== 200) throw new Error(`the new tenant answered ${status} on /health`);
    const report = JSON.parse(cli.stdout) as { steps?: Array<{ step: string; ms?: number }> };
    return { seconds, cliSeconds, targetSeconds: 3, steps: report.steps?.length ?? 0 };
  } finally {
    await platform.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const verdict = (ok: boolean) => (ok ? "meets target" : "MISSES target");

function printReport(results: DispatchBenchResult[], onboarding: OnboardingResult | null): void {
  const row = (label: string, s: Summary) =>
    `    ${label.padEnd(11)} ${s.perSec.toFixed(0).padStart(7)} req/s   p50 ${ms(s.p50Ms).padStart(9)}` +
    `   p99 ${ms(s.p99Ms).padStart(9)}   errors ${s.errors}`;
  const first = results[0];
  const lines: string[] = [];
  if (first !== undefined) {
    const { requests, rounds, warmup } = first.config;
    lines.push(
      `bench:dispatch  ${requests} requests per target, scenario and concurrency, ` +
        `${rounds} interleaved rounds, ${warmup} warm-up; tenant host ${first.config.tenantHost}; ` +
        `rate limits ${first.config.limits === "shared" ? "across isolates (RATE_LIMITS)" : "per isolate"}`,
    );
  }
  for (const result of results) {
    lines.push(
      `  ${result.scenario}, concurrency ${result.config.concurrency}`,
      row("direct", result.direct),
      row("dispatcher", result.dispatcher),
      `    throughput ratio (dispatcher / direct) ${result.throughputRatio.toFixed(3)}; ` +
        `added cost ${result.addedCostPct.toFixed(1)}% ` +
        `(target <= ${TARGETS.maxAddedCostPct}%: ${verdict(result.meetsTargets.cost)})`,
      `    added latency p50 ${ms(result.addedP50Ms)}, p99 ${ms(result.addedP99Ms)} ` +
        `(target p99 < ${TARGETS.maxAddedP99Ms} ms: ${verdict(result.meetsTargets.p99)})`,
    );
  }
  lines.push(
    onboarding === null
      ? "onboard one tenant: not measured yet (see measureOnboarding in scripts/bench-dispatch.ts)"
      : `onboard one tenant: ${onboarding.seconds.toFixed(2)} s from 'npm run tenant -- create' ` +
          `to its first healthy /health ` +
          `(the command itself ${onboarding.cliSeconds.toFixed(2)} s, ${onboarding.steps} steps; ` +
          `target < ${onboarding.targetSeconds} s: ${verdict(onboarding.seconds < onboarding.targetSeconds)})`,
  );
  console.log(lines.join("\n"));
}

async function main(): Promise<void> {
  const { json, concurrency, ...options } = parseOptions();
  // `dispatch`: the measurement (/health) at each concurrency; `overhead`: the same against an empty response.
  const dispatch: DispatchBenchResult[] = [];
  const overhead: DispatchBenchResult[] = [];
  for (const c of concurrency) {
    const [health, ...stricter] = await benchDispatch({ ...options, concurrency: c });
    if (health === undefined) throw new Error("no scenario ran");
    dispatch.push(health);
    overhead.push(...stricter);
  }
  const onboarding = await measureOnboarding();
  if (json) console.log(JSON.stringify({ dispatch, overhead, onboarding }));
  else printReport([...dispatch, ...overhead], onboarding);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
