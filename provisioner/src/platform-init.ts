/**
 * `npm run platform -- init`: what a platform needs once per account and zone, created through
 * the API in order, each step find-or-create so a re-run adopts what exists and an interrupted
 * run continues where it stopped:
 *
 *   1. the dispatch namespace tenants' Workers live in;
 *   2. the routing store (KV namespace `wfp-routes`);
 *   3. the dispatch Worker, uploaded with both ids in its bindings;
 *   4. the zone's catch-all route to it;
 *   5. the fallback origin's originless DNS record, then 6. the fallback origin;
 *   7. per residency region (eu, uk) a CNAME target in the zone, `<region>.<zone>`: its DNS record
 *      and its regional hostname (Regional Services for SaaS regionalises a custom hostname by the
 *      target of its alias).
 *
 * `npm start` runs this same code against the local platform, so both back ends have one path.
 * A re-run on a ready platform makes GETs only, a fixed number whatever the fleet's size.
 */
import { createCloudflareClient } from "./cloudflare-client.ts";
import { type AccountTarget, resolveAccount, ROUTES_KV_TITLE, type TargetSettings } from "./config.ts";
import { TokenBucket } from "./token-bucket.ts";
import { ensureDispatchNamespace } from "./dispatch-namespace.ts";
import { buildDispatcher, type DispatcherBuild } from "./dispatcher-build.ts";
import { ensureDispatcher, readDispatcher } from "./dispatcher-script.ts";
import { ensureOriginlessRecord } from "./dns-record.ts";
import { ApiCallError, apiCall, isNotFound, StateConflictError } from "./errors.ts";
import { ensureFallbackOrigin, getFallbackOrigin } from "./fallback-origin.ts";
import { ensureKvNamespace, type KvNamespace } from "./kv-namespace.ts";
import { type ProgressListener, type StepDone, StepRunner } from "./progress.ts";
import {
  ensureRegionalHostname,
  findRegion,
  listRegions,
  type Region,
  regionalCnameTarget,
  zoneNameOf,
} from "./regional-hostname.ts";
import { residencyProfile } from "./residency.ts";
import { ensureCatchAllRoute } from "./worker-route.ts";

export type InitRegion = "eu" | "uk";

export interface InitOptions {
  /**
   * The residency regions to make CNAME targets for. Undefined: eu and uk when the account has
   * Regional Services, none (said in the step) when it has not; given: refused when missing.
   */
  regions?: readonly InitRegion[];
  /** The fallback origin to set; default: keep the zone's, else `customers.<zone>`. */
  fallbackOrigin?: string;
  /** The dispatcher build (tests); default: dispatcher/ as it is. */
  dispatcher?: DispatcherBuild;
}

export interface InitReport {
  accountId: string;
  zoneId: string;
  zoneName: string;
  dispatchNamespace: string;
  routesNamespaceId: string;
  dispatcher: { name: string; version: string };
  fallbackOrigin: string;
  /** Per region made ready, the CNAME target its tenants point at. */
  regionalTargets: Partial<Record<InitRegion, string>>;
  /** Regions asked for by default and skipped, with why. */
  skippedRegions: string[];
  steps: StepDone[];
  /** False when every step only adopted what was there. */
  changed: boolean;
}

/**
 * Make the account and zone ready for tenants (see the module comment for the steps).
 *
 * @example
 *   const report = await initPlatform(account, {}, (e) => console.log(e));
 *   report.routesNamespaceId // "0f2a..."
 */
export async function initPlatform(
  target: AccountTarget,
  options: InitOptions = {},
  onProgress?: ProgressListener,
): Promise<InitReport> {
  const steps = new StepRunner(onProgress);
  const zoneName = await zoneNameOf(target);
  const build = await steps.run("build", "Dispatch Worker build", async () => {
    const value = options.dispatcher ?? (await buildDispatcher());
    return { value, outcome: "built", detail: `version ${value.hash.slice(0, 12)}` };
  });

  const namespace = target.dispatchNamespace;
  await steps.run("dispatch-namespace", `Dispatch namespace ${namespace}`, async () => ({
    value: undefined,
    outcome: await ensureDispatchNamespace(target, namespace),
  }));

  // The deployed dispatcher names its routing store: one GET finds it whatever the account holds;
  // only a first run (or a store deleted since) lists the namespaces by title.
  const deployed = await readDispatcher(target, build);
  const routes = await steps.run("kv", `Routing store (KV namespace ${ROUTES_KV_TITLE})`, async () => {
    const bound =
      deployed?.routesNamespaceId === undefined ? undefined : await kvById(target, deployed.routesNamespaceId);
    const { namespace: value, action } = await ensureKvNamespace(
      target,
      ROUTES_KV_TITLE,
      bound?.title === ROUTES_KV_TITLE ? bound : undefined,
    );
    return { value, outcome: action, detail: value.id };
  });

  await steps.run("dispatcher", `Dispatch Worker ${build.name}`, async () => ({
    value: undefined,
    outcome: await ensureDispatcher(
      target,
      build,
      { dispatchNamespace: namespace, routesNamespaceId: routes.id },
      deployed,
    ),
    detail: `version ${build.hash.slice(0, 12)}`,
  }));

  await steps.run("worker-route", `Route */* on ${zoneName} to ${build.name}`, async () => ({
    value: undefined,
    outcome: await ensureCatchAllRoute(target, build.name),
  }));

  // One already set is kept unless another is asked for: tenants may already point at it.
  const currentOrigin = await getFallbackOrigin(target);
  const origin = options.fallbackOrigin ?? currentOrigin?.origin ?? `customers.${zoneName}`;
  await steps.run("dns-record", `DNS record ${origin} (AAAA 100::, proxied)`, async () => ({
    value: undefined,
    outcome: await ensureOriginlessRecord(target, origin),
  }));
  await steps.run("fallback-origin", `Fallback origin ${origin}`, async () => {
    return { value: undefined, outcome: await ensureFallbackOrigin(target, origin, currentOrigin) };
  });

  const regionalTargets: Partial<Record<InitRegion, string>> = {};
  const skippedRegions: string[] = [];
  const wanted = options.regions ?? (["eu", "uk"] as const);
  let regions: Region[] | undefined;
  if (wanted.length > 0) {
    try {
      regions = await listRegions(target);
    } catch (error) {
      // Without Regional Services the account cannot list regions (403): by default that only
      // means no eu or uk tenants yet; asked for by name, it is a failure, as is any other error.
      const unentitled = error instanceof ApiCallError && error.status === 403;
      if (options.regions !== undefined || !unentitled) throw error;
      skippedRegions.push(
        `eu and uk CNAME targets skipped: the account's regions could not be listed (${(error as Error).message}). ` +
          "Enable Regional Services (Data Localization Suite), then run init again to onboard eu or uk tenants.",
      );
    }
  }
  for (const region of regions === undefined ? [] : wanted) {
    const requirement = residencyProfile(region).regionalHostname!;
    let found: Region;
    try {
      found = await findRegion(target, requirement, regions);
    } catch (error) {
      if (options.regions !== undefined || !(error instanceof StateConflictError)) throw error;
      skippedRegions.push(`${region} CNAME target skipped: ${error.message}`);
      continue;
    }
    const hostname = regionalCnameTarget(region, zoneName);
    await steps.run("dns-record", `DNS record ${hostname} (AAAA 100::, proxied)`, async () => ({
      value: undefined,
      outcome: await ensureOriginlessRecord(target, hostname),
    }));
    await steps.run("regional-hostname", `Regional hostname ${hostname} (${found.label})`, async () => {
      const { action } = await ensureRegionalHostname(target, hostname, found);
      return { value: undefined, outcome: action, detail: `region ${found.key}` };
    });
    regionalTargets[region] = hostname;
  }

  return {
    accountId: target.accountId,
    zoneId: target.zoneId,
    zoneName,
    dispatchNamespace: namespace,
    routesNamespaceId: routes.id,
    dispatcher: { name: build.name, version: build.hash },
    fallbackOrigin: origin,
    regionalTargets,
    skippedRegions,
    steps: steps.done,
    changed: steps.changedAnything(),
  };
}

/** The KV namespace with this id, or undefined when it is gone. */
async function kvById(target: AccountTarget, id: string): Promise<KvNamespace | undefined> {
  try {
    const found = await apiCall("reading", "KV namespace", id, () =>
      target.client.kv.namespaces.get(id, { account_id: target.accountId }),
    );
    return { id: found.id, title: found.title };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * {@link initPlatform} on the target the settings name (the same variables as every command):
 * what the CLI and `npm start` call.
 *
 * @example
 *   await initPlatformAt(readTargetSettings({ CLOUDFLARE_API_BASE_URL: platform.apiUrl }))
 */
export async function initPlatformAt(
  settings: TargetSettings,
  options: InitOptions = {},
  onProgress?: ProgressListener,
): Promise<InitReport> {
  const client = createCloudflareClient({
    baseURL: settings.baseURL,
    apiToken: settings.apiToken,
    retry: settings.retry,
    rateLimiter: new TokenBucket(settings.rateLimit),
  });
  return initPlatform(await resolveAccount(client, settings), options, onProgress);
}
