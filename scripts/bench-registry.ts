/**
 * `npm run bench:registry [-- --json] [--requests N] [--concurrency C[,C...]] [--rounds R] [--warmup W]
 *   [--registrations N] [--fields F] [--versions V] [--reps K] [--webhook-registrations N]`
 *
 * The Confluent API's costs, measured in one run on one local platform (real workerd, real D1,
 * real HTTP, the dispatcher in front of everything, every request carrying the tenant's admin key):
 *
 * 1. Reads: `GET /schemas/ids/{id}` on a tenant provisioned by `tenant create`, against a
 *    hello-world Worker uploaded to the same dispatch namespace and routed like a tenant (a copy of
 *    the tenant's route record: same plan, limits, proof and rate limits). Both are reached by
 *    hostname on the traffic port, so both pay the dispatcher (host lookup, rate limiter, one more
 *    hop); the difference is the tenant's own work (API key check, D1 read). Interleaved rounds
 *    (A B, B A, ...) at each concurrency; req/s, p50, p99 and the ratio (target: the registry at
 *    least 50% of hello-world's throughput).
 * 2. Registration throughput: `POST /subjects/{s}/versions` of distinct schemas, each to a new
 *    subject, one at a time and with 4 in flight; then the same number one at a time into ONE
 *    subject (each version adds a field), for how a registration's cost grows with its subject's
 *    versions: the platform's CPU per registration over the first and the last quarter.
 * 3. Compatibility: a 500-field Avro record (a candidate adding a field with a default) checked
 *    with `POST /compatibility/subjects/{s}/versions/latest` over HTTP and by the engine alone
 *    (in this process: parse + checkCompatibility); then a subject with 100 such versions under
 *    FULL_TRANSITIVE, checked with `POST /compatibility/subjects/{s}/versions` (every version)
 *    over HTTP and by the engine alone.
 *
 * 4. Webhooks (docs/webhooks.md): registrations with 4 in flight into new subjects, with no
 *    webhook and with one (a receiver in this process answering 200), in interleaved rounds
 *    (none, one, one, none). With a webhook, a round's CPU runs until every delivery of it has
 *    arrived, so it includes the pumps and the deliveries. Reported: the throughput and CPU ratios
 *    (what a webhook costs the write path) and each event's lag from the registration's answer to
 *    its arrival (p50, p99).
 *
 * The tenant's rate limits are raised in its route record (and the copy's) for the run: the plan's
 * per-key limit (at most 500 req/s) would otherwise be what is measured.
 *
 * Beside each throughput, the CPU per request of the platform's processes (workerd) and of this
 * one (the load client), from /proc (lib/process-cpu.ts): on 2 cores shared with the client and
 * other work, throughput moves with the machine's load, CPU per request far less. From them: the
 * id read's CPU ratio to hello-world, and the registrations a second 2 cores of its own would
 * carry (2,000 ms over the platform's CPU per registration with 4 in flight).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { LocalPlatform } from "../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "./lib/initialised-platform.ts";
import { runTenantCli } from "../provisioner/src/tenant-cli.ts";
import { avroCompatibility } from "../tenant-template/src/compat/avro-compatibility.ts";
import { checkCompatibility, type CompatibilityLevel } from "../tenant-template/src/compat/compatibility.ts";
import { validateSpecification } from "../tenant-template/src/spec/validate-specification.ts";
import { intOption } from "./lib/int-option.ts";
import { percentile, runBatch, summarise, type Batch, type LoadSummary } from "./lib/load-batch.ts";
import { cpuSpent, processCpu, type ProcessCpu } from "./lib/process-cpu.ts";

export type Summary = LoadSummary;

const TENANT_ID = "benchreg";
const TENANT_HOST = "registry.benchreg.localhost";
const HELLO_SCRIPT = "bench-hello-world";
const HELLO_HOST = "hello.benchreg.localhost";
const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
const TARGET_RATIO = 0.5;
/** Far above anything one machine can send: the limiter still runs, it just never refuses. */
const BENCH_RATE_LIMIT = { requestsPerMinute: 100_000_000, keyRequestsPerMinute: 100_000_000 };

const HELLO_WORLD =
  `export default { fetch() { ` +
  `return new Response("hello world", { headers: { "content-type": "text/plain" } }); } };\n`;

interface Options {
  requests: number;
  concurrency: number[];
  rounds: number;
  warmup: number;
  registrations: number;
  fields: number;
  versions: number;
  reps: number;
  webhookRegistrations: number;
  json: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      requests: { type: "string", default: "4000" },
      concurrency: { type: "string", default: "1,4" },
      rounds: { type: "string", default: "8" },
      warmup: { type: "string", default: "300" },
      registrations: { type: "string", default: "300" },
      fields: { type: "string", default: "500" },
      versions: { type: "string", default: "100" },
      reps: { type: "string", default: "20" },
      "webhook-registrations": { type: "string", default: "200" },
    },
  });
  return {
    json: values.json,
    requests: intOption("requests", values.requests, 20, 200_000),
    concurrency: values.concurrency.split(",").map((c) => intOption("concurrency", c.trim(), 1, 64)),
    rounds: intOption("rounds", values.rounds, 2, 100),
    warmup: intOption("warmup", values.warmup, 0, 50_000),
    registrations: intOption("registrations", values.registrations, 4, 20_000),
    fields: intOption("fields", values.fields, 2, 5_000),
    versions: intOption("versions", values.versions, 2, 1_000),
    reps: intOption("reps", values.reps, 1, 1_000),
    webhookRegistrations: intOption("webhook-registrations", values["webhook-registrations"], 4, 20_000),
  };
}

const progress = (text: string) => process.stderr.write(`${text}\n`);

// --- HTTP ---------------------------------------------------------------------------------------

interface Target {
  label: string;
  host: string;
  port: number;
  headers: Record<string, string>;
}

interface Reply {
  status: number;
  body: string;
}

function send(agent: Agent, target: Target, method: string, path: string, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        host: "127.0.0.1",
        port: target.port,
        method,
        path,
        headers: {
          host: target.host,
          ...target.headers,
          // The Confluent API's media type, or JSON for /api (the webhooks).
          ...(payload === undefined
            ? {}
            : { "content-type": path.startsWith("/api/") ? "application/json" : CONTENT_TYPE }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path} on ${target.label} timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}

async function expectOk(
  agent: Agent,
  target: Target,
  method: string,
  path: string,
  body?: unknown,
  status = 200,
): Promise<Reply> {
  const reply = await send(agent, target, method, path, body);
  if (reply.status !== status)
    throw new Error(`${method} ${path} on ${target.label} answered ${reply.status}: ${reply.body.slice(0, 300)}`);
  return reply;
}

// --- Set-up -------------------------------------------------------------------------------------

interface Bench {
  platform: LocalPlatform;
  stateDir: string;
  registry: Target;
  hello: Target;
}

async function kvValue(platform: LocalPlatform, key: string): Promise<unknown> {
  const res = await fetch(
    `${platform.apiUrl}/accounts/${platform.accountId}/storage/kv/namespaces/${platform.routesNamespaceId}` +
      `/values/${encodeURIComponent(key)}`,
  );
  if (!res.ok) throw new Error(`reading ${key}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function putRoute(platform: LocalPlatform, host: string, record: Record<string, unknown>): Promise<void> {
  const form = new FormData();
  form.append("value", JSON.stringify(record));
  form.append("metadata", JSON.stringify({ tenantId: record.tenantId }));
  const res = await fetch(
    `${platform.apiUrl}/accounts/${platform.accountId}/storage/kv/namespaces/${platform.routesNamespaceId}` +
      `/values/${encodeURIComponent(`host:${host}`)}`,
    {
      method: "PUT",
      body: form,
    },
  );
  if (!res.ok) throw new Error(`writing the route of ${host}: ${res.status} ${await res.text()}`);
}

/** The hello-world Worker, uploaded like any user Worker (Cloudflare's multipart upload). */
async function uploadHelloWorld(platform: LocalPlatform): Promise<void> {
  const form = new FormData();
  form.append(
    "metadata",
    new Blob([JSON.stringify({ main_module: "hello.mjs", compatibility_date: "2026-06-01" })], {
      type: "application/json",
    }),
    "metadata.json",
  );
  form.append("hello.mjs", new File([HELLO_WORLD], "hello.mjs", { type: "application/javascript+module" }));
  const res = await fetch(
    `${platform.apiUrl}/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}` +
      `/scripts/${HELLO_SCRIPT}`,
    { method: "PUT", body: form },
  );
  if (!res.ok) throw new Error(`uploading the hello-world Worker: ${res.status} ${await res.text()}`);
}

async function setUp(): Promise<Bench> {
  const stateDir = mkdtempSync(join(tmpdir(), "wfp-bench-registry-"));
  const platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 0 });
  try {
    progress(`tenant create ${TENANT_ID} --domain ${TENANT_HOST} --plan pro`);
    let stdout = "";
    const code = await runTenantCli(
      ["create", TENANT_ID, "--domain", TENANT_HOST, "--residency", "global", "--plan", "pro", "--json"],
      {
        stdout: (text) => (stdout += text),
        stderr: () => {},
        env: { CLOUDFLARE_API_BASE_URL: platform.apiUrl },
      },
    );
    if (code !== 0) throw new Error(`tenant create exited ${code}: ${stdout}`);
    const { adminKey } = JSON.parse(stdout) as { adminKey?: string };
    if (adminKey === undefined) throw new Error("tenant create printed no admin key");

    const tenantRoute = (await kvValue(platform, `host:${TENANT_HOST}`)) as Record<string, unknown>;
    await putRoute(platform, TENANT_HOST, { ...tenantRoute, rateLimit: BENCH_RATE_LIMIT });
    await uploadHelloWorld(platform);
    await putRoute(platform, HELLO_HOST, {
      ...tenantRoute,
      tenantId: "bench-hello",
      script: HELLO_SCRIPT,
      rateLimit: BENCH_RATE_LIMIT,
    });

    const port = Number(new URL(platform.trafficUrl).port);
    const headers = { authorization: `Bearer ${adminKey}` };
    return {
      platform,
      stateDir,
      registry: { label: "registry", host: TENANT_HOST, port, headers },
      hello: { label: "hello-world", host: HELLO_HOST, port, headers },
    };
  } catch (error) {
    await platform.close();
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
}

// --- Schemas ------------------------------------------------------------------------------------

const FIELD_TYPES = [
  "string",
  "long",
  "int",
  "double",
  "boolean",
  { type: "array", items: "string" },
  ["null", "string"],
] as const;

/** A record of `fields` fields of mixed types, plus `extra` optional fields (each with a default). */
function wideRecord(name: string, fields: number, extra = 0): string {
  const list: unknown[] = [];
  for (let i = 0; i < fields; i += 1) list.push({ name: `f${i}`, type: FIELD_TYPES[i % FIELD_TYPES.length] });
  for (let i = 0; i < extra; i += 1) list.push({ name: `extra${i}`, type: ["null", "string"], default: null });
  return JSON.stringify({ type: "record", name, namespace: "bench.registry", fields: list });
}

// --- Measurements -------------------------------------------------------------------------------

export interface ReadResult {
  concurrency: number;
  path: string;
  registry: Summary & { cpu: CpuPerRequest | null };
  helloWorld: Summary & { cpu: CpuPerRequest | null };
  /** registry req/s divided by hello-world req/s. */
  ratio: number;
  /**
   * hello-world's CPU per request (platform and client) divided by the registry's: the throughput
   * ratio on cores shared by nothing else, which moves far less with the machine's load.
   */
  cpuRatio: number | null;
  target: number;
  meetsTarget: boolean;
}

async function measureReads(bench: Bench, options: Omit<Options, "json">): Promise<ReadResult[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(...options.concurrency) });
  try {
    const schema = JSON.stringify({
      type: "record",
      name: "OrderPlaced",
      namespace: "com.acme",
      fields: [
        { name: "id", type: "string" },
        { name: "amount", type: "long" },
      ],
    });
    const { id } = JSON.parse(
      (await expectOk(agent, bench.registry, "POST", "/subjects/bench-orders-value/versions", { schema })).body,
    ) as { id: number };
    const path = `/schemas/ids/${id}`;
    const read = await expectOk(agent, bench.registry, "GET", path);
    if ((JSON.parse(read.body) as { schema?: string }).schema !== schema)
      throw new Error(`${path} did not answer the registered schema: ${read.body}`);
    const hello = await expectOk(agent, bench.hello, "GET", "/");
    if (hello.body !== "hello world") throw new Error(`the hello-world Worker answered ${hello.body}`);

    const results: ReadResult[] = [];
    for (const concurrency of options.concurrency) {
      progress(
        `reads at concurrency ${concurrency}: ${options.requests} per target in ${options.rounds} interleaved rounds`,
      );
      const targets = [
        { target: bench.registry, path },
        { target: bench.hello, path: "/" },
      ];
      for (const { target, path: p } of targets)
        await runBatch(options.warmup, concurrency, () => send(agent, target, "GET", p));
      const batches: Batch[][] = [[], []];
      const cpu = [
        { selfMs: 0, childrenMs: 0 },
        { selfMs: 0, childrenMs: 0 },
      ];
      let cpuKnown = true;
      const perRound = Math.ceil(options.requests / options.rounds);
      for (let round = 0; round < options.rounds; round += 1) {
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        for (const index of order) {
          const { target, path: p } = targets[index]!;
          const before = processCpu();
          batches[index]!.push(await runBatch(perRound, concurrency, () => send(agent, target, "GET", p)));
          const spent = cpuSpent(before, processCpu());
          if (spent === null) cpuKnown = false;
          else {
            cpu[index]!.selfMs += spent.selfMs;
            cpu[index]!.childrenMs += spent.childrenMs;
          }
        }
      }
      const registry = summarise(batches[0]!);
      const helloWorld = summarise(batches[1]!);
      const ratio = registry.perSec / helloWorld.perSec;
      const registryCpu = cpuKnown ? perRequest(cpu[0]!, registry.requests) : null;
      const helloCpu = cpuKnown ? perRequest(cpu[1]!, helloWorld.requests) : null;
      results.push({
        concurrency,
        path: "/schemas/ids/{id}",
        registry: { ...registry, cpu: registryCpu },
        helloWorld: { ...helloWorld, cpu: helloCpu },
        ratio,
        cpuRatio:
          registryCpu === null || helloCpu === null
            ? null
            : (helloCpu.platformMs + helloCpu.clientMs) / (registryCpu.platformMs + registryCpu.clientMs),
        target: TARGET_RATIO,
        meetsTarget: ratio >= TARGET_RATIO && registry.errors === 0,
      });
    }
    return results;
  } finally {
    agent.destroy();
  }
}

/**
 * CPU per request, in milliseconds: the platform's processes (workerd: dispatcher, tenant, D1) and
 * this Node process (the load client). Null where /proc cannot be read.
 */
export interface CpuPerRequest {
  platformMs: number;
  clientMs: number;
}

function perRequest(spent: ProcessCpu | null, requests: number): CpuPerRequest | null {
  return spent === null ? null : { platformMs: spent.childrenMs / requests, clientMs: spent.selfMs / requests };
}

export interface RegistrationResult {
  sequential: Summary & { cpu: CpuPerRequest | null };
  concurrent: Summary & { concurrency: number; cpu: CpuPerRequest | null };
  /**
   * Registrations a second the platform could carry on 2 cores of its own (2,000 ms of CPU a
   * second over the platform's CPU per registration with 4 in flight): what the throughput
   * would be if the load client and other work did not share the cores.
   */
  twoCoreCapacity: number | null;
  /** Into one subject, one at a time: throughput, and CPU per registration early and late. */
  oneSubject: Summary & { firstQuarterCpu: CpuPerRequest | null; lastQuarterCpu: CpuPerRequest | null };
}

async function measureRegistrations(bench: Bench, options: Omit<Options, "json">): Promise<RegistrationResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    // Distinct schemas (a distinct record name and field each), each into a new subject, as new topics appear.
    const register = (prefix: string) => (i: number) =>
      send(agent, bench.registry, "POST", `/subjects/${prefix}-${i}-value/versions`, {
        schema: JSON.stringify({
          type: "record",
          name: `Event${prefix}${i}`,
          namespace: "bench.registrations",
          fields: [
            { name: "id", type: "string" },
            { name: `n${i}`, type: "long" },
          ],
        }),
      });
    progress(`registrations: ${options.registrations} one at a time, then ${options.registrations} with 4 in flight`);
    const cpu0 = processCpu();
    const sequential = summarise([await runBatch(options.registrations, 1, register("seq"))]);
    const cpu1 = processCpu();
    const concurrent = summarise([await runBatch(options.registrations, 4, register("conc"))]);
    const cpu2 = processCpu();
    const concurrentCpu = perRequest(cpuSpent(cpu1, cpu2), options.registrations);
    // One subject, each version a backward-compatible step (an optional field more).
    progress(`registrations: ${options.registrations} one at a time into one subject`);
    const quarter = Math.max(1, Math.floor(options.registrations / 4));
    const version = (i: number) =>
      send(agent, bench.registry, "POST", "/subjects/bench-growing-value/versions", {
        schema: JSON.stringify({
          type: "record",
          name: "Growing",
          namespace: "bench.registrations",
          fields: Array.from({ length: i + 1 }, (_, f) => ({
            name: `f${f}`,
            type: ["null", "string"],
            default: null,
          })),
        }),
      });
    const batches: Batch[] = [];
    const quarterCpu: (CpuPerRequest | null)[] = [];
    for (let start = 0; start < options.registrations; start += quarter) {
      const count = Math.min(quarter, options.registrations - start);
      const before = processCpu();
      batches.push(await runBatch(count, 1, (i) => version(start + i)));
      quarterCpu.push(perRequest(cpuSpent(before, processCpu()), count));
    }
    return {
      sequential: { ...sequential, cpu: perRequest(cpuSpent(cpu0, cpu1), options.registrations) },
      concurrent: { ...concurrent, concurrency: 4, cpu: concurrentCpu },
      twoCoreCapacity: concurrentCpu === null ? null : 2000 / concurrentCpu.platformMs,
      oneSubject: {
        ...summarise(batches),
        firstQuarterCpu: quarterCpu[0] ?? null,
        lastQuarterCpu: quarterCpu.at(-1) ?? null,
      },
    };
  } finally {
    agent.destroy();
  }
}

export interface Timing {
  reps: number;
  meanMs: number;
  p50Ms: number;
  maxMs: number;
}

function timing(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    reps: samples.length,
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
    p50Ms: percentile(sorted, 50),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

export interface CompatResult {
  fields: number;
  schemaBytes: number;
  /** POST /compatibility/subjects/{s}/versions/latest: the round trip through the dispatcher. */
  http: Timing;
  /** In this process: parse both texts + checkCompatibility (no I/O). */
  engineWithParse: Timing;
  /** checkCompatibility alone, on parsed schemas. */
  engine: Timing;
}

export interface HistoryResult extends CompatResult {
  versions: number;
  level: CompatibilityLevel;
}

function timeEngine(
  reps: number,
  level: CompatibilityLevel,
  candidateText: string,
  existingTexts: string[],
): { engine: Timing; engineWithParse: Timing } {
  const parse = (text: string) => {
    const result = validateSpecification("AVRO", text);
    if (!result.ok) throw new Error(`bench schema is invalid: ${JSON.stringify(result.errors[0])}`);
    return result.parsed;
  };
  const candidate = parse(candidateText);
  const existing = existingTexts.map((text, i) => ({ version: i + 1, spec: parse(text) }));
  const first = checkCompatibility(avroCompatibility, level, candidate, existing);
  if (!first.isCompatible) throw new Error(`the engine found the bench candidate incompatible: ${first.messages[0]}`);
  const withParse: number[] = [];
  const alone: number[] = [];
  for (let i = 0; i < reps; i += 1) {
    const t0 = performance.now();
    checkCompatibility(
      avroCompatibility,
      level,
      parse(candidateText),
      existingTexts.map((text, v) => ({ version: v + 1, spec: parse(text) })),
    );
    withParse.push(performance.now() - t0);
    const t1 = performance.now();
    checkCompatibility(avroCompatibility, level, candidate, existing);
    alone.push(performance.now() - t1);
  }
  return { engine: timing(alone), engineWithParse: timing(withParse) };
}

async function timeHttp(agent: Agent, target: Target, reps: number, path: string, schema: string): Promise<Timing> {
  const samples: number[] = [];
  for (let i = 0; i < reps + 1; i += 1) {
    const t0 = performance.now();
    const reply = await expectOk(agent, target, "POST", path, { schema });
    const elapsed = performance.now() - t0;
    if ((JSON.parse(reply.body) as { is_compatible?: boolean }).is_compatible !== true)
      throw new Error(`${path} answered ${reply.body.slice(0, 300)}`);
    if (i > 0) samples.push(elapsed); // the first one warms the isolate's code paths
  }
  return timing(samples);
}

async function measureCompatibility(
  bench: Bench,
  options: Omit<Options, "json">,
): Promise<{ wide: CompatResult; history: HistoryResult }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // 1. One version of a wide record; the candidate adds a field with a default (BACKWARD compatible).
    progress(`compatibility: a ${options.fields}-field record, ${options.reps} checks over HTTP and in the engine`);
    const wideV1 = wideRecord("Wide", options.fields);
    const wideV2 = wideRecord("Wide", options.fields, 1);
    await expectOk(agent, bench.registry, "PUT", "/config/bench-wide-value", { compatibility: "BACKWARD" });
    await expectOk(agent, bench.registry, "POST", "/subjects/bench-wide-value/versions", { schema: wideV1 });
    const wideHttp = await timeHttp(
      agent,
      bench.registry,
      options.reps,
      "/compatibility/subjects/bench-wide-value/versions/latest",
      wideV2,
    );
    const wide: CompatResult = {
      fields: options.fields,
      schemaBytes: wideV2.length,
      http: wideHttp,
      ...timeEngine(options.reps, "BACKWARD", wideV2, [wideV1]),
    };

    // 2. A subject with `versions` versions (version k adds k-1 optional fields: each FULL-compatible
    // with every other), under FULL_TRANSITIVE; the candidate adds one more.
    progress(
      `compatibility: registering ${options.versions} versions of a ${options.fields}-field record ` +
        `under FULL_TRANSITIVE`,
    );
    const texts = Array.from({ length: options.versions }, (_, k) => wideRecord("History", options.fields, k));
    const subject = "bench-history-value";
    await expectOk(agent, bench.registry, "PUT", `/config/${subject}`, { compatibility: "FULL_TRANSITIVE" });
    for (const schema of texts)
      await expectOk(agent, bench.registry, "POST", `/subjects/${subject}/versions`, { schema });
    const count = (
      JSON.parse((await expectOk(agent, bench.registry, "GET", `/subjects/${subject}/versions`)).body) as number[]
    ).length;
    if (count !== options.versions) throw new Error(`${subject} has ${count} versions, expected ${options.versions}`);
    const candidate = wideRecord("History", options.fields, options.versions);
    progress(`compatibility: ${options.reps} FULL_TRANSITIVE checks against ${options.versions} versions`);
    const historyHttp = await timeHttp(
      agent,
      bench.registry,
      options.reps,
      `/compatibility/subjects/${subject}/versions`,
      candidate,
    );
    const history: HistoryResult = {
      fields: options.fields,
      versions: options.versions,
      level: "FULL_TRANSITIVE",
      schemaBytes: candidate.length,
      http: historyHttp,
      ...timeEngine(options.reps, "FULL_TRANSITIVE", candidate, texts),
    };
    return { wide, history };
  } finally {
    agent.destroy();
  }
}

// --- Webhooks -----------------------------------------------------------------------------------

export interface WebhookResult {
  /** Registrations with 4 in flight, no webhook; CPU over the rounds. */
  without: Summary & { cpu: CpuPerRequest | null };
  /** The same with one webhook; CPU until every delivery arrived. */
  with: Summary & { cpu: CpuPerRequest | null };
  /** Throughput with a webhook over throughput without. */
  throughputRatio: number;
  /** Platform CPU per registration with a webhook (deliveries included) over without. */
  cpuRatio: number | null;
  delivered: number;
  /** From a registration's answer to its event's arrival at the receiver. */
  lagP50Ms: number;
  lagP99Ms: number;
}

/** A receiver in this process: the arrival time of each `schema.registered`, by subject. */
async function startArrivals(): Promise<{ url: string; arrivals: Map<string, number>; close(): Promise<void> }> {
  const arrivals = new Map<string, number>();
  const server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const event = JSON.parse(body) as { type: string; data: { subject?: string } };
      if (event.type === "schema.registered" && event.data.subject !== undefined)
        arrivals.set(event.data.subject, performance.now());
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bench`,
    arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function measureWebhooks(bench: Bench, options: Omit<Options, "json">): Promise<WebhookResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const receiver = await startArrivals();
  try {
    const perRound = Math.max(1, Math.floor(options.webhookRegistrations / 2));
    const answered = new Map<string, number>();
    const register = (round: number) => async (i: number) => {
      const subject = `hook-${round}-${i}-value`;
      const reply = await send(agent, bench.registry, "POST", `/subjects/${subject}/versions`, {
        schema: JSON.stringify({
          type: "record",
          name: `Hooked${round}x${i}`,
          namespace: "bench.webhooks",
          fields: [{ name: "id", type: "string" }],
        }),
      });
      answered.set(subject, performance.now());
      return reply;
    };
    const sides = { without: [] as Batch[], with: [] as Batch[] };
    const cpu: Record<"without" | "with", ProcessCpu> = {
      without: { selfMs: 0, childrenMs: 0 },
      with: { selfMs: 0, childrenMs: 0 },
    };
    let cpuKnown = true;
    const order = ["without", "with", "with", "without"] as const;
    for (const [round, side] of order.entries()) {
      progress(`webhooks: round ${round + 1}/4, ${perRound} registrations with 4 in flight, ${side} a webhook`);
      let hookId: string | undefined;
      if (side === "with") {
        const created = await expectOk(
          agent,
          bench.registry,
          "POST",
          "/api/webhooks",
          { url: receiver.url, events: ["schema.registered"] },
          201,
        );
        hookId = (JSON.parse(created.body) as { id: string }).id;
      }
      const before = processCpu();
      sides[side].push(await runBatch(perRound, 4, register(round)));
      if (side === "with") {
        // Until every delivery of the round arrived: the round's cost includes them.
        const deadline = Date.now() + 300_000;
        const expected = Array.from({ length: perRound }, (_, i) => `hook-${round}-${i}-value`);
        while (!expected.every((subject) => receiver.arrivals.has(subject))) {
          if (Date.now() > deadline) throw new Error(`webhooks: round ${round + 1}'s deliveries did not all arrive`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      const spent = cpuSpent(before, processCpu());
      if (spent === null) cpuKnown = false;
      else {
        cpu[side].selfMs += spent.selfMs;
        cpu[side].childrenMs += spent.childrenMs;
      }
      if (hookId !== undefined)
        await expectOk(agent, bench.registry, "DELETE", `/api/webhooks/${hookId}`, undefined, 204);
    }
    const without = summarise(sides.without);
    const withHook = summarise(sides.with);
    const lags = [...receiver.arrivals]
      .map(([subject, at]) => Math.max(0, at - (answered.get(subject) ?? at)))
      .sort((a, b) => a - b);
    const withoutCpu = cpuKnown ? perRequest(cpu.without, without.requests) : null;
    const withCpu = cpuKnown ? perRequest(cpu.with, withHook.requests) : null;
    return {
      without: { ...without, cpu: withoutCpu },
      with: { ...withHook, cpu: withCpu },
      throughputRatio: withHook.perSec / without.perSec,
      cpuRatio: withoutCpu === null || withCpu === null ? null : withCpu.platformMs / withoutCpu.platformMs,
      delivered: receiver.arrivals.size,
      lagP50Ms: percentile(lags, 50),
      lagP99Ms: percentile(lags, 99),
    };
  } finally {
    agent.destroy();
    await receiver.close();
  }
}

// --- Report -------------------------------------------------------------------------------------

export interface RegistryBenchResult {
  config: Omit<Options, "json">;
  reads: ReadResult[];
  registrations: RegistrationResult;
  compatibility: { wide: CompatResult; history: HistoryResult };
  webhooks: WebhookResult;
  durationSeconds: number;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const row = (label: string, s: Summary, unit = "req/s") =>
  `    ${label.padEnd(24)} ${s.perSec.toFixed(0).padStart(6)} ${unit}   p50 ${ms(s.p50Ms).padStart(9)}` +
  `   p99 ${ms(s.p99Ms).padStart(9)}   errors ${s.errors}`;
const cpuText = (cpu: CpuPerRequest) => `platform ${ms(cpu.platformMs)} + client ${ms(cpu.clientMs)}`;
const timingRow = (label: string, t: Timing) =>
  `    ${label.padEnd(36)} mean ${ms(t.meanMs).padStart(9)}   p50 ${ms(t.p50Ms).padStart(9)}` +
  `   max ${ms(t.maxMs).padStart(9)}`;

function reportText(result: RegistryBenchResult): string {
  const { config } = result;
  const lines = [
    `bench:registry  one local platform, tenant ${TENANT_HOST} (plan pro, admin key on every request) ` +
      `vs hello-world at ${HELLO_HOST}`,
  ];
  for (const read of result.reads) {
    lines.push(
      `  GET /schemas/ids/{id} vs hello-world, concurrency ${read.concurrency} ` +
        `(${config.requests} requests each, ${config.rounds} interleaved rounds, ${config.warmup} warm-up)`,
      row("registry", read.registry),
      row("hello-world", read.helloWorld),
      `    ratio ${read.ratio.toFixed(3)} ` +
        `(target >= ${read.target}: ${read.meetsTarget ? "meets target" : "MISSES target"})`,
      ...(read.cpuRatio === null || read.registry.cpu === null || read.helloWorld.cpu === null
        ? []
        : [
            `    CPU per request: registry ${cpuText(read.registry.cpu)}, ` +
              `hello-world ${cpuText(read.helloWorld.cpu)}; ratio ${read.cpuRatio.toFixed(3)}`,
          ]),
    );
  }
  const { sequential, concurrent, oneSubject } = result.registrations;
  lines.push(
    `  POST /subjects/{s}/versions, ${config.registrations} distinct schemas each into a new subject`,
    row("one at a time", sequential, "reg/s"),
    row(`${concurrent.concurrency} in flight`, concurrent, "reg/s"),
    ...(concurrent.cpu === null || result.registrations.twoCoreCapacity === null
      ? []
      : [
          `    CPU per registration (${concurrent.concurrency} in flight): ${cpuText(concurrent.cpu)}; ` +
            `2 cores of its own would carry ${result.registrations.twoCoreCapacity.toFixed(0)} reg/s`,
        ]),
    row("into one subject", oneSubject, "reg/s"),
    ...(oneSubject.firstQuarterCpu === null || oneSubject.lastQuarterCpu === null
      ? []
      : [
          `    CPU per registration into one subject: first quarter ${cpuText(oneSubject.firstQuarterCpu)}, ` +
            `last quarter ${cpuText(oneSubject.lastQuarterCpu)} (${config.registrations} versions at the end)`,
        ]),
  );
  const { wide, history } = result.compatibility;
  lines.push(
    `  compatibility of a ${wide.fields}-field Avro record (${wide.schemaBytes} bytes), ` +
      `BACKWARD against 1 version, ${wide.http.reps} checks`,
    timingRow("HTTP /compatibility/.../versions/latest", wide.http),
    timingRow("engine, parsing both texts", wide.engineWithParse),
    timingRow("engine alone", wide.engine),
    `  compatibility against ${history.versions} versions under ${history.level} ` +
      `(${history.fields}-field records), ${history.http.reps} checks`,
    timingRow("HTTP /compatibility/.../versions", history.http),
    timingRow(`engine, parsing all ${history.versions + 1} texts`, history.engineWithParse),
    timingRow("engine alone", history.engine),
  );
  const hooks = result.webhooks;
  lines.push(
    `  webhooks: ${config.webhookRegistrations} registrations with 4 in flight into new subjects, ` +
      "without and with one webhook (interleaved rounds)",
    row("no webhook", hooks.without, "reg/s"),
    row("one webhook", hooks.with, "reg/s"),
    `    throughput ratio ${hooks.throughputRatio.toFixed(3)}` +
      (hooks.cpuRatio === null || hooks.with.cpu === null || hooks.without.cpu === null
        ? ""
        : `; platform CPU per registration ${ms(hooks.without.cpu.platformMs)} without, ` +
          `${ms(hooks.with.cpu.platformMs)} with (deliveries included): ratio ${hooks.cpuRatio.toFixed(3)}`),
    `    ${hooks.delivered} delivered; lag from the registration's answer to arrival: ` +
      `p50 ${ms(hooks.lagP50Ms)}, p99 ${ms(hooks.lagP99Ms)}`,
    `  total ${result.durationSeconds.toFixed(1)} s`,
  );
  return lines.join("\n");
}

// Workers' console output (Miniflare forwards it to stdout) would corrupt the report: while the
// run lasts, everything written to stdout goes to stderr, and the report alone goes to stdout.
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean =>
  (process.stderr.write as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
const report = (text: string) => writeStdout(`${text}\n`);

async function main(): Promise<void> {
  const { json, ...config } = parseOptions();
  const started = performance.now();
  const bench = await setUp();
  try {
    const reads = await measureReads(bench, config);
    const registrations = await measureRegistrations(bench, config);
    const compatibility = await measureCompatibility(bench, config);
    const webhooks = await measureWebhooks(bench, config);
    const result: RegistryBenchResult = {
      config,
      reads,
      registrations,
      compatibility,
      webhooks,
      durationSeconds: (performance.now() - started) / 1000,
    };
    report(json ? JSON.stringify(result) : reportText(result));
  } finally {
    await bench.platform.close();
    rmSync(bench.stateDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
