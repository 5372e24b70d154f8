/**
 * `npm run platform -- <command>`: what an operator runs once per account and zone: `check`, which
 * says what the account or the token lacks before anything is created, and `init`, which creates
 * what the platform needs (platform-init.ts).
 */
import { parseArgs } from "node:util";
import { RESIDENCIES, type Residency } from "../../contracts/tenant-record.ts";
import { createCloudflareClient } from "./cloudflare-client.ts";
import { readTargetSettings } from "./config.ts";
import { ConfigError, StateConflictError } from "./errors.ts";
import { checkPlatform, formatCheck } from "./platform-check.ts";
import { type InitOptions, type InitRegion, type InitReport, initPlatformAt } from "./platform-init.ts";
import { formatProgress, type ProgressEvent } from "./progress.ts";
import { hostnameProblem } from "./tenant-spec.ts";
import { TokenBucket } from "./token-bucket.ts";

/**
 * 0 ready (check) or done (init); 1 something missing, or the API failed (init: safe to re-run);
 * 2 bad input; 3 (init) the zone holds something of someone else's that init will not take over.
 */
export const PLATFORM_EXIT = { ready: 0, notReady: 1, usage: 2, conflict: 3 } as const;

export interface PlatformCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
}

const USAGE = `Usage: npm run platform -- check [--residency eu,uk,global] [--json]
       npm run platform -- init [--regions eu,uk|none] [--fallback-origin <host>] [--json]

  check   what the account, the zone or the token lacks for the platform, one line each with
          how to fix it; changes nothing. --residency: the residencies you will onboard
          (default all three; eu and uk need Regional Services).
  init    create what the platform needs, once per account and zone; safe to re-run (it adopts
          what exists, and continues an interrupted run): the dispatch namespace, the routing
          KV namespace, the dispatch Worker with both in its bindings, the zone's */* route to
          it, the fallback origin (--fallback-origin, default: the zone's, else customers.<zone>)
          with its DNS record, and per region (--regions, default eu,uk when the account has
          Regional Services) the CNAME target <region>.<zone> its tenants point at.

Target: the same variables as npm run tenant (no CLOUDFLARE_API_TOKEN: the local platform).
Exit codes: 0 ready or done, 1 something is missing or an API call failed (init: run it again),
2 bad usage, 3 (init) the zone has something init will not take over (said how to fix).`;

const OPTIONS = {
  json: { type: "boolean", default: false },
  residency: { type: "string" },
  regions: { type: "string" },
  "fallback-origin": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export async function runPlatformCli(argv: readonly string[], io: PlatformCliIo): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: typeof OPTIONS }>
  >;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: OPTIONS,
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${USAGE}\n`);
    return PLATFORM_EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return PLATFORM_EXIT.ready;
  }
  if (positionals.length === 1 && positionals[0] === "init") return runInit(values, io);
  if (positionals.length !== 1 || positionals[0] !== "check") {
    io.stderr(
      `${positionals.length === 0 ? "Give a command" : `Unknown command '${positionals.join(" ")}'`}.\n\n${USAGE}\n`,
    );
    return PLATFORM_EXIT.usage;
  }
  const residencies = (values.residency ?? RESIDENCIES.join(",")).split(",").map((r) => r.trim());
  const unknown = residencies.filter((r) => !(RESIDENCIES as readonly string[]).includes(r));
  if (unknown.length > 0 || residencies.length === 0) {
    io.stderr(`--residency takes eu, uk and global, comma-separated; not '${unknown.join(",")}'\n`);
    return PLATFORM_EXIT.usage;
  }
  try {
    const settings = readTargetSettings(io.env ?? process.env);
    const client = createCloudflareClient({
      baseURL: settings.baseURL,
      apiToken: settings.apiToken,
      retry: settings.retry,
      rateLimiter: new TokenBucket(settings.rateLimit),
    });
    const report = await checkPlatform(client, settings, residencies as Residency[]);
    io.stdout(
      values.json ? `${JSON.stringify({ ok: true, command: "check", ...report }, null, 2)}\n` : formatCheck(report),
    );
    return report.ready ? PLATFORM_EXIT.ready : PLATFORM_EXIT.notReady;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return PLATFORM_EXIT.usage;
    }
    io.stderr(`platform check failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return PLATFORM_EXIT.notReady;
  }
}

async function runInit(
  values: { json: boolean; regions?: string | undefined; "fallback-origin"?: string | undefined },
  io: PlatformCliIo,
): Promise<number> {
  const options: InitOptions = {};
  if (values.regions !== undefined) {
    const regions = values.regions === "none" ? [] : values.regions.split(",").map((r) => r.trim().toLowerCase());
    const unknown = regions.filter((r) => r !== "eu" && r !== "uk");
    if (unknown.length > 0) {
      io.stderr(`--regions takes eu and uk, comma-separated, or none; not '${unknown.join(",")}'\n`);
      return PLATFORM_EXIT.usage;
    }
    options.regions = regions as InitRegion[];
  }
  const origin = values["fallback-origin"]?.trim().toLowerCase();
  if (origin !== undefined) {
    const problem = hostnameProblem(origin);
    if (problem !== undefined) {
      io.stderr(`--fallback-origin must be a hostname in the zone, such as customers.saas.example: ${problem}\n`);
      return PLATFORM_EXIT.usage;
    }
    options.fallbackOrigin = origin;
  }
  const out = values.json ? io.stderr : io.stdout;
  const onProgress = (event: ProgressEvent): void => {
    const line = formatProgress(event);
    if (line) out(`${line}\n`);
  };
  try {
    const report = await initPlatformAt(readTargetSettings(io.env ?? process.env), options, onProgress);
    io.stdout(
      values.json ? `${JSON.stringify({ ok: true, command: "init", ...report }, null, 2)}\n` : formatInit(report),
    );
    return PLATFORM_EXIT.ready;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof ConfigError) {
      io.stderr(`${message}\n`);
      return PLATFORM_EXIT.usage;
    }
    if (error instanceof StateConflictError) {
      io.stderr(`platform init stopped: ${message}\n`);
      return PLATFORM_EXIT.conflict;
    }
    io.stderr(
      `platform init did not finish: ${message}\n` +
        "What it made so far stays, and nothing is half-made: run the same command again to continue.\n",
    );
    return PLATFORM_EXIT.notReady;
  }
}

/** What init did and what the operator needs next. */
function formatInit(report: InitReport): string {
  const targets = Object.entries(report.regionalTargets).map(([region, host]) => `${region} tenants -> ${host}`);
  return [
    report.changed ? "The platform is ready." : "The platform was already ready; nothing changed.",
    `  dispatch namespace  ${report.dispatchNamespace}`,
    `  routing KV          ${report.routesNamespaceId} (wfp-routes)`,
    `  dispatch Worker     ${report.dispatcher.name} (version ${report.dispatcher.version.slice(0, 12)})`,
    `  CNAME targets       global tenants -> ${report.fallbackOrigin}${targets.map((t) => `; ${t}`).join("")}`,
    ...report.skippedRegions.map((s) => `  note: ${s}`),
    "",
    "Next: npm run tenant -- create <id> --domain <hostname> [--residency eu|uk|global]",
    "",
  ].join("\n");
}
