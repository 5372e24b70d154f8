/**
 * `npm run bench:fleet [-- --tenants 1000] [--rate 6/1] [--json]`
 *
 * A fleet rollout on the local platform (issue 12): N tenants made by `tenant create`, then a new
 * template version with one migration rolled out to all of them with the provisioner's rate limit
 * scaled (`--rate requests/seconds`; the local API enforces the same limit and answers 429 past
 * it, as Cloudflare does). Reported: API calls per tenant, the wall time against the floor the
 * limit sets ((calls - burst) / rate; target within 1.1x), the 429s seen; then a canary halt (a
 * version whose /health fails): tenants outside the canary touched (target 0).
 *
 * Exit codes: 0 every target met, 1 a target missed, 2 bad options.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FaultPlanSchema } from "../infra/local-platform/faults.ts";
import { createCloudflareClient } from "../provisioner/src/cloudflare-client.ts";
import { readTargetSettings, resolveTarget } from "../provisioner/src/config.ts";
import { listFleet, runRollout } from "../provisioner/src/fleet/rollout.ts";
import { readMigrations } from "../provisioner/src/migrations.ts";
import { buildTemplate } from "../provisioner/src/template-build.ts";
import { rateLimitFor, TokenBucket } from "../provisioner/src/token-bucket.ts";
import { startInitialisedPlatform } from "./lib/initialised-platform.ts";
import { intOption } from "./lib/int-option.ts";
import { fillTenants } from "./lib/platform-bench.ts";
import { makeTemplateVariant, nextMigrationName } from "./lib/template-variant.ts";

const usage = `Usage: npm run bench:fleet -- [--tenants N] [--rate R/S] [--json]
  --tenants N   tenants in the fleet (default 1000; 2 to 5000)
  --rate R/S    the API rate limit, R requests per S seconds, for the provisioner and the local
                API alike (default 6/1: Cloudflare's 1,200 per 300 s scaled up 1.5x)
  --json        the report as JSON on stdout (progress goes to stderr)`;

function parseOptions() {
  try {
    const { values } = parseArgs({
      options: {
        tenants: { type: "string", default: "1000" },
        rate: { type: "string", default: "6/1" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    const rate = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(values.rate);
    if (!rate || Number(rate[1]) < 1 || Number(rate[2]) <= 0)
      throw new Error(`--rate must look like 6/1 (requests/seconds), got "${values.rate}"`);
    return {
      tenants: intOption("tenants", values.tenants, 2, 5000),
      requests: Number(rate[1]),
      windowSeconds: Number(rate[2]),
      json: values.json,
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

const options = parseOptions();
const log = (line: string) => console.error(line);
const stateDir = mkdtempSync(join(tmpdir(), "wfp-bench-fleet-"));
const platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 100 });
const variants = [
  makeTemplateVariant({
    migrations: [{ name: nextMigrationName("bench"), sql: "CREATE TABLE IF NOT EXISTS bench (id INTEGER);" }],
  }),
  makeTemplateVariant({ brokenHealth: true }),
];
try {
  log(`filling the platform with ${options.tenants} tenants (tenant create)`);
  await fillTenants(platform, 1, options.tenants, log);

  const env = { CLOUDFLARE_API_BASE_URL: platform.apiUrl, WFP_API_MAX_ATTEMPTS: "5" };
  const settings = readTargetSettings(env);
  const rate = rateLimitFor(options.requests, options.windowSeconds);
  const target = await resolveTarget(
    createCloudflareClient({
      baseURL: settings.baseURL,
      apiToken: settings.apiToken,
      retry: settings.retry,
      rateLimiter: new TokenBucket(rate),
    }),
    settings,
  );
  const [v2, v3] = variants as [(typeof variants)[0], (typeof variants)[0]];
  const [build, migrations] = await Promise.all([buildTemplate(v2.dir), readMigrations(v2.migrationsDir)]);

  // The rollout: the local API holds the same limit (429 past it), so the limiter must set the pace.
  const limit = `${options.requests}/${options.windowSeconds} s`;
  log(`rolling ${build.tag} with one migration out to ${options.tenants} tenants at ${limit}`);
  platform.faults.set(
    FaultPlanSchema.parse({ rateLimit: { requests: options.requests, windowSeconds: options.windowSeconds } }),
  );
  const started = performance.now();
  const rollout = await runRollout(target, {
    build,
    migrations,
    rate,
    trafficUrl: platform.trafficUrl,
    canary: 1,
    wave: 50,
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const { calls, failed: refused } = platform.faults.status();
  platform.faults.clear();
  // The tenants' own calls, as the plan counts them, and all the calls made, per tenant.
  const perTenant = rollout.plan.tenants.reduce((sum, t) => sum + t.calls, 0) / options.tenants;
  const measuredPerTenant = calls / options.tenants;
  const floorSeconds = Math.max(0, calls - rate.capacity) / rate.refillPerSecond;

  // A canary halt: a version whose /health fails.
  log("rolling out a version whose /health fails, canary 1");
  const before = new Map((await listFleet(target)).map((m) => [m.tenantId, m.tags.join(",")]));
  const [broken, brokenMigrations] = await Promise.all([buildTemplate(v3.dir), readMigrations(v3.migrationsDir)]);
  const halt = await runRollout(target, {
    build: broken,
    migrations: brokenMigrations,
    rate,
    trafficUrl: platform.trafficUrl,
    canary: 1,
    verifyTimeoutMs: 2_000,
  });
  const after = await listFleet(target);
  const touched = after.filter(
    (m) => !halt.plan.canary.includes(m.tenantId) && before.get(m.tenantId) !== m.tags.join(","),
  );

  const report = {
    tenants: options.tenants,
    rate: { requests: options.requests, windowSeconds: options.windowSeconds },
    rollout: {
      state: rollout.state,
      moved: rollout.moved.length,
      failed: Object.keys(rollout.failed).length,
      apiCalls: calls,
      apiCallsPerTenant: perTenant,
      apiCallsMeasuredPerTenant: measuredPerTenant,
      plannedCalls: rollout.plan.calls,
      refusedByRateLimit: refused,
      wallSeconds,
      floorSeconds,
      ratioToFloor: floorSeconds > 0 ? wallSeconds / floorSeconds : null,
    },
    canaryHalt: {
      state: halt.state,
      canary: halt.plan.canary,
      canaryFailed: Object.keys(halt.failed).length,
      touchedOutsideCanary: touched.length,
    },
    targets: {
      ratioWithin1_1: floorSeconds > 0 ? wallSeconds / floorSeconds <= 1.1 : null,
      canaryHaltTouchesNone: touched.length === 0 && halt.state === "halted",
      met: false,
    },
  };
  report.targets.met =
    report.targets.ratioWithin1_1 !== false && report.targets.canaryHaltTouchesNone && rollout.state === "done";
  if (options.json) console.log(JSON.stringify(report, null, 2));
  else {
    const r = report.rollout;
    const ratio = r.ratioToFloor === null ? "n/a" : `${r.ratioToFloor.toFixed(2)}x`;
    const halt = report.canaryHalt;
    console.log(
      [
        `fleet of ${options.tenants}, rate ${options.requests}/${options.windowSeconds}s`,
        `  rollout: ${r.moved} moved, ${r.failed} failed, ${r.apiCalls} API calls ` +
          `(${r.apiCallsMeasuredPerTenant.toFixed(2)} per tenant, ${r.apiCallsPerTenant.toFixed(2)} its own; ` +
          `${r.plannedCalls} planned), ${r.refusedByRateLimit} refused with 429`,
        `  wall ${r.wallSeconds.toFixed(1)} s, floor ${r.floorSeconds.toFixed(1)} s: ${ratio} (target at most 1.1x)`,
        `  canary halt: ${halt.state}, canary ${halt.canary.join(", ")}, ` +
          `${halt.touchedOutsideCanary} tenants outside it touched (target 0)`,
        report.targets.met ? "every target met" : "a target missed",
      ].join("\n"),
    );
  }
  process.exitCode = report.targets.met ? 0 : 1;
} finally {
  for (const v of variants) v.remove();
  await platform.close();
  rmSync(stateDir, { recursive: true, force: true });
}
