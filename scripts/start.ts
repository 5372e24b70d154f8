/**
 * `npm start`: the local platform in the foreground, made ready by `platform init` through its own
 * API (the code an operator runs against Cloudflare; a restart only confirms what exists). Tenant
 * traffic on 127.0.0.1:8787, the Cloudflare-compatible API on http://127.0.0.1:8788/client/v4,
 * state under .wfp/.
 *
 *   npm start -- --port 8787 --api-port 8788 --state .wfp
 */
import { parseArgs } from "node:util";
import { type InitialisedPlatform, startInitialisedPlatform } from "./lib/initialised-platform.ts";
import { PortInUseError } from "../infra/local-platform/port-in-use.ts";
import { describeHolder, StateFolderInUseError } from "../infra/local-platform/state-folder-lock.ts";

const usage = `Usage: npm start -- [--port <n>] [--api-port <n>] [--state <dir>] [--d1-replica-lag <ms>]
                 [--max-loaded-tenants <n>] [--json]

Starts the local platform in the foreground:
  --port <n>       tenant traffic (the dispatcher), default 8787
  --api-port <n>   the Cloudflare-compatible API, default 8788
  --state <dir>    where tenants and their data persist, default .wfp; one platform per folder:
                   a folder another running platform holds is refused (exit 2, naming its pid
                   and ports), one left by a platform that died is taken over
  --d1-replica-lag <ms>
                   give every D1 database with read replication on a read replica that trails
                   its primary by <ms> (0, the default: primaries only)
  --max-loaded-tenants <n>
                   tenant Workers are loaded at their first request; at most <n> stay loaded
                   (about 16 MB each; default 50), the least recently used dropped first
  --json           print one JSON line with the URLs and ids instead of text

A port in use by another program is refused before anything starts (exit 2).`;

function milliseconds(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0) {
    console.error(`${flag} must be a whole number of milliseconds, 0 or more, got '${value}'\n\n${usage}`);
    process.exit(2);
  }
  return n;
}

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 1 || n > 10_000) {
    console.error(`${flag} must be a whole number from 1 to 10000, got '${value}'\n\n${usage}`);
    process.exit(2);
  }
  return n;
}

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${flag} must be a port number from 0 to 65535, got '${value}'\n\n${usage}`);
    process.exit(2);
  }
  return n;
}

/** The command line's options; exits with the usage when they do not parse. */
function parseOptions() {
  // parseArgs reads a negative number after a flag as another flag ("ambiguous"); say what is
  // wrong with the number instead.
  const argv = process.argv.slice(2);
  argv.forEach((value, i) => {
    const flag = argv[i - 1];
    if (!/^-\d/.test(value)) return;
    if (flag === "--d1-replica-lag") milliseconds(value, flag);
    if (flag === "--max-loaded-tenants") count(value, flag);
    if (flag === "--port" || flag === "--api-port") port(value, 0, flag);
  });
  try {
    return parseArgs({
      options: {
        port: { type: "string" },
        "api-port": { type: "string" },
        state: { type: "string" },
        "d1-replica-lag": { type: "string" },
        "max-loaded-tenants": { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

const args = parseOptions();
if (args.help) {
  console.log(usage);
  process.exit(0);
}

const trafficPort = port(args.port, 8787, "--port");
const apiPort = port(args["api-port"], 8788, "--api-port");
if (trafficPort !== 0 && trafficPort === apiPort) {
  console.error(`--port and --api-port must differ (both are ${trafficPort}).`);
  process.exit(2);
}
const replicaLagMs = milliseconds(args["d1-replica-lag"], "--d1-replica-lag");
const maxLoadedTenants = count(args["max-loaded-tenants"], "--max-loaded-tenants");

const started = performance.now();
let platform: InitialisedPlatform;
try {
  platform = await startInitialisedPlatform({
    port: trafficPort,
    apiPort,
    stateDir: args.state ?? ".wfp",
    d1ReplicaLagMs: replicaLagMs,
    ...(maxLoadedTenants === undefined ? {} : { maxLoadedTenants }),
  });
} catch (error) {
  // The user's own situation (exit 2, one line): another platform on the folder, or a busy port.
  if (error instanceof StateFolderInUseError) {
    console.error(
      `The local platform could not start: ${error.stateDir} is in use by another local platform ` +
        `(${describeHolder(error.holder)}); stop it, or give this one another folder with --state <dir>.`,
    );
    process.exit(2);
  }
  if (error instanceof PortInUseError) {
    const flag = error.which === "api" ? "--api-port" : "--port";
    console.error(
      `The local platform could not start: port ${error.port} (${flag}) is in use by another program; ` +
        `stop it, or pick another with ${flag} <n>.`,
    );
    process.exit(2);
  }
  console.error(`The local platform could not start: ${String((error as Error).stack ?? error)}`);
  process.exit(1);
}

const facts = {
  trafficUrl: platform.trafficUrl,
  apiUrl: platform.apiUrl,
  accountId: platform.accountId,
  zoneId: platform.zoneId,
  zoneName: platform.zoneName,
  dispatchNamespace: platform.dispatchNamespace,
  routesNamespaceId: platform.routesNamespaceId,
  stateDir: platform.stateDir,
  regionalTargets: platform.init.regionalTargets,
  fallbackOrigin: platform.init.fallbackOrigin,
};
if (args.json) {
  console.log(JSON.stringify(facts));
} else {
  const port = new URL(platform.trafficUrl).port;
  // The tenant CLI finds a platform on another API port only through CLOUDFLARE_API_BASE_URL.
  const onboard =
    platform.apiUrl === "http://127.0.0.1:8788/client/v4"
      ? "npm run tenant -- create acme --domain registry.acme.localhost --residency eu"
      : `CLOUDFLARE_API_BASE_URL=${platform.apiUrl} npm run tenant -- create acme --domain registry.acme.localhost`;
  const initSummary = platform.init.changed ? "made the dispatcher, its route and CNAME targets" : "all in place";
  const lag = replicaLagMs > 0 ? `\n  D1 read replicas    on, ${replicaLagMs} ms behind their primaries` : "";
  console.log(`Local platform ready in ${((performance.now() - started) / 1000).toFixed(1)}s
  tenant traffic      ${platform.trafficUrl}   (e.g. http://registry.acme.localhost:${port}/health)
  Cloudflare API      ${platform.apiUrl}
  account id          ${platform.accountId}
  zone id             ${platform.zoneId} (${platform.zoneName})
  dispatch namespace  ${platform.dispatchNamespace}
  routing KV          ${platform.routesNamespaceId} (wfp-routes)
  platform init       ${initSummary} (npm run platform -- init)
  state               ${platform.stateDir}${lag}

Onboard a tenant:  ${onboard}
Stop with Ctrl-C.`);
}

let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  await platform.close();
  process.exit(0);
};
// Closing releases the state folder's lock (a platform killed outright leaves a stale one, taken over next time).
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
process.on("SIGHUP", shutdown);
// Whoever started us (npm's bootstrap) gone without a word, e.g. killed outright: nobody is left
// to stop us, so stop as a signal would have (re-parenting changes our parent pid).
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown();
}, 1000).unref();
