/**
 * The drift between every tenant's spec (its tenant record) and what exists in the account, and
 * the fleet's orphans: resources with the fleet's names or tags that no tenant record claims.
 * Read-only. What `npm run fleet -- doctor` reports (fleet-doctor.ts repairs it).
 *
 * Cost: the account's D1 databases, KV namespaces, tagged tenant scripts, custom hostnames and the
 * routing store's `tenant:` and `host:` keys are each listed once for the whole fleet; per tenant
 * only what no listing says is read: its record, its Worker's settings (bindings, secret names,
 * tags), its database's read replication, and one route record per hostname.
 */
import { cachePrefix } from "../../../contracts/cache-prefix.ts";
import type { Residency } from "../../../contracts/tenant-record.ts";
import { collectAll } from "../cloudflare-client.ts";
import type { Target } from "../config.ts";
import { apiCall } from "../errors.ts";
import { listKvNamespaces } from "../kv-namespace.ts";
import { getRegionalHostname, regionalCnameTarget, zoneNameOf } from "../regional-hostname.ts";
import { residencyProfile } from "../residency.ts";
import { readRouteRecord, routeOwnerOf, type RouteRecord } from "../route-record-store.ts";
import { listRoutingKeys } from "../routing-store.ts";
import { FLEET_TAG, refOfName, SHARED_CACHE_KV_TITLE, tenantNames } from "../tenant-names.ts";
import { listTenantIds, readTenantRecord, type TenantRecord } from "../tenant-record-store.ts";
import { PLANS, rateLimitOf } from "../tenant-spec.ts";
import {
  getWorkerScriptSettings,
  type LiveBinding,
  listWorkerScriptsByTag,
  tenantScriptBindings,
} from "../worker-script.ts";

/** What kind of difference a drift is. */
export type DriftKind =
  | "unfinished"
  | "d1-missing"
  | "d1-jurisdiction"
  | "read-replication"
  | "kv-missing"
  | "worker-missing"
  | "worker-untagged"
  | "bindings"
  | "secrets"
  | "custom-hostname-missing"
  | "hostname-not-active"
  | "route-missing"
  | "route-differs"
  | "route-conflict"
  | "regional-target-missing"
  | "extra"
  | "orphan";

/**
 * Who repairs a drift: `create` (a re-run of the tenant's create: `doctor --fix`), `prune` (deleting
 * an orphan: `doctor --prune`), or `manual` (someone else: the hostname's owner, or an operator
 * deciding about something doctor must not delete).
 */
export type DriftFix = "create" | "prune" | "manual";

/** A resource an orphan drift is about, as `--prune` deletes it. */
export interface OrphanResource {
  type: "d1" | "kv" | "worker" | "route-record" | "custom-hostname";
  name: string;
}

export interface Drift {
  /** The tenant id (for an orphan: the id its name carries). */
  tenant: string;
  kind: DriftKind;
  /** What differs, one line. */
  what: string;
  fix: DriftFix;
  /** How it is repaired, one line. */
  how: string;
  /** Orphans only: the resource `--prune` deletes. */
  resource?: OrphanResource;
}

export interface FleetDrift {
  /** The tenants with a record, all of them checked, with the domains their spec names. */
  tenants: Array<{ id: string; domains: string[] }>;
  drift: Drift[];
}

/** A D1 database as the account's listing gives it. */
interface ListedDatabase {
  id: string;
  name: string;
  jurisdiction: string | null | undefined;
}

/** A custom hostname as the zone's listing gives it. */
interface ListedHostname {
  id: string;
  hostname: string;
  status?: string;
  ssl?: { status?: string };
  verification_errors?: string[];
}

/** What the fleet-wide listings found, shared by every tenant's check. */
interface Listings {
  databases: Map<string, ListedDatabase>;
  namespaces: Map<string, string>;
  scripts: Set<string>;
  hostnames: Map<string, ListedHostname>;
  hostKeys: Array<{ hostname: string; owner: string | undefined }>;
  /** Regional CNAME target of each residency that has one: whether it exists. */
  regionalTargets: Map<Residency, { hostname: string; exists: boolean }>;
}

const HOW = {
  create: "--fix re-runs the tenant's create",
  prune: "--prune deletes it",
} as const;

/**
 * Every tenant's drift and the fleet's orphans.
 *
 * @example
 *   const { tenants, drift } = await findFleetDrift(target);
 *   drift.filter((d) => d.fix === "create") // what `doctor --fix` repairs
 */
export async function findFleetDrift(target: Target): Promise<FleetDrift> {
  const ids = await listTenantIds(target);
  const records: TenantRecord[] = [];
  for (const id of ids) {
    const record = await readTenantRecord(target, id);
    if (record) records.push(record); // else deleted between the listing and the read
  }
  const listings = await listFleet(target, records);
  const drift: Drift[] = [];
  for (const record of records) drift.push(...(await tenantDrift(target, record, listings)));
  drift.push(...(await orphanDrift(target, records, listings)));
  return { tenants: records.map((r) => ({ id: r.tenantId, domains: [...r.spec.domains] })), drift };
}

async function listFleet(target: Target, records: readonly TenantRecord[]): Promise<Listings> {
  const { client, accountId, zoneId } = target;
  const databases = await apiCall("listing", "D1 databases of account", accountId, () =>
    collectAll(client.d1.database.list({ account_id: accountId, per_page: 1000 })),
  );
  const namespaces = await listKvNamespaces(target);
  const scripts = await listWorkerScriptsByTag(target, FLEET_TAG);
  const hostnames = await apiCall("listing", "custom hostnames of zone", zoneId, () =>
    collectAll<ListedHostname>(client.customHostnames.list({ zone_id: zoneId, per_page: 50 })),
  );
  const hostKeys = (await listRoutingKeys(target, "host:")).map((key) => {
    const owner = (key.metadata as { tenantId?: unknown } | undefined)?.tenantId;
    return { hostname: key.name.slice("host:".length), owner: typeof owner === "string" ? owner : undefined };
  });
  const regionalTargets = new Map<Residency, { hostname: string; exists: boolean }>();
  for (const residency of ["eu", "uk"] as const) {
    if (!records.some((r) => r.spec.residency === residency)) continue;
    const hostname = regionalCnameTarget(residency, await zoneNameOf(target));
    regionalTargets.set(residency, { hostname, exists: (await getRegionalHostname(target, hostname)) !== undefined });
  }
  return {
    databases: new Map(
      databases.flatMap((db) =>
        db.name && db.uuid ? [[db.name, { id: db.uuid, name: db.name, jurisdiction: db.jurisdiction }]] : [],
      ),
    ),
    namespaces: new Map(namespaces.map((ns) => [ns.title, ns.id])),
    scripts: new Set(scripts),
    hostnames: new Map(hostnames.map((h) => [h.hostname, h])),
    hostKeys,
    regionalTargets,
  };
}

async function tenantDrift(target: Target, record: TenantRecord, listings: Listings): Promise<Drift[]> {
  const { spec } = record;
  const id = record.tenantId;
  const names = tenantNames(id);
  const drift: Drift[] = [];
  const found = (kind: DriftKind, what: string, fix: DriftFix = "create", how: string = HOW.create): void => {
    drift.push({ tenant: id, kind, what, fix, how });
  };
  const profile = residencyProfile(spec.residency, spec.locationHint ? { locationHint: spec.locationHint } : {});

  if (record.status !== "active") found("unfinished", `tenant record is ${record.status}: create did not finish`);

  const database = listings.databases.get(names.d1Database);
  if (database === undefined) found("d1-missing", `D1 database ${names.d1Database} is missing`);
  else {
    const wanted = profile.d1.jurisdiction ?? null;
    if (database.jurisdiction !== undefined && (database.jurisdiction ?? null) !== wanted) {
      found(
        "d1-jurisdiction",
        `D1 database ${names.d1Database} has jurisdiction ${database.jurisdiction ?? "none"}, ` +
          `residency ${spec.residency} needs ${wanted ?? "none"}`,
        "manual",
        "a jurisdiction is fixed at creation: export the data, delete the tenant and create it again",
      );
    }
    // The listing does not say read replication; one GET does.
    const details = await apiCall("reading", "D1 database", names.d1Database, () =>
      target.client.d1.database.get(database.id, { account_id: target.accountId }),
    );
    const mode = details.read_replication?.mode;
    if (mode !== profile.d1.readReplication) {
      found(
        "read-replication",
        `D1 database ${names.d1Database} has read replication ${mode ?? "unknown"}, ` +
          `residency ${spec.residency} says ${profile.d1.readReplication}`,
      );
    }
  }

  const shared = spec.kvMode === "shared";
  const kvTitle = shared ? SHARED_CACHE_KV_TITLE : names.kvNamespace;
  const kvId = listings.namespaces.get(kvTitle);
  if (kvId === undefined) found("kv-missing", `KV namespace ${kvTitle} is missing`);
  if (shared && listings.namespaces.has(names.kvNamespace)) {
    found(
      "extra",
      `KV namespace ${names.kvNamespace} exists, but the tenant's cache is in ${SHARED_CACHE_KV_TITLE}`,
      "manual",
      "unused by its Worker: delete it by hand once you know nothing else uses it",
    );
  }

  const settings = await getWorkerScriptSettings(target, names.script);
  if (settings === undefined) found("worker-missing", `Worker ${names.script} is missing`);
  else {
    if (!settings.tags.includes(FLEET_TAG)) {
      found("worker-untagged", `Worker ${names.script} lacks the tag ${FLEET_TAG} (fleet listings miss it)`);
    }
    const expected = tenantScriptBindings({
      d1DatabaseId: database?.id ?? "",
      kvNamespaceId: kvId ?? "",
      ...(shared && database ? { cachePrefix: cachePrefix(id, database.id) } : {}),
      tenantId: id,
      // Which template a tenant runs is the rollout's business, not drift.
      templateVersion: "",
      residency: spec.residency,
      cacheMode: spec.cacheMode,
      adminKeyHash: "",
      dispatchProof: "",
    }).map(
      (b): LiveBinding => ({
        type: b.type,
        name: b.name,
        ...(b.type === "d1" && database ? { value: b.id } : {}),
        ...(b.type === "kv_namespace" && kvId !== undefined ? { value: b.namespace_id } : {}),
        ...(b.type === "plain_text" && b.name !== "TEMPLATE_VERSION" ? { value: b.text } : {}),
      }),
    );
    const differences = bindingDifferences(expected, settings.bindings, shared && database === undefined);
    if (differences.bindings.length > 0) {
      found("bindings", `Worker ${names.script}: ${differences.bindings.join("; ")}`);
    }
    if (differences.secrets.length > 0) {
      found("secrets", `Worker ${names.script}: ${differences.secrets.join("; ")}`);
    }
  }

  for (const hostname of spec.domains) {
    const custom = listings.hostnames.get(hostname);
    if (custom === undefined) found("custom-hostname-missing", `custom hostname ${hostname} is missing`);
    else if (custom.status !== "active" || custom.ssl?.status !== "active") {
      const errors = custom.verification_errors ?? [];
      found(
        "hostname-not-active",
        `custom hostname ${hostname} is ${custom.status ?? "unknown"} (ssl ${custom.ssl?.status ?? "unknown"})` +
          (errors.length > 0 ? `: ${errors.join("; ")}` : ""),
        "manual",
        `its owner publishes the DNS records 'npm run tenant -- show ${id}' lists; Cloudflare then activates it`,
      );
    }
    drift.push(...routeDrift(id, hostname, await readRouteRecord(target, hostname), record, listings));
  }

  const regional = listings.regionalTargets.get(spec.residency);
  if (regional !== undefined && !regional.exists) {
    found("regional-target-missing", `regional CNAME target ${regional.hostname} is missing`);
  }
  return drift;
}

/** The differences between the bindings a tenant's Worker should have and the ones it has. */
function bindingDifferences(
  expected: readonly LiveBinding[],
  live: readonly LiveBinding[],
  /** A shared-mode tenant without a database: its prefix cannot be known. */
  prefixUnknown: boolean,
): { bindings: string[]; secrets: string[] } {
  const bindings: string[] = [];
  const secrets: string[] = [];
  const byName = new Map(live.map((b) => [b.name, b]));
  const into = (b: { type: string }): string[] => (b.type === "secret_text" ? secrets : bindings);
  for (const want of expected) {
    const have = byName.get(want.name);
    if (have === undefined) into(want).push(`${want.type} ${want.name} is missing`);
    else if (have.type !== want.type) into(want).push(`${want.name} is a ${have.type} binding, not ${want.type}`);
    else if (want.value !== undefined && have.value !== want.value) {
      into(want).push(`${want.name} is '${have.value ?? ""}', the spec says '${want.value}'`);
    }
  }
  const wanted = new Set(expected.map((b) => b.name));
  if (prefixUnknown) wanted.add("CACHE_PREFIX");
  for (const have of live) {
    if (!wanted.has(have.name)) into(have).push(`extra ${have.type} ${have.name}`);
  }
  return { bindings, secrets };
}

/** A hostname of the tenant's spec and its route record. */
function routeDrift(
  id: string,
  hostname: string,
  lookup: Awaited<ReturnType<typeof readRouteRecord>>,
  record: TenantRecord,
  listings: Listings,
): Drift[] {
  const names = tenantNames(id);
  const key = `host:${hostname}`;
  const owner = routeOwnerOf(lookup);
  if (lookup.kind === "absent") {
    return [
      { tenant: id, kind: "route-missing", what: `${hostname} has no route record`, fix: "create", how: HOW.create },
    ];
  }
  if (lookup.kind === "unreadable" || (owner !== undefined && owner !== id)) {
    return [
      {
        tenant: id,
        kind: "route-conflict",
        what:
          lookup.kind === "unreadable"
            ? `route record ${key} is not valid: the dispatcher refuses it`
            : `${hostname} is routed to tenant '${owner}'`,
        fix: "manual",
        how: "create refuses to take it over: inspect the record, and delete it if it is stale",
      },
    ];
  }
  if (lookup.kind === "outdated") {
    return [
      {
        tenant: id,
        kind: "route-differs",
        what: `route record ${key} predates dispatch proofs: the dispatcher refuses it`,
        fix: "create",
        how: HOW.create,
      },
    ];
  }
  const differences = routeDifferences(lookup.record, record, names.script, listings);
  return differences.length === 0
    ? []
    : [
        {
          tenant: id,
          kind: "route-differs",
          what: `route record ${key}: ${differences.join("; ")}`,
          fix: "create",
          how: HOW.create,
        },
      ];
}

function routeDifferences(live: RouteRecord, record: TenantRecord, script: string, listings: Listings): string[] {
  const { spec } = record;
  const differences: string[] = [];
  if (live.script !== script) {
    differences.push(
      `points at script ${live.script}${listings.scripts.has(live.script) ? "" : ", which does not exist"}, ` +
        `not ${script}`,
    );
  }
  if (record.dispatchProof !== undefined && live.proof !== record.dispatchProof) {
    differences.push("its dispatch proof is not the tenant's (the Worker refuses the dispatcher's requests)");
  }
  const plan = PLANS[spec.plan];
  if (live.plan !== spec.plan || live.limits?.cpuMs !== plan.cpuMs || live.limits?.subRequests !== plan.subRequests) {
    differences.push(`plan or limits are not plan ${spec.plan}'s`);
  }
  const rate = rateLimitOf(spec);
  if (
    live.rateLimit.requestsPerMinute !== rate.requestsPerMinute ||
    live.rateLimit.keyRequestsPerMinute !== rate.keyRequestsPerMinute
  ) {
    differences.push(`rate limit ${live.rateLimit.requestsPerMinute}/min, the spec says ${rate.requestsPerMinute}/min`);
  }
  if ([...live.corsOrigins].sort().join(" ") !== [...spec.corsOrigins].sort().join(" ")) {
    differences.push("its CORS origins are not the spec's");
  }
  return differences;
}

/**
 * Resources with the fleet's names or tags and no tenant record, and route records of a tenant
 * with a record for hostnames outside its spec. A hostname some tenant's spec names is never an
 * orphan, whoever its route record names: deleting it could take a live tenant's hostname.
 */
async function orphanDrift(target: Target, records: readonly TenantRecord[], listings: Listings): Promise<Drift[]> {
  const known = new Set(records.map((r) => r.tenantId));
  const claimed = new Set(records.flatMap((r) => r.spec.domains));
  const drift: Drift[] = [];
  const orphan = (tenant: string, resource: OrphanResource, what: string): void => {
    drift.push({ tenant, kind: "orphan", what, fix: "prune", how: HOW.prune, resource });
  };
  const noRecord = (id: string): string => `no tenant record '${id}'`;

  for (const name of listings.databases.keys()) {
    const id = refOfName("d1", name);
    if (id && !known.has(id)) orphan(id, { type: "d1", name }, `D1 database ${name}: ${noRecord(id)}`);
  }
  for (const title of listings.namespaces.keys()) {
    const id = refOfName("kv", title);
    if (id && !known.has(id)) orphan(id, { type: "kv", name: title }, `KV namespace ${title}: ${noRecord(id)}`);
  }
  for (const script of listings.scripts) {
    const id = refOfName("script", script) ?? script;
    if (!known.has(id))
      orphan(id, { type: "worker", name: script }, `Worker ${script} (tagged ${FLEET_TAG}): ${noRecord(id)}`);
  }
  for (const { hostname, owner: listedOwner } of listings.hostKeys) {
    if (claimed.has(hostname)) continue; // checked with the tenant whose spec names it
    // Keys written without metadata are read; the others are read only when they are drift.
    const lookup = await readRouteRecord(target, hostname);
    const owner = routeOwnerOf(lookup) ?? listedOwner;
    const script = lookup.kind === "route" ? lookup.record.script : undefined;
    const pointsAt =
      script === undefined ? "" : `, -> ${script}${listings.scripts.has(script) ? "" : " (no such script)"}`;
    if (owner !== undefined && known.has(owner)) {
      drift.push({
        tenant: owner,
        kind: "extra",
        what: `route record host:${hostname}${pointsAt}: not one of the tenant's domains`,
        fix: "manual",
        how: "doctor never deletes what a tenant with a record may use: delete the record by hand if it is stale",
      });
      continue;
    }
    if (owner === undefined) {
      drift.push({
        tenant: "?",
        kind: "extra",
        what: `route record host:${hostname} is not valid and names no tenant`,
        fix: "manual",
        how: "inspect it, and delete it by hand if it is stale",
      });
      continue;
    }
    orphan(
      owner,
      { type: "route-record", name: hostname },
      `route record host:${hostname}${pointsAt}: ${noRecord(owner)}`,
    );
    if (listings.hostnames.has(hostname)) {
      orphan(
        owner,
        { type: "custom-hostname", name: hostname },
        `custom hostname ${hostname}: routed to a tenant with ${noRecord(owner)}`,
      );
    }
  }
  return drift;
}
