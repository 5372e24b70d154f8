/**
 * The conformance runner: plays the confluent-bdd feature files against tenant registries on a
 * local platform, through the dispatcher by each tenant's hostname, exactly as a client outside
 * would reach them, with the tenant's admin key as `Authorization: Bearer`.
 *
 * Isolation is a fresh registry per scenario without a new tenant per scenario: onboarding a
 * tenant uploads a Worker and a database, which restarts the platform's one workerd (about a
 * second each, and nothing else can run meanwhile). So each platform onboards a small pool of
 * tenants once, and before every scenario the tenant it takes is put back to its just-onboarded
 * state through the Cloudflare API the provisioner also uses: every table of its D1 emptied and
 * refilled with the rows it had right after the migrations (the seed rows of the default
 * hierarchy), AUTOINCREMENT counters included, and every key of its KV namespace deleted. Neither
 * restarts workerd, so the pool's tenants play scenarios side by side. The tenant Worker keeps one
 * thing in isolate memory keyed by ids, the Confluent schema id cache (docs/conformance.md): with
 * bookmarks every request reads D1 past it; without them (a plain Confluent client) the reset
 * evicts the ids it took away through the product's own cache refresh.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../lib/initialised-platform.ts";
import { requestTenant } from "../lib/tenant-traffic.ts";
import type { SentRequest } from "./audit-event-step.ts";
import { AUDIT_STEP, matchStep, StepSkipped, type ScenarioWorld, type StepReply } from "./confluent-steps.ts";
import { readFeatureScenarios, type FeatureScenario } from "./feature-pickles.ts";
import { onboardPooledTenant, resetTenant, type PooledTenant } from "./tenant-pool.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** CI checks the shared folder out beside the repository. */
const DEFAULT_SUITE_DIR = resolve(repoRoot, "../shared/conformance/confluent-bdd");

export type ScenarioStatus = "passed" | "failed" | "undefined" | "error";

export interface ScenarioResult {
  file: string;
  line: number;
  name: string;
  status: ScenarioStatus;
  /** The failing or undefined step, or what broke the tenant (status `error`). */
  step?: string;
  message?: string;
  /** Steps not played (audit log), with why; the rest of the scenario still ran. */
  skippedSteps: { step: string; reason: string }[];
  /** Audit-log steps checked against the tenant's audit log (`/api/audit`) that held. */
  auditChecked: number;
  /** The tenant's `x-registry-cache` answers (schema id cache) to this scenario's requests. */
  idCache: IdCacheTally;
  /** Requests sent again after the connection dropped with no reply. */
  retries?: number;
  ms: number;
}

/** How the Worker's schema id cache answered `GET /schemas/ids/{id}` (`x-registry-cache`). */
export interface IdCacheTally {
  hit: number;
  miss: number;
  bypass: number;
}

export interface FileSummary {
  file: string;
  scenarios: number;
  passed: number;
  failed: number;
  undefined: number;
  error: number;
  /** passed / scenarios, in percent with one decimal. */
  passRate: number;
}

export interface ConformanceReport {
  suiteDir: string;
  /** Whether requests carried `x-d1-bookmark` (from `first-primary` on), or none at all. */
  bookmarks: boolean;
  files: FileSummary[];
  total: Omit<FileSummary, "file">;
  /** Reasons for skipped steps, with how many steps and scenarios each covered. */
  skippedSteps: { reason: string; steps: number; scenarios: number }[];
  /** Audit-log steps checked against `/api/audit` that held (failed ones fail their scenario). */
  auditChecked: { steps: number; scenarios: number };
  /** The schema id cache's answers over the run (all `bypass` with bookmarks). */
  idCache: IdCacheTally;
  /** Undefined steps (no step definition), with how many scenarios each stopped. */
  undefinedSteps: { step: string; scenarios: number }[];
  scenarios: ScenarioResult[];
  isolation: string;
  durationMs: number;
}

export interface ConformanceOptions {
  suiteDir?: string;
  /** Feature file names; default every file listed in core.txt. */
  files?: string[];
  /** Read feature files from here instead of `<suiteDir>/features` (fixtures). */
  featuresDir?: string;
  /** Local platforms run side by side. Default 1. */
  platforms?: number;
  /** Tenants per platform, each playing one scenario at a time. Default 3. */
  tenants?: number;
  /**
   * Default true: each scenario's requests carry `x-d1-bookmark` (`first-primary`, then the one
   * each reply gives back). False: no `x-d1-bookmark` header at all, as a plain Confluent client.
   */
  bookmarks?: boolean;
  /** Play only the scenarios this accepts (by file and line), e.g. those a previous report failed. */
  only?: (file: string, line: number) => boolean;
  /** Called after each scenario, for progress output. */
  onScenario?: (result: ScenarioResult, done: number, total: number) => void;
}

/** The runner itself could not run (missing suite, platform failure): the only non-zero exit. */
export class RunnerError extends Error {}

const ISOLATION =
  "a fresh registry per scenario: a pool of tenants onboarded once per platform (tenant CLI create), " +
  "each reset before every scenario to its just-onboarded D1 rows and an empty KV namespace";

function rate(passed: number, total: number): number {
  return total === 0 ? 0 : Math.round((passed / total) * 1000) / 10;
}

function summarize(results: ScenarioResult[]): Omit<FileSummary, "file"> {
  const count = (status: ScenarioStatus): number => results.filter((r) => r.status === status).length;
  const passed = count("passed");
  return {
    scenarios: results.length,
    passed,
    failed: count("failed"),
    undefined: count("undefined"),
    error: count("error"),
    passRate: rate(passed, results.length),
  };
}

/** Replaces `{{key}}` with values stored by earlier steps, as the features' own runner does. */
function substitute(text: string, stored: Map<string, unknown>): string {
  return text.replace(/\{\{([A-Za-z0-9_]+)\}\}/g, (whole, key: string) => {
    const value = stored.get(key);
    return value === undefined ? whole : typeof value === "string" ? value : JSON.stringify(value);
  });
}

/** The key id of a `wfp_<keyId>_<secret>` key (docs/contracts.md): the actor the audit log names. */
function keyIdOf(key: string): string {
  const match = /^wfp_([a-z0-9]{1,32})_/.exec(key);
  if (!match) throw new RunnerError("the tenant's admin key is not a wfp_<keyId>_<secret> key");
  return match[1]!;
}

async function playScenario(
  platform: LocalPlatform,
  tenant: PooledTenant,
  scenario: FeatureScenario,
  bookmarks: boolean,
): Promise<ScenarioResult> {
  const started = Date.now();
  const result: ScenarioResult = {
    file: scenario.file,
    line: scenario.line,
    name: scenario.name,
    status: "passed",
    skippedSteps: [],
    auditChecked: 0,
    idCache: { hit: 0, miss: 0, bypass: 0 },
    ms: 0,
  };
  // Undefined steps are found before any tenant is made: they need no registry to be reported.
  // `{{key}}` stands for a stored value, so a placeholder number stands in for it here.
  const missing = scenario.steps.find((s) => matchStep(s.text.replace(/\{\{[A-Za-z0-9_]+\}\}/g, "0")) === undefined);
  if (missing) {
    result.status = "undefined";
    result.step = missing.text;
    result.ms = Date.now() - started;
    return result;
  }
  let heldIds: number[];
  try {
    heldIds = (await resetTenant(platform, tenant)).schemaIds;
  } catch (error) {
    result.status = "error";
    result.message = `resetting tenant ${tenant.id} failed: ${error instanceof Error ? error.message : String(error)}`;
    result.ms = Date.now() - started;
    return result;
  }
  const { host } = tenant;
  const auth = { authorization: `Bearer ${tenant.adminKey}` };
  // With bookmarks, even the first request carries one ("first-primary", D1's own constraint), so
  // it reads D1 rather than the tenant's per-isolate schema id cache: the reset above restarts ids
  // at 1 with other content, which no real registry does and which that cache relies on
  // (docs/conformance.md, docs/confluent-api.md). Without bookmarks, no request carries the header
  // and the ids the reset took away are evicted from the cache below, before the scenario.
  let bookmark: string | undefined = bookmarks ? "first-primary" : undefined;
  /**
   * One request, sent again when the connection is reset or refused before any reply. Seen on
   * the local platform: the request right after a 404 to a PUT with a body (an endpoint the
   * registry does not serve yet) is reset once, even on a new connection; and a workerd restart
   * still settling would do the same. Retries are counted in the report, so they never pass unseen.
   */
  const send = async (
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string> },
  ): Promise<Awaited<ReturnType<typeof requestTenant>>> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await requestTenant(platform.trafficUrl, host, method, path, {
          ...init,
          headers: { ...auth, ...init.headers },
        });
      } catch (error) {
        const code = (error as { code?: string }).code;
        const dropped =
          code === "ECONNRESET" ||
          code === "ECONNREFUSED" ||
          (error instanceof Error && error.message === "socket hang up");
        if (!dropped || attempt >= 3) throw error;
        result.retries = (result.retries ?? 0) + 1;
        await new Promise((done) => setTimeout(done, 250 * attempt));
      }
    }
  };
  // The tenant is ready when its own Worker answers its health check through the dispatcher.
  for (let attempt = 0; ; attempt++) {
    const health = await send("GET", "/health", {}).catch(() => undefined);
    if (health?.status === 200) break;
    if (attempt >= 20) {
      result.status = "error";
      result.message =
        `tenant ${tenant.id} did not answer /health with 200 after onboarding ` +
        `(last: ${health?.status ?? "no reply"})`;
      break;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  if (!bookmarks && result.status !== "error") {
    // An id's content never changes in a real registry, so the Worker's id cache may answer an id
    // for 60 s; the reset broke that premise for these ids. A read the cache cannot answer alone
    // (`fetchMaxId`) goes to D1 and refreshes the entry with what D1 says: gone.
    for (const id of heldIds) {
      const evicted = await send("GET", `/schemas/ids/${id}?fetchMaxId=true`, {}).catch((error: unknown) => error);
      const status = (evicted as { status?: number }).status;
      if (status !== 404 && status !== 200) {
        result.status = "error";
        result.message = `evicting schema id ${id} from tenant ${tenant.id}'s id cache answered ${status ?? evicted}`;
        break;
      }
    }
  }
  const requests: SentRequest[] = [];
  const world: ScenarioWorld = {
    stored: new Map(),
    requests,
    keyId: keyIdOf(tenant.adminKey),
    async call(method, path, body): Promise<StepReply> {
      // Bookmarks carried from reply to request, as a client should, so reads see earlier writes.
      const reply = await send(method, path, {
        body,
        headers: bookmark === undefined ? {} : { "x-d1-bookmark": bookmark },
      });
      const next = reply.headers["x-d1-bookmark"];
      if (bookmarks && typeof next === "string") bookmark = next;
      const requestId = reply.headers["x-request-id"];
      requests.push({
        method,
        path,
        status: reply.status,
        requestId: typeof requestId === "string" ? requestId : undefined,
      });
      const cache = reply.headers["x-registry-cache"];
      if (cache === "hit" || cache === "miss" || cache === "bypass") result.idCache[cache]++;
      world.last = { status: reply.status, headers: reply.headers, body: reply.body };
      return world.last;
    },
  };
  for (const s of result.status === "error" ? [] : scenario.steps) {
    const text = substitute(s.text, world.stored);
    const definition = matchStep(text) ?? matchStep(s.text);
    try {
      await definition!.run(world, {
        docString: s.docString === undefined ? undefined : substitute(s.docString, world.stored),
        table: s.table?.map((row) => row.map((cell) => substitute(cell, world.stored))),
      });
      if (AUDIT_STEP.test(text)) result.auditChecked++;
    } catch (error) {
      if (error instanceof StepSkipped) {
        result.skippedSteps.push({ step: s.text, reason: error.message });
        continue;
      }
      result.status = "failed";
      result.step = text;
      result.message = error instanceof Error ? error.message : String(error);
      break;
    }
  }
  result.ms = Date.now() - started;
  return result;
}

/** Feature files named in core.txt, checked to exist. */
function coreFiles(suiteDir: string): string[] {
  const list = join(suiteDir, "core.txt");
  if (!existsSync(list)) {
    throw new RunnerError(
      `the conformance suite is missing: no ${list}. ` +
        `CI checks out shared/ beside the repository (../shared from the repo root); ` +
        `pass --suite <dir> to point elsewhere.`,
    );
  }
  return readFileSync(list, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** Runs the scenarios and returns the report; throws RunnerError only when it cannot run at all. */
export async function runConformance(options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const started = Date.now();
  const suiteDir = resolve(options.suiteDir ?? DEFAULT_SUITE_DIR);
  const featuresDir = options.featuresDir ?? join(suiteDir, "features");
  const files = options.files ?? coreFiles(suiteDir);
  const scenarios: FeatureScenario[] = [];
  for (const file of files) {
    const path = join(featuresDir, file);
    if (!existsSync(path)) throw new RunnerError(`feature file not found: ${path}`);
    try {
      scenarios.push(
        ...readFeatureScenarios(path).filter((scenario) => options.only?.(scenario.file, scenario.line) ?? true),
      );
    } catch (error) {
      throw new RunnerError(`cannot parse ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const results: ScenarioResult[] = new Array<ScenarioResult>(scenarios.length);
  let next = 0;
  let done = 0;
  /** One local platform and its pool of tenants, playing scenarios from the shared queue until it is empty. */
  const platformLane = async (platformIndex: number, tenants: number): Promise<void> => {
    const stateDir = mkdtempSync(join(tmpdir(), "wfp-conformance-"));
    let platform: LocalPlatform;
    try {
      platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 0 });
    } catch (error) {
      rmSync(stateDir, { recursive: true, force: true });
      throw new RunnerError(
        `the local platform did not start: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    try {
      // Onboarded one after another, before any scenario: each restarts workerd.
      const pool: PooledTenant[] = [];
      for (let t = 0; t < tenants; t++) {
        const id = `conf-${platformIndex}-${t}`;
        try {
          pool.push(await onboardPooledTenant(platform, id, `${id}.conformance.localhost`));
        } catch (error) {
          throw new RunnerError(error instanceof Error ? error.message : String(error));
        }
      }
      await Promise.all(
        pool.map(async (tenant) => {
          while (next < scenarios.length) {
            const index = next++;
            const result = await playScenario(platform, tenant, scenarios[index]!, options.bookmarks ?? true);
            results[index] = result;
            options.onScenario?.(result, ++done, scenarios.length);
          }
        }),
      );
    } finally {
      await platform.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  };
  const platforms = Math.max(1, Math.min(options.platforms ?? 1, scenarios.length));
  const tenants = Math.max(1, Math.min(options.tenants ?? 3, Math.ceil(scenarios.length / platforms)));
  await Promise.all(Array.from({ length: platforms }, (_, i) => platformLane(i, tenants)));

  const skipped = new Map<string, { steps: number; scenarios: number }>();
  const idCache: IdCacheTally = { hit: 0, miss: 0, bypass: 0 };
  for (const r of results)
    for (const answer of ["hit", "miss", "bypass"] as const) idCache[answer] += r.idCache[answer];
  const undefinedSteps = new Map<string, number>();
  for (const r of results) {
    for (const reason of new Set(r.skippedSteps.map((s) => s.reason))) {
      const entry = skipped.get(reason) ?? { steps: 0, scenarios: 0 };
      entry.steps += r.skippedSteps.filter((s) => s.reason === reason).length;
      entry.scenarios += 1;
      skipped.set(reason, entry);
    }
    if (r.status === "undefined" && r.step !== undefined)
      undefinedSteps.set(r.step, (undefinedSteps.get(r.step) ?? 0) + 1);
  }
  return {
    suiteDir,
    bookmarks: options.bookmarks ?? true,
    files: files.map((file) => ({ file, ...summarize(results.filter((r) => r.file === file)) })),
    total: summarize(results),
    skippedSteps: [...skipped].map(([reason, n]) => ({ reason, ...n })),
    auditChecked: {
      steps: results.reduce((n, r) => n + r.auditChecked, 0),
      scenarios: results.filter((r) => r.auditChecked > 0).length,
    },
    idCache,
    undefinedSteps: [...undefinedSteps]
      .map(([step, n]) => ({ step, scenarios: n }))
      .sort((a, b) => b.scenarios - a.scenarios),
    scenarios: results,
    isolation: ISOLATION,
    durationMs: Date.now() - started,
  };
}

/** The report as text: per-file pass rates, the total, every skip and undefined step with its reason. */
export function formatReport(report: ConformanceReport): string {
  const out: string[] = [];
  const width = Math.max(...report.files.map((f) => f.file.length), 5);
  out.push(
    `Confluent conformance (${report.suiteDir})`,
    `isolation: ${report.isolation}`,
    `bookmarks: ${
      report.bookmarks
        ? "on (x-d1-bookmark on every request, from first-primary)"
        : "off (no x-d1-bookmark header, as a plain Confluent client)"
    }`,
    "",
  );
  out.push(`${"file".padEnd(width)}  pass/total   rate  failed undefined error`);
  const line = (name: string, s: Omit<FileSummary, "file">): string =>
    `${name.padEnd(width)}  ${`${s.passed}/${s.scenarios}`.padStart(10)} ${`${s.passRate.toFixed(1)}%`.padStart(6)}` +
    ` ${String(s.failed).padStart(6)} ${String(s.undefined).padStart(9)} ${String(s.error).padStart(5)}`;
  for (const f of report.files) out.push(line(f.file, f));
  out.push(line("TOTAL", report.total), "");
  out.push(
    `Audit-log steps checked against /api/audit and held: ${report.auditChecked.steps} ` +
      `in ${report.auditChecked.scenarios} scenario(s) (a step that does not hold fails its scenario)`,
    `Schema id cache (x-registry-cache): ${report.idCache.hit} hit, ${report.idCache.miss} miss, ` +
      `${report.idCache.bypass} bypass`,
    "",
  );
  out.push("Skipped steps (the scenario still ran; the step is not counted as passed or failed):");
  for (const s of report.skippedSteps) out.push(`  ${s.steps} step(s) in ${s.scenarios} scenario(s): ${s.reason}`);
  for (const r of report.scenarios.filter((r) => r.skippedSteps.length > 0))
    out.push(`    ${r.file}:${r.line} ${r.name} (${r.skippedSteps.length} skipped)`);
  out.push("", "Undefined steps (scenario not run, no step definition):");
  for (const u of report.undefinedSteps) out.push(`  ${u.scenarios} scenario(s): ${u.step}`);
  for (const r of report.scenarios.filter((r) => r.status === "undefined"))
    out.push(`    ${r.file}:${r.line} ${r.name}`);
  const errors = report.scenarios.filter((r) => r.status === "error");
  if (errors.length > 0) {
    out.push("", "Errors (the tenant could not be made or removed):");
    for (const r of errors) out.push(`  ${r.file}:${r.line} ${r.name}: ${r.message ?? ""}`);
  }
  const retried = report.scenarios.filter((r) => (r.retries ?? 0) > 0);
  if (retried.length > 0)
    out.push(
      "",
      `Requests sent again after a dropped connection: ${retried.reduce((n, r) => n + (r.retries ?? 0), 0)} ` +
        `in ${retried.length} scenario(s)`,
    );
  out.push(
    "",
    `${report.total.passed}/${report.total.scenarios} scenarios pass (${report.total.passRate.toFixed(1)}%) ` +
      `in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  return out.join("\n");
}
