/**
 * `npm run bench:ratelimit [-- --json] [--plan N] [--seconds S] [--concurrency C] [--latency-plan N]
 *   [--latency-requests N] [--rounds R]`
 *
 * Rate limits across isolates (issue 15, part 3), in one run against one Miniflare configuration:
 * four copies of the dispatcher, each a Worker of its own and so an isolate of its own, each on its
 * own workerd socket, all bound to the `RateLimitCounter` class the first exports (as every
 * isolate of the dispatcher script shares its objects on Cloudflare); and four more copies without
 * the RATE_LIMITS binding, which count per isolate as the dispatcher did before (and as it does
 * when its object fails). The tenant behind them is a tiny Worker, so the load is the dispatcher's.
 *
 * 1. Over-admission: one client per isolate, `--concurrency` in flight each, sends to one tenant
 *    with a plan of `--plan` requests per minute for `--seconds`, inside one minute window (the
 *    bench waits for the next window when too little of the current one is left). admitted / plan
 *    is judged against 1.05; the same load on the per-isolate copies shows what the shared counter
 *    prevents.
 * 2. Latency: a tenant whose plan (`--latency-plan`) the run never exhausts, so every request is
 *    admitted and every isolate reports to the object as it goes; the shared and the per-isolate
 *    copies alternate in rounds (A B, B A, ...), and their throughput and p50 / p99 are compared.
 *    bench:dispatch, whose dispatcher has the binding, judges the 10% budget against a direct call.
 */
import { Agent, request as httpRequest } from "node:http";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Miniflare, type WorkerOptions } from "miniflare";
import { allowanceOf } from "../dispatcher/src/shared-rate-limiter.ts";
import { intOption } from "./lib/int-option.ts";
import { type Batch, type LoadSummary, runBatch, summarise } from "./lib/load-batch.ts";
import { staticTenantHost } from "./lib/static-tenant-host.ts";
import { bundleLocalDispatcher } from "./lib/worker-bundles.ts";

const COMPATIBILITY_DATE = "2026-06-01";
const ISOLATES = 4;
const PROOF = "bench-ratelimit-proof-0123456789abcdefghijklmnopqrs";
const WINDOW_MS = 60_000;
const TARGET_MAX_RATIO = 1.05;

interface Options {
  plan: number;
  seconds: number;
  concurrency: number;
  latencyPlan: number;
  latencyRequests: number;
  rounds: number;
  json: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      plan: { type: "string", default: "1200" },
      seconds: { type: "string", default: "10" },
      concurrency: { type: "string", default: "4" },
      "latency-plan": { type: "string", default: "200000" },
      "latency-requests": { type: "string", default: "6000" },
      rounds: { type: "string", default: "10" },
    },
  });
  return {
    json: values.json,
    plan: intOption("plan", values.plan, 10, 10_000_000),
    seconds: intOption("seconds", values.seconds, 1, 40),
    concurrency: intOption("concurrency", values.concurrency, 1, 64),
    latencyPlan: intOption("latency-plan", values["latency-plan"], 10, 100_000_000),
    latencyRequests: intOption("latency-requests", values["latency-requests"], 100, 1_000_000),
    rounds: intOption("rounds", values.rounds, 2, 100),
  };
}

interface Copy {
  name: string;
  port: number;
  agent: Agent;
}

async function startCopies(
  concurrency: number,
): Promise<{ mf: Miniflare; shared: Copy[]; local: Copy[]; seed: (id: string, plan: number) => Promise<string> }> {
  const dispatcher = await bundleLocalDispatcher();
  const host = staticTenantHost({ "tenant-echo": "tenant-echo" }, COMPATIBILITY_DATE);
  const copy = (name: string, counters: WorkerOptions["durableObjects"]): WorkerOptions => ({
    name,
    modules: true,
    script: dispatcher,
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: { ROUTES: "wfp-routes" },
    ...(counters === undefined ? {} : { durableObjects: counters }),
    bindings: { PLATFORM_HOSTS: "localhost,127.0.0.1" },
    serviceBindings: host.dispatcherBindings,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  const sharedNames = Array.from({ length: ISOLATES }, (_, i) => `shared-${i}`);
  const localNames = Array.from({ length: ISOLATES }, (_, i) => `per-isolate-${i}`);
  const mf = new Miniflare({
    workers: [
      ...sharedNames.map((name, i) =>
        copy(name, {
          RATE_LIMITS: {
            className: "RateLimitCounter",
            useSQLite: true,
            ...(i === 0 ? {} : { scriptName: sharedNames[0] }),
          },
        }),
      ),
      ...localNames.map((name) => copy(name, undefined)),
      host.worker,
      {
        name: "tenant-echo",
        modules: true,
        compatibilityDate: COMPATIBILITY_DATE,
        script: `export default { fetch: () => new Response("ok") };`,
      },
    ],
  });
  await mf.ready;
  const toCopy = async (name: string): Promise<Copy> => ({
    name,
    port: Number((await mf.unsafeGetDirectURL(name)).port),
    agent: new Agent({ keepAlive: true, maxSockets: concurrency }),
  });
  const routes = await mf.getKVNamespace("ROUTES", sharedNames[0]);
  const seed = async (tenantId: string, plan: number): Promise<string> => {
    const hostname = `${tenantId}.bench.localhost`;
    await routes.put(
      `host:${hostname}`,
      JSON.stringify({
        tenantId,
        script: "tenant-echo",
        status: "active",
        plan: "standard",
        proof: PROOF,
        rateLimit: { requestsPerMinute: plan, keyRequestsPerMinute: plan },
        updatedAt: new Date().toISOString(),
      }),
    );
    return hostname;
  };
  return {
    mf,
    shared: await Promise.all(sharedNames.map(toCopy)),
    local: await Promise.all(localNames.map(toCopy)),
    seed,
  };
}

function send(copy: Copy, hostname: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { agent: copy.agent, host: "127.0.0.1", port: copy.port, path: "/api/bench", headers: { host: hostname } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
        res.on("error", reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`request to ${copy.name} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

const windowOf = (now: number) => Math.floor(now / WINDOW_MS);

/** Waits, when needed, so that `seconds` (plus a margin) fit in what is left of the current window. */
async function roomInWindow(seconds: number): Promise<void> {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < seconds * 1000 + 3_000) await new Promise((resolve) => setTimeout(resolve, left + 200));
}

export interface OverAdmission {
  copies: "shared" | "per-isolate";
  plan: number;
  sent: number;
  admitted: number;
  refused: number;
  errors: number;
  /** admitted / plan: what the four isolates together let through in one window. */
  ratio: number;
  /** The bound the design gives: (plan + 4 allowances) / plan; none per isolate. */
  bound: number | null;
  requestsPerSec: number;
}

/** `seconds` of load from one client per copy, within one window, on a tenant of its own. */
async function overAdmission(
  copies: Copy[],
  label: OverAdmission["copies"],
  hostname: string,
  plan: number,
  options: Options,
): Promise<OverAdmission> {
  await roomInWindow(options.seconds);
  const window = windowOf(Date.now());
  const deadline = performance.now() + options.seconds * 1000;
  let admitted = 0;
  let refused = 0;
  let errors = 0;
  const lane = async (copy: Copy) => {
    while (performance.now() < deadline) {
      try {
        const { status } = await send(copy, hostname);
        if (status === 200) admitted += 1;
        else if (status === 429) refused += 1;
        else errors += 1;
      } catch {
        errors += 1;
      }
    }
  };
  const started = performance.now();
  await Promise.all(copies.flatMap((copy) => Array.from({ length: options.concurrency }, () => lane(copy))));
  const elapsed = (performance.now() - started) / 1000;
  if (windowOf(Date.now()) !== window) throw new Error("the load crossed a window boundary; run again");
  const sent = admitted + refused + errors;
  return {
    copies: label,
    plan,
    sent,
    admitted,
    refused,
    errors,
    ratio: admitted / plan,
    bound: label === "shared" ? (plan + ISOLATES * allowanceOf(plan)) / plan : null,
    requestsPerSec: sent / elapsed,
  };
}

export interface LatencyComparison {
  plan: number;
  requestsPerRound: number;
  rounds: number;
  concurrencyPerIsolate: number;
  shared: LoadSummary;
  perIsolate: LoadSummary;
  /** shared req/s / per-isolate req/s. */
  throughputRatio: number;
  addedCostPct: number;
  addedP50Ms: number;
  addedP99Ms: number;
}

/** The same admitted load through the shared and the per-isolate copies, alternating in rounds. */
async function latency(shared: Copy[], local: Copy[], hostname: string, options: Options): Promise<LatencyComparison> {
  const batch = (copies: Copy[], count: number) =>
    runBatch(count, copies.length * options.concurrency, (i) => send(copies[i % copies.length]!, hostname));
  await batch(shared, 400);
  await batch(local, 400);
  const perRound = Math.ceil(options.latencyRequests / options.rounds);
  const batches: { shared: Batch[]; local: Batch[] } = { shared: [], local: [] };
  for (let round = 0; round < options.rounds; round += 1) {
    const order = round % 2 === 0 ? (["shared", "local"] as const) : (["local", "shared"] as const);
    for (const which of order) batches[which].push(await batch(which === "shared" ? shared : local, perRound));
  }
  const s = summarise(batches.shared);
  const l = summarise(batches.local);
  return {
    plan: options.latencyPlan,
    requestsPerRound: perRound,
    rounds: options.rounds,
    concurrencyPerIsolate: options.concurrency,
    shared: s,
    perIsolate: l,
    throughputRatio: s.perSec / l.perSec,
    addedCostPct: (l.perSec / s.perSec - 1) * 100,
    addedP50Ms: s.p50Ms - l.p50Ms,
    addedP99Ms: s.p99Ms - l.p99Ms,
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const { mf, shared, local, seed } = await startCopies(options.concurrency);
  try {
    const run = `${process.pid}-${Date.now().toString(36)}`;
    const over = [
      await overAdmission(shared, "shared", await seed(`over-shared-${run}`, options.plan), options.plan, options),
      await overAdmission(local, "per-isolate", await seed(`over-local-${run}`, options.plan), options.plan, options),
    ];
    // Latency: a plan the run never exhausts (every request admitted), both copies in one window.
    const latencyHost = await seed(`latency-${run}`, options.latencyPlan);
    const compared = await latency(shared, local, latencyHost, options);
    const result = { isolates: ISOLATES, overAdmission: over, latency: compared, target: TARGET_MAX_RATIO };
    if (options.json) console.log(JSON.stringify(result));
    else print(over, compared);
    const sharedRun = over[0]!;
    if (sharedRun.ratio > TARGET_MAX_RATIO || sharedRun.sent < options.plan * 1.5) process.exitCode = 1;
  } finally {
    for (const copy of [...shared, ...local]) copy.agent.destroy();
    await mf.dispose();
  }
}

function print(over: OverAdmission[], compared: LatencyComparison): void {
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const lines = [`bench:ratelimit  ${ISOLATES} dispatcher isolates (one Worker each, own socket), one window each`];
  for (const o of over) {
    lines.push(
      `  ${o.copies.padEnd(11)} plan ${o.plan}/min: sent ${o.sent} (${o.requestsPerSec.toFixed(0)} req/s), ` +
        `admitted ${o.admitted}, refused ${o.refused}, errors ${o.errors}; admitted / plan ${o.ratio.toFixed(3)}` +
        (o.bound === null
          ? " (each isolate counts alone)"
          : ` (design bound ${o.bound.toFixed(3)}; target <= ${TARGET_MAX_RATIO}: ` +
            `${o.ratio <= TARGET_MAX_RATIO ? "meets target" : "MISSES target"})`),
    );
  }
  const row = (label: string, s: LoadSummary) =>
    `    ${label.padEnd(11)} ${s.perSec.toFixed(0).padStart(7)} req/s   p50 ${ms(s.p50Ms).padStart(9)}` +
    `   p99 ${ms(s.p99Ms).padStart(9)}   errors ${s.errors}`;
  lines.push(
    `  latency, plan ${compared.plan}/min never exhausted, ${compared.rounds} interleaved rounds of ` +
      `${compared.requestsPerRound}, ${compared.concurrencyPerIsolate} in flight per isolate`,
    row("shared", compared.shared),
    row("per-isolate", compared.perIsolate),
    `    throughput ratio (shared / per-isolate) ${compared.throughputRatio.toFixed(3)}; added cost ` +
      `${compared.addedCostPct.toFixed(1)}%; added p50 ${ms(compared.addedP50Ms)}, p99 ${ms(compared.addedP99Ms)}`,
  );
  console.log(lines.join("\n"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
