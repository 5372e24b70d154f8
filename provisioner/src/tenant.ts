/**
 * Tenant lifecycle: create (converge to the spec), show, list, delete.
 *
 * Create is a plan-and-apply over deterministic names, in an order chosen so that a failure at
 * ANY API call leaves a state the next run converges from:
 *   validate + build (no API) -> read: tenant record, route records, regions, CNAME target
 *   -> tenant record `provisioning` -> D1 -> migrations -> KV -> Worker -> custom hostnames
 *   -> regional hostnames -> route records (the commit point) -> tenant record `active`.
 * Every resource step is find-or-create-or-adopt, so a re-run never duplicates; the tenant
 * record is written before the first resource, so delete always knows what to remove.
 *
 * The admin key: a tenant that never became active never showed its key, so a re-run mints a
 * new one (and uploads its hash). An active tenant keeps its key through re-runs, repairs and
 * template upgrades ("admin key unchanged").
 *
 * The dispatch proof is minted once and kept in the tenant record, which is written before it is
 * used anywhere (the Worker's DISPATCH_PROOF, the route records' `proof`), so a resumed run uses
 * the same value and the two can never disagree once create finishes. A tenant created before
 * proofs existed gets one on its next create (the record first, then the Worker and the routes).
 */
import { join } from "node:path";
import { ADMIN_KEY_ID, generateKey, hashKey } from "../../contracts/api-key.ts";
import { cachePrefix, tenantCachePrefix } from "../../contracts/cache-prefix.ts";
import { DEFAULT_REGISTRY_ID, splitRegistryRef } from "../../contracts/registry-ref.ts";
import type { Target } from "./config.ts";
import { generateDispatchProof as defaultGenerateDispatchProof } from "./dispatch-proof.ts";
import {
  cnameTarget as lookupCnameTarget,
  deleteCustomHostname,
  ensureCustomHostname,
  findCustomHostname,
  type CustomHostname,
} from "./custom-hostname.ts";
import { deleteD1Database, ensureD1Database, findD1Database, type D1Database } from "./d1-database.ts";
import { describeRef, InputError, StateConflictError, TenantNotFoundError } from "./errors.ts";
import {
  deleteKvKeys,
  deleteKvNamespace,
  ensureKvNamespace,
  findKvNamespace,
  KV_HEADROOM,
  KV_NAMESPACE_LIMIT,
  listKvNamespaces,
  type KvNamespace,
} from "./kv-namespace.ts";
import { applyMigrations, readMigrations, type Migration, type MigrationResult } from "./migrations.ts";
import { StepRunner, type ProgressListener, type StepDone } from "./progress.ts";
import {
  deleteRegionalHostname,
  ensureRegionalHostname,
  findRegion,
  getRegionalHostname,
  regionalCnameTarget,
  zoneNameOf,
  type Region,
  type RegionalHostname,
} from "./regional-hostname.ts";
import type { KvMode, Residency } from "../../contracts/tenant-record.ts";
import { type ResidencyProfile, residencyProfile } from "./residency.ts";
import {
  deleteRouteRecord,
  findRoutedHostnames,
  readRouteRecord,
  routeOwnerOf,
  sameRoute,
  writeRouteRecord,
  type RouteLookup,
  type RouteRecord,
} from "./route-record-store.ts";
import { buildTemplate, type TemplateBuild } from "./template-build.ts";
import { acquireTenantLease, type LeaseOperation, type LeaseOptions, type TenantLease } from "./tenant-lease.ts";
import {
  tenantNames,
  FLEET_TAG,
  migrationTag,
  refOfName,
  SHARED_CACHE_KV_TITLE,
  SUSPENDED_TAG,
  type TenantNames,
} from "./tenant-names.ts";
import {
  deleteTenantRecord,
  listTenantIds,
  listOtherRegistryRefs,
  readTenantRecord,
  writeTenantRecord,
  type TenantRecord,
} from "./tenant-record-store.ts";
import {
  DEFAULT_PLAN,
  isLocalOnlyHostname,
  parseTenantId,
  parseTenantSpec,
  PLANS,
  rateLimitOf,
  type ResolvedTenantSpec,
  type TenantSpecInput,
} from "./tenant-spec.ts";
import {
  addWorkerScriptTag,
  deleteWorkerScript,
  getWorkerScriptTags,
  listWorkerScriptsByTag,
  metadataFingerprint,
  tenantScriptMetadata,
  uploadWorkerScript,
} from "./worker-script.ts";

/** What the tenant operations need besides the spec. */
export interface TenantDeps {
  target: Target;
  /** tenant-template/ (default: the one in this repository). */
  templateDir?: string;
  /** tenant-template/migrations/ (default: the one in this repository). */
  migrationsDir?: string;
  /** Injectable for tests. */
  generateAdminKey?: () => string;
  generateDispatchProof?: () => string;
  now?: () => Date;
  /** Tuning of the tenant lease that serializes runs of create and delete (tests shorten it). */
  lease?: Partial<LeaseOptions>;
  /**
   * Upload the Worker even when the tags and the record say the live upload is current: `fleet
   * doctor --fix` found its bindings or secrets changed behind the record's back.
   */
  reuploadWorker?: boolean;
}

/** One DNS record the tenant (the owner of the hostname) must publish or know about. */
export interface DnsRecord {
  hostname: string;
  type: "CNAME" | "TXT" | "HTTP";
  name: string;
  value: string;
  purpose: string;
}

export interface ResidencySummary {
  residency: Residency;
  d1Jurisdiction: string | null;
  d1LocationHint: string | null;
  readReplication: "auto" | "disabled";
  regionalHostnameRegion: string | null;
  cacheMode: "on" | "off";
  guarantees: readonly string[];
  bestEffort: readonly string[];
  nonGuarantees: readonly string[];
  notes: readonly string[];
}

/**
 * The tenant's cache namespace: its own (`dedicated`), or the platform's shared one, where every
 * key the tenant's Worker writes is under `prefix`.
 */
export interface TenantKv extends KvNamespace {
  mode: KvMode;
  /** Shared mode only: `t/<id>/<D1 database id>/` (contracts/cache-prefix.ts). */
  prefix?: string;
}

export interface RouteSummary {
  hostname: string;
  /** Undefined when the hostname has no route record. The dispatch proof is never included. */
  record?: Omit<RouteRecord, "proof">;
}

/** Everything known about one tenant: what `show` prints and `create` ends with. */
export interface TenantReport {
  id: string;
  /** The tenant record's status, or "missing" when resources exist without a record. */
  status: "active" | "provisioning" | "missing";
  /** True when every resource exists and every hostname routes to this tenant. */
  complete: boolean;
  /** What is missing or wrong, one line each (empty when complete). */
  problems: string[];
  spec?: ResolvedTenantSpec;
  target: { kind: "local" | "cloudflare"; accountId: string; zoneId: string; dispatchNamespace: string };
  resources: {
    d1?: D1Database;
    kv?: TenantKv;
    script?: { name: string; tags: string[]; templateTag?: string };
    customHostnames: CustomHostname[];
    regionalHostnames: Array<RegionalHostname & { regionLabel?: string }>;
    routes: RouteSummary[];
  };
  dns: { records: DnsRecord[]; note?: string };
  residency?: ResidencySummary;
}

export interface CreateTenantResult extends TenantReport {
  /** False when the run changed nothing (a re-run over a complete tenant). */
  changed: boolean;
  steps: StepDone[];
  /** Migrations that were pending at the start of this run, with what happened to each. */
  migrations: MigrationResult[];
  /** The new admin key: present only when one was minted (shown once, never stored). */
  adminKey?: string;
  adminKeyStatus: "new" | "unchanged";
  templateTag: string;
  /** Why the tenant's cache is in its KV mode (asked for, kept, or chosen from the account's headroom). */
  kvModeReason: string;
}

export interface DeleteTenantResult {
  id: string;
  /** False when nothing of the tenant existed (deleting an unknown tenant is a success). */
  existed: boolean;
  steps: StepDone[];
  /** Hostnames routed to another tenant that were left alone. */
  skippedHostnames: Array<{ hostname: string; routedTo: string }>;
  /** The tenant's other registries, deleted first (a default registry's delete with allRegistries). */
  registries?: DeleteTenantResult[];
}

export interface TenantSummary {
  /** The registry's ref: the tenant id for its default registry, else `<tenant>:<registry>`. */
  id: string;
  /** The tenant that owns the registry, and the registry's id (`default` for the tenant id alone). */
  tenant: string;
  registry: string;
  /** "orphaned": a tenant script exists but no tenant record (delete it to clean up). */
  status: "active" | "provisioning" | "orphaned";
  residency?: Residency;
  plan?: string;
  kvMode?: KvMode;
  domains: string[];
  updatedAt?: string;
}

/**
 * Create a tenant, or converge an existing one to its spec. Input is validated before any API
 * call; a hostname routed to another tenant is refused before any write.
 *
 * @example
 *   const result = await createTenant(
 *     { id: "acme", domains: ["registry.acme.localhost"], residency: "eu" },
 *     { target },
 *     (event) => console.error(event),
 *   );
 *   result.adminKey // shown once
 */
export async function createTenant(
  input: TenantSpecInput,
  deps: TenantDeps,
  onProgress?: ProgressListener,
): Promise<CreateTenantResult> {
  const { target } = deps;
  const now = deps.now ?? (() => new Date());

  // --- No API call before this point is passed: input, migrations and the build are local. ---
  const requested = parseTenantSpec(input);
  if (target.kind === "cloudflare") {
    const localOnly = requested.domains.filter(isLocalOnlyHostname);
    if (localOnly.length > 0) {
      throw new InputError(
        localOnly.map((h) => `'${h}' only resolves on this machine: use a real domain when targeting Cloudflare`),
      );
    }
  }
  const steps = new StepRunner(onProgress);
  // WFP_TEMPLATE_DIR (the target's templateDir) names another checkout's template to build.
  const templateDir = deps.templateDir ?? target.templateDir;
  const migrations = await readMigrations(deps.migrationsDir ?? (templateDir && join(templateDir, "migrations")));
  const build = await steps.run("build", "Template build", async () => {
    const value = await buildTemplate(templateDir);
    return {
      value,
      outcome: "built",
      detail:
        `${value.tag}, ${(value.code.length / 1024).toFixed(0)} KiB, ${migrations.length} migration(s)` +
        (value.reused ? ", sources unchanged since the last build" : ""),
    };
  });

  // Runs of create and delete of one tenant take turns (tenant-lease.ts); this one's steps start
  // from a fresh read of what the runs before it left.
  const lease = await takeLease(target, requested.id, "create", steps, deps.lease);
  try {
    return await convergeTenant(requested, { ...deps, now }, steps, migrations, build);
  } finally {
    await lease.release();
  }
}

/** Create's read and apply phases, run while holding the tenant's lease. */
async function convergeTenant(
  requested: ReturnType<typeof parseTenantSpec>,
  deps: TenantDeps & { now: () => Date },
  steps: StepRunner,
  migrations: Migration[],
  build: TemplateBuild,
): Promise<CreateTenantResult> {
  const { target, now } = deps;
  const names = tenantNames(requested.id);

  // --- Read phase: everything that can refuse the request, before any write. ---
  const plan = await steps.run("check", `Hostnames ${requested.domains.join(", ")}`, async () => {
    const record = await readTenantRecord(target, requested.id);
    const routes = new Map<string, RouteLookup>();
    for (const hostname of requested.domains) {
      const lookup = await readRouteRecord(target, hostname);
      const owner = routeOwnerOf(lookup);
      if (owner !== undefined && owner !== requested.id) {
        throw new StateConflictError(
          `hostname '${hostname}' is already routed to ${describeRef(owner)}: ` +
            `use another hostname, or remove it from ${describeRef(owner)} first`,
        );
      }
      if (lookup.kind === "unreadable") {
        throw new StateConflictError(
          `hostname '${hostname}' has a route record that is not valid (key host:${hostname}); ` +
            `inspect it before using this hostname`,
        );
      }
      routes.set(hostname, lookup);
    }
    const kv = await chooseKvMode(target, names, requested.kvMode, record);
    const spec = resolveSpec(requested, record, kv.mode);
    const profile = residencyProfile(spec.residency, spec.locationHint ? { locationHint: spec.locationHint } : {});
    const region = profile.regionalHostname ? await findRegion(target, profile.regionalHostname) : undefined;
    // An eu or uk tenant's hostnames point at its residency's regional target; a global one's at
    // the zone's fallback origin.
    const cname =
      region === undefined
        ? await lookupCnameTarget(target)
        : regionalCnameTarget(spec.residency as "eu" | "uk", await zoneNameOf(target));
    const free = [...routes.values()].filter((l) => l.kind === "absent").length;
    return {
      value: { record, routes, spec, profile, region, cname, kv },
      outcome: "checked",
      detail: free === routes.size ? "free" : `${routes.size - free} already routed to ${requested.id}`,
    };
  });
  const { record: previous, routes, spec, profile, region, cname, kv: kvChoice } = plan;

  const wasActive = previous?.status === "active";
  const keepKey = wasActive && previous.adminKeyHash !== undefined;
  const adminKey = keepKey ? undefined : (deps.generateAdminKey ?? (() => generateKey(ADMIN_KEY_ID)))();
  const adminKeyHash = adminKey === undefined ? previous!.adminKeyHash! : await hashKey(adminKey);
  const createdAt = previous?.createdAt ?? now().toISOString();
  const dispatchProof = previous?.dispatchProof ?? (deps.generateDispatchProof ?? defaultGenerateDispatchProof)();
  // An operator's suspension (tenant suspend) survives a re-run: routes stay suspended, the tag stays.
  const suspension = previous?.suspension;

  // --- Apply phase. ---
  if (!wasActive) {
    await steps.run("tenant-record", `Tenant record ${names.tenantKey}`, async () => {
      if (previous && sameSpec(previous.spec, spec) && previous.dispatchProof === dispatchProof) {
        return { value: undefined, outcome: "unchanged", detail: "provisioning" };
      }
      await writeTenantRecord(target, {
        tenantId: spec.id,
        status: "provisioning",
        spec,
        resources: previous?.resources ?? {},
        dispatchProof,
        ...(suspension ? { suspension } : {}),
        createdAt,
        updatedAt: now().toISOString(),
      });
      return { value: undefined, outcome: "written", detail: "provisioning" };
    });
  } else if (previous.dispatchProof === undefined) {
    // An active tenant from before dispatch proofs: keep the new proof before anything uses it.
    await steps.run("tenant-record", `Tenant record ${names.tenantKey}`, async () => {
      await writeTenantRecord(target, { ...previous, dispatchProof, updatedAt: now().toISOString() });
      return { value: undefined, outcome: "written", detail: "new dispatch proof" };
    });
  }

  const database = await steps.run("d1", `D1 database ${names.d1Database}`, async () => {
    const { database, action, readReplication } = await ensureD1Database(target, {
      name: names.d1Database,
      ...(profile.d1.jurisdiction ? { jurisdiction: profile.d1.jurisdiction } : {}),
      ...(profile.d1.primaryLocationHint ? { primaryLocationHint: profile.d1.primaryLocationHint } : {}),
      readReplication: profile.d1.readReplication,
    });
    const where = profile.d1.jurisdiction
      ? `jurisdiction ${profile.d1.jurisdiction}`
      : `location hint ${profile.d1.primaryLocationHint}`;
    const replication = readReplication.changed
      ? `read replication set to ${profile.d1.readReplication} (it was ${readReplication.was})`
      : `read replication ${profile.d1.readReplication}`;
    return { value: database, outcome: action, detail: `${where}, ${replication}` };
  });

  const migrationResults = await steps.run("migrations", `Migrations on ${names.d1Database}`, async () => {
    const outcome = await applyMigrations(target, database.id, database.name, migrations);
    if (outcome.error) {
      const lines = outcome.results.map((r) => `${r.migrationName}: ${r.status}`).join(", ");
      throw Object.assign(outcome.error, { message: `${outcome.error.message} (${lines})` });
    }
    const applied = outcome.results.filter((r) => r.status === "Success").map((r) => r.migrationName);
    return applied.length > 0
      ? { value: outcome.results, outcome: "applied", detail: `${applied.length} applied: ${applied.join(", ")}` }
      : { value: outcome.results, outcome: "unchanged", detail: `${outcome.alreadyApplied.length} already applied` };
  });

  // Shared mode: the platform's one cache namespace, every key of this tenant under a prefix that
  // names its database too, so a tenant created again under the same id starts with an empty cache.
  const shared = spec.kvMode === "shared";
  const prefix = shared ? cachePrefix(spec.id, database.id) : undefined;
  const kvTitle = shared ? SHARED_CACHE_KV_TITLE : names.kvNamespace;
  const namespace = await steps.run("kv", `KV namespace ${kvTitle}`, async () => {
    const known = kvChoice.known === undefined ? undefined : kvChoice.known[spec.kvMode];
    const { namespace, action } = await ensureKvNamespace(target, kvTitle, known);
    const where = shared ? `shared, keys under ${prefix}` : "dedicated";
    const why = kvChoice.automatic ? ` (${kvChoice.reason})` : "";
    return { value: namespace, outcome: action, detail: `${where}${why}, cache ${spec.cacheMode}` };
  });

  // The version and the migration level, so the fleet's "who runs what" is one listing by tag.
  const scriptTags = [...names.scriptTags, build.tag, migrationTag(migrations.at(-1)?.name)];
  const script = await steps.run("worker", `Worker ${names.script}`, async () => {
    const metadata = tenantScriptMetadata(
      build,
      {
        d1DatabaseId: database.id,
        kvNamespaceId: namespace.id,
        ...(prefix === undefined ? {} : { cachePrefix: prefix }),
        tenantId: spec.id,
        templateVersion: build.version,
        residency: spec.residency,
        cacheMode: spec.cacheMode,
        adminKeyHash,
        dispatchProof,
      },
      suspension ? [...scriptTags, SUSPENDED_TAG] : scriptTags,
    );
    // The suspended tag comes and goes without an upload (tenant suspend / resume), so it is no part
    // of what says "this exact upload is live".
    const fingerprint = metadataFingerprint({ ...metadata, tags: scriptTags });
    const liveTags = await getWorkerScriptTags(target, names.script);
    // The fingerprint leaves secret values out, so a proof minted by this run forces an upload.
    const current =
      deps.reuploadWorker !== true &&
      keepKey &&
      previous?.dispatchProof !== undefined &&
      liveTags?.includes(build.tag) === true &&
      previous?.resources.script?.metadataFingerprint === fingerprint;
    const uploadedTags = suspension ? [...scriptTags, SUSPENDED_TAG] : scriptTags;
    const value = { name: names.script, tags: current ? liveTags : uploadedTags, fingerprint };
    if (current) {
      const tagsNow = liveTags ?? [];
      if (suspension && !tagsNow.includes(SUSPENDED_TAG)) {
        await addWorkerScriptTag(target, names.script, SUSPENDED_TAG);
        const tagged = { ...value, tags: [...tagsNow, SUSPENDED_TAG] };
        return { value: tagged, outcome: "updated", detail: "tagged suspended" };
      }
      return { value, outcome: "unchanged", detail: `${build.tag}, admin key unchanged` };
    }
    await uploadWorkerScript(target, names.script, build, metadata);
    return {
      value,
      outcome: liveTags === undefined ? "created" : "uploaded",
      detail: `${build.tag}, ${adminKey === undefined ? "admin key unchanged" : "new admin key"}`,
    };
  });

  const customHostnames: CustomHostname[] = [];
  for (const hostname of spec.domains) {
    customHostnames.push(
      await steps.run("custom-hostname", `Custom hostname ${hostname}`, async () => {
        const { hostname: h, action } = await ensureCustomHostname(target, hostname);
        return {
          value: h,
          outcome: action,
          detail: `status ${h.status ?? "unknown"}, ssl ${h.sslStatus ?? "unknown"}`,
        };
      }),
    );
  }

  // One regional hostname per residency, in the SaaS zone, shared by its tenants (made by the
  // first of them, or by platform init); never one for the tenant's own domain, which is outside
  // the zone (Cloudflare refuses it).
  const regionalHostnames: Array<RegionalHostname & { regionLabel?: string }> = [];
  if (region && cname !== undefined) {
    regionalHostnames.push(
      await steps.run("regional-hostname", `Regional CNAME target ${cname}`, async () => {
        const { regionalHostname, action } = await ensureRegionalHostname(target, cname, region);
        return {
          value: { ...regionalHostname, regionLabel: region.label },
          outcome: action,
          detail: `region ${region.key} (${region.label}); the tenant's hostnames point here`,
        };
      }),
    );
  }

  const routeSummaries: RouteSummary[] = [];
  for (const hostname of spec.domains) {
    routeSummaries.push(
      await steps.run("route-record", `Route host:${hostname}`, async () => {
        const existing = routes.get(hostname);
        // An operator's suspension survives a re-run of create.
        const status = suspension !== undefined || suspended(existing) ? "suspended" : "active";
        const desired = routeRecordFor(spec, dispatchProof, status, now());
        if (existing?.kind === "route" && sameRoute(existing.record, desired)) {
          return {
            value: { hostname, record: withoutProof(existing.record) },
            outcome: "unchanged",
            detail: `-> ${names.script}`,
          };
        }
        await writeRouteRecord(target, hostname, desired);
        return {
          value: { hostname, record: withoutProof(desired) },
          outcome: "written",
          detail: `-> ${names.script}, plan ${spec.plan}`,
        };
      }),
    );
  }

  const resources: TenantRecord["resources"] = {
    d1: { name: database.name, id: database.id, jurisdiction: database.jurisdiction ?? null },
    kv: { title: namespace.title, id: namespace.id, ...(prefix === undefined ? {} : { prefix }) },
    script: { name: names.script, tag: build.tag, metadataFingerprint: script.fingerprint },
    customHostnames: customHostnames.map((h) => ({ hostname: h.hostname, id: h.id })),
    ...(previous?.resources.regionalHostnames ? { regionalHostnames: previous.resources.regionalHostnames } : {}),
    ...(regionalHostnames[0] !== undefined
      ? { regionalTarget: { hostname: regionalHostnames[0].hostname, regionKey: regionalHostnames[0].regionKey } }
      : {}),
    migrations: migrations.map((m) => m.name),
  };
  await steps.run("tenant-record", `Tenant record ${names.tenantKey}`, async () => {
    const finalRecord: TenantRecord = {
      tenantId: spec.id,
      status: "active",
      spec,
      resources,
      adminKeyHash,
      dispatchProof,
      ...(suspension ? { suspension } : {}),
      createdAt,
      updatedAt: now().toISOString(),
    };
    if (wasActive && sameRecord(previous, finalRecord))
      return { value: undefined, outcome: "unchanged", detail: "active" };
    await writeTenantRecord(target, finalRecord);
    return { value: undefined, outcome: "written", detail: "active" };
  });

  return {
    id: spec.id,
    status: "active",
    complete: true,
    problems: [],
    spec,
    target: targetSummary(target),
    resources: {
      d1: database,
      kv: { ...namespace, mode: spec.kvMode, ...(prefix === undefined ? {} : { prefix }) },
      script: { name: script.name, tags: script.tags, templateTag: build.tag },
      customHostnames,
      regionalHostnames,
      routes: routeSummaries,
    },
    dns: dnsInstructions(target, customHostnames, cname, spec.id),
    residency: residencySummary(spec, profile, region, target),
    changed: steps.changedAnything(),
    steps: steps.done,
    migrations: migrationResults,
    ...(adminKey === undefined ? {} : { adminKey }),
    adminKeyStatus: adminKey === undefined ? "unchanged" : "new",
    templateTag: build.tag,
    kvModeReason: kvChoice.reason,
  };
}

/** Create's decision on where the tenant's cache lives, and what deciding it found. */
interface KvChoice {
  mode: KvMode;
  /** Why, as the output says it. */
  reason: string;
  /** True when neither the operator nor the tenant record chose: the account's headroom did. */
  automatic: boolean;
  /** What the account's listing found under each mode's title (null: not there); absent: not listed. */
  known?: Record<KvMode, KvNamespace | null>;
}

/**
 * Where a tenant's cache lives. An existing tenant keeps its mode (resolveSpec refuses another);
 * `--kv` decides for a new one; otherwise dedicated, unless fewer than KV_HEADROOM namespaces are
 * left under the account's limit. That is read from one listing of the account's namespaces, the
 * listing a new tenant's create made anyway to find its namespace (which the KV step then reuses),
 * so deciding costs no extra call.
 */
async function chooseKvMode(
  target: Target,
  names: TenantNames,
  requested: KvMode | undefined,
  record: TenantRecord | undefined,
): Promise<KvChoice> {
  if (record)
    return { mode: record.spec.kvMode, reason: "the tenant's KV mode since it was created", automatic: false };
  if (requested) return { mode: requested, reason: `asked for with --kv ${requested}`, automatic: false };
  const all = await listKvNamespaces(target);
  const known: Record<KvMode, KvNamespace | null> = {
    dedicated: all.find((ns) => ns.title === names.kvNamespace) ?? null,
    shared: all.find((ns) => ns.title === SHARED_CACHE_KV_TITLE) ?? null,
  };
  // Its own namespace from an earlier run that left no record: keep using it.
  if (known.dedicated) return { mode: "dedicated", reason: "its namespace exists already", automatic: true, known };
  const limit = target.kvNamespaceLimit ?? KV_NAMESPACE_LIMIT;
  const free = limit - all.length;
  const counted = `${free} of the account's ${limit.toLocaleString("en")} KV namespaces free`;
  return free < KV_HEADROOM
    ? { mode: "shared", reason: `chosen automatically: ${counted}, fewer than ${KV_HEADROOM}`, automatic: true, known }
    : { mode: "dedicated", reason: `the default: ${counted}`, automatic: false, known };
}

/**
 * Fill the spec's defaults; an existing tenant keeps its own values where the request is silent
 * and refuses changes that cannot be applied in place.
 */
function resolveSpec(
  requested: ReturnType<typeof parseTenantSpec>,
  record: TenantRecord | undefined,
  kvMode: KvMode,
): ResolvedTenantSpec {
  if (record) {
    const problems: string[] = [];
    if (requested.residency !== undefined && requested.residency !== record.spec.residency) {
      problems.push(
        `residency is ${record.spec.residency} and cannot change in place ` +
          `(the database's jurisdiction is fixed at creation)`,
      );
    }
    const had = [...record.spec.domains].sort().join(", ");
    const wants = [...requested.domains].sort().join(", ");
    if (had !== wants) {
      problems.push(
        `its domains are ${had}, this request has ${wants} ` +
          `(change them with 'npm run tenant -- domains add|remove ${requested.id} <host>')`,
      );
    }
    if (requested.kvMode !== undefined && requested.kvMode !== record.spec.kvMode) {
      problems.push(
        `its KV mode is ${record.spec.kvMode} and cannot change in place ` +
          `(its cache lives in ${record.spec.kvMode === "shared" ? "the shared namespace" : "its own namespace"})`,
      );
    }
    if (problems.length > 0) {
      throw new StateConflictError(
        `tenant '${requested.id}' already exists (${record.status}) and ${problems.join("; ")}. ` +
          `Re-run create with the tenant's current domains, residency and KV mode (or no --kv) to finish or ` +
          `repair it, or delete the tenant first to start over.`,
      );
    }
  }
  const residency = requested.residency ?? record?.spec.residency ?? "global";
  const locationHint = requested.locationHint ?? record?.spec.locationHint;
  const profile = residencyProfile(residency, locationHint ? { locationHint } : {});
  const requestsPerMinute = requested.requestsPerMinute ?? record?.spec.requestsPerMinute;
  return {
    id: requested.id,
    domains: requested.domains,
    residency,
    plan: requested.plan ?? record?.spec.plan ?? DEFAULT_PLAN,
    ...(residency === "global" ? { locationHint: profile.d1.primaryLocationHint! } : {}),
    cacheMode: requested.cacheMode ?? record?.spec.cacheMode ?? profile.defaultCacheMode,
    kvMode,
    corsOrigins: requested.corsOrigins ?? record?.spec.corsOrigins ?? [],
    ...(requestsPerMinute !== undefined ? { requestsPerMinute } : {}),
  };
}

/**
 * The route record of a tenant's hostname for its spec: the plan's limits, the rate limit, CORS.
 *
 * @example
 *   routeRecordFor(spec, record.dispatchProof, "active", new Date()).rateLimit.requestsPerMinute // 600
 */
export function routeRecordFor(
  spec: ResolvedTenantSpec,
  dispatchProof: string,
  status: RouteRecord["status"],
  now: Date,
): RouteRecord {
  return {
    tenantId: spec.id,
    script: tenantNames(spec.id).script,
    status,
    limits: { cpuMs: PLANS[spec.plan].cpuMs, subRequests: PLANS[spec.plan].subRequests },
    plan: spec.plan,
    proof: dispatchProof,
    rateLimit: rateLimitOf(spec),
    corsOrigins: [...spec.corsOrigins],
    residency: spec.residency,
    updatedAt: now.toISOString(),
  };
}

/** Whether an operator suspended the hostname (a re-run of create keeps that). */
export function suspended(lookup: RouteLookup | undefined): boolean {
  if (lookup?.kind === "route") return lookup.record.status === "suspended";
  return lookup?.kind === "outdated" && lookup.owner.status === "suspended";
}

/** A route record as it may be shown: the dispatch proof is a secret. */
export function withoutProof(record: RouteRecord): Omit<RouteRecord, "proof"> {
  const { proof: _proof, ...shown } = record;
  return shown;
}

function sameSpec(a: ResolvedTenantSpec, b: ResolvedTenantSpec): boolean {
  return JSON.stringify(canonicalSpec(a)) === JSON.stringify(canonicalSpec(b));
}

function canonicalSpec(s: ResolvedTenantSpec): unknown {
  return [
    s.id,
    [...s.domains].sort(),
    s.residency,
    s.plan,
    s.locationHint ?? null,
    s.cacheMode,
    s.kvMode,
    [...(s.corsOrigins ?? [])].sort(),
    s.requestsPerMinute ?? null,
  ];
}

function sameRecord(a: TenantRecord, b: TenantRecord): boolean {
  const strip = (r: TenantRecord): unknown => ({ ...r, spec: canonicalSpec(r.spec), updatedAt: undefined });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

export function targetSummary(target: Target): TenantReport["target"] {
  return {
    kind: target.kind,
    accountId: target.accountId,
    zoneId: target.zoneId,
    dispatchNamespace: target.dispatchNamespace,
  };
}

function residencySummary(
  spec: ResolvedTenantSpec,
  profile: ResidencyProfile,
  region: Region | undefined,
  target: Pick<Target, "kind">,
): ResidencySummary {
  return {
    residency: spec.residency,
    d1Jurisdiction: profile.d1.jurisdiction ?? null,
    d1LocationHint: profile.d1.primaryLocationHint ?? null,
    readReplication: profile.d1.readReplication,
    regionalHostnameRegion: region ? (region.label ? `${region.key} (${region.label})` : region.key) : null,
    cacheMode: spec.cacheMode,
    guarantees: profile.guarantees,
    bestEffort: profile.bestEffort,
    nonGuarantees: profile.nonGuarantees,
    notes: [
      ...profile.notes,
      // What the local platform records is what Cloudflare would be asked for; nothing is placed.
      ...(target.kind === "local"
        ? [
            "On the local platform residency is simulated: every database, cache and Worker runs on this " +
              "machine; the jurisdiction, replication and regional targets are recorded as Cloudflare would " +
              "be asked for them, so the choices can be tested, not where data lives.",
          ]
        : []),
      ...(spec.cacheMode !== profile.defaultCacheMode
        ? [`The KV cache is ${spec.cacheMode} by request (this profile's default is ${profile.defaultCacheMode}).`]
        : []),
    ],
  };
}

/**
 * The DNS records a tenant must publish for its hostnames: the CNAME that brings traffic to the
 * platform, the ownership TXT, and the certificate validation records.
 *
 * @example
 *   dnsInstructions(target, [hostname], "customers.saas.example").records[0]
 *   // { hostname: "registry.acme.com", type: "CNAME", name: "registry.acme.com",
 *   //   value: "customers.saas.example", ... }
 */
export function dnsInstructions(
  target: Target,
  hostnames: readonly CustomHostname[],
  cname: string | undefined,
  tenantId = "<id>",
): TenantReport["dns"] {
  const records: DnsRecord[] = [];
  for (const h of hostnames) {
    records.push({
      hostname: h.hostname,
      type: "CNAME",
      name: h.hostname,
      value: cname ?? "<your SaaS zone's CNAME target / fallback origin; set WFP_CNAME_TARGET>",
      purpose: "sends the hostname's traffic to the platform",
    });
    if (h.ownershipVerification) {
      records.push({
        hostname: h.hostname,
        type: "TXT",
        name: h.ownershipVerification.name,
        value: h.ownershipVerification.value,
        purpose: "proves ownership of the hostname",
      });
    }
    for (const v of h.validationRecords) {
      if (v.txtName && v.txtValue) {
        records.push({
          hostname: h.hostname,
          type: "TXT",
          name: v.txtName,
          value: v.txtValue,
          purpose: "SSL certificate validation",
        });
      }
      if (v.cname && v.cnameTarget) {
        records.push({
          hostname: h.hostname,
          type: "CNAME",
          name: v.cname,
          value: v.cnameTarget,
          purpose: "SSL certificate validation",
        });
      }
      if (v.httpUrl && v.httpBody) {
        records.push({
          hostname: h.hostname,
          type: "HTTP",
          name: v.httpUrl,
          value: v.httpBody,
          purpose: "SSL certificate validation: served automatically once the CNAME is in place, nothing to add",
        });
      }
    }
  }
  const notes: string[] = [];
  const awaiting = hostnames.filter(
    (h) => h.validationRecords.length === 0 && h.sslStatus !== undefined && h.sslStatus !== "active",
  );
  if (awaiting.length > 0) {
    notes.push(
      `Certificate validation records for ${awaiting.map((h) => h.hostname).join(", ")} are not issued yet ` +
        `(ssl ${awaiting[0]!.sslStatus}): run 'npm run tenant -- show ${tenantId}' in a minute to see them.`,
    );
  }
  if (target.kind === "local" && hostnames.length > 0 && hostnames.every((h) => isLocalOnlyHostname(h.hostname))) {
    notes.push("*.localhost resolves to 127.0.0.1: on this machine no DNS change is needed.");
  }
  return { records, ...(notes.length > 0 ? { note: notes.join(" ") } : {}) };
}

/**
 * Everything known about a tenant, read-only. Throws {@link TenantNotFoundError} when there is no
 * record and nothing named after the tenant.
 *
 * @example
 *   const report = await showTenant("acme", { target });
 *   report.complete // true
 */
export async function showTenant(id: string, deps: TenantDeps): Promise<TenantReport> {
  const tenantId = parseTenantId(id);
  const { target } = deps;
  const names = tenantNames(tenantId);
  const record = await readTenantRecord(target, tenantId);
  const domains = record ? record.spec.domains : await findRoutedHostnames(target, tenantId);

  const d1 = await findD1Database(target, names.d1Database);
  // A shared-mode tenant's cache is the shared namespace under its prefix; without a record the
  // mode is unknown, and only a namespace of its own says anything of it.
  const shared = record?.spec.kvMode === "shared";
  const ownKv = shared ? undefined : await findKvNamespace(target, names.kvNamespace);
  const sharedKv = shared ? await findKvNamespace(target, SHARED_CACHE_KV_TITLE) : undefined;
  const prefix = record?.resources.kv?.prefix;
  const kv: TenantKv | undefined = shared
    ? sharedKv && { ...sharedKv, mode: "shared", ...(prefix === undefined ? {} : { prefix }) }
    : ownKv && { ...ownKv, mode: "dedicated" };
  const tags = await getWorkerScriptTags(target, names.script);
  const customHostnames: CustomHostname[] = [];
  const routes: RouteSummary[] = [];
  const regionalHostnames: Array<RegionalHostname & { regionLabel?: string }> = [];
  const problems: string[] = [];
  const residency = record?.spec.residency;
  const regionalTarget =
    residency === "eu" || residency === "uk" ? regionalCnameTarget(residency, await zoneNameOf(target)) : undefined;
  if (regionalTarget !== undefined) {
    const regional = await getRegionalHostname(target, regionalTarget);
    if (regional) regionalHostnames.push(regional);
    else problems.push(`regional CNAME target ${regionalTarget} is missing: re-run create`);
  }

  for (const hostname of domains) {
    const custom = await findCustomHostname(target, hostname);
    if (custom) customHostnames.push(custom);
    else problems.push(`custom hostname ${hostname} is missing`);
    const lookup = await readRouteRecord(target, hostname);
    const owner = routeOwnerOf(lookup);
    routes.push(lookup.kind === "route" ? { hostname, record: withoutProof(lookup.record) } : { hostname });
    if (owner === undefined) {
      problems.push(
        lookup.kind === "unreadable"
          ? `${hostname}'s route record is not valid (key host:${hostname}): the dispatcher refuses it`
          : `${hostname} has no route record (not reachable)`,
      );
    } else if (owner !== tenantId) problems.push(`${hostname} is routed to tenant '${owner}'`);
    else if (suspended(lookup)) problems.push(`${hostname} is suspended`);
    else if (lookup.kind === "outdated") {
      problems.push(`${hostname}'s route record predates dispatch proofs, so the dispatcher refuses it: re-run create`);
    }
  }

  if (!record && !d1 && !ownKv && tags === undefined && customHostnames.length === 0) {
    throw new TenantNotFoundError(tenantId);
  }
  if (!record) problems.unshift("no tenant record: resources exist without one (re-run create to repair, or delete)");
  else if (record.status !== "active")
    problems.unshift("provisioning did not finish: re-run create with the same spec");
  if (!d1) problems.push(`D1 database ${names.d1Database} is missing`);
  if (shared) {
    if (!sharedKv) problems.push(`the shared KV namespace ${SHARED_CACHE_KV_TITLE} is missing: re-run create`);
    // The prefix is recorded when the tenant becomes active; before that, "did not finish" says it.
    if (record?.status === "active" && d1 && prefix !== cachePrefix(tenantId, d1.id)) {
      problems.push(`the cache prefix is not the one of database ${d1.id}: re-run create`);
    }
  } else if (!ownKv) problems.push(`KV namespace ${names.kvNamespace} is missing`);
  if (tags === undefined) problems.push(`Worker ${names.script} is missing`);

  const templateTag = tags?.find((t) => t.startsWith("tpl-"));
  const profile = record
    ? residencyProfile(
        record.spec.residency,
        record.spec.locationHint ? { locationHint: record.spec.locationHint } : {},
      )
    : undefined;
  const regionKey = regionalHostnames[0]?.regionKey;
  return {
    id: tenantId,
    status: record?.status ?? "missing",
    complete: problems.length === 0,
    problems,
    ...(record ? { spec: record.spec } : {}),
    target: targetSummary(target),
    resources: {
      ...(d1 ? { d1 } : {}),
      ...(kv ? { kv } : {}),
      ...(tags !== undefined ? { script: { name: names.script, tags, ...(templateTag ? { templateTag } : {}) } } : {}),
      customHostnames,
      regionalHostnames,
      routes,
    },
    dns: dnsInstructions(target, customHostnames, regionalTarget ?? (await lookupCnameTarget(target)), tenantId),
    ...(record && profile
      ? {
          residency: residencySummary(
            record.spec,
            profile,
            regionKey ? { key: regionKey, label: "" } : undefined,
            target,
          ),
        }
      : {}),
  };
}

/**
 * Every tenant with a record, plus tenant scripts left without one ("orphaned").
 *
 * @example
 *   for (const t of await listTenants({ target })) console.log(t.id, t.status);
 */
export async function listTenants(deps: TenantDeps): Promise<TenantSummary[]> {
  const { target } = deps;
  const summaries: TenantSummary[] = [];
  for (const id of await listTenantIds(target)) {
    const record = await readTenantRecord(target, id);
    if (!record) continue; // deleted between the list and the read
    summaries.push({
      id,
      ...registryOf(id),
      status: record.status,
      residency: record.spec.residency,
      plan: record.spec.plan,
      kvMode: record.spec.kvMode,
      domains: record.spec.domains,
      updatedAt: record.updatedAt,
    });
  }
  const known = new Set(summaries.map((s) => s.id));
  for (const script of await listWorkerScriptsByTag(target, FLEET_TAG)) {
    const id = refOfName("script", script) ?? script;
    if (!known.has(id)) summaries.push({ id, ...registryOf(id), status: "orphaned", domains: [] });
  }
  return summaries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function registryOf(ref: string): { tenant: string; registry: string } {
  const { tenantId, registryId } = splitRegistryRef(ref);
  return { tenant: tenantId, registry: registryId };
}

/**
 * Whether anything of a tenant exists: its record, Worker, D1 database, own KV namespace or a
 * hostname routed to it (what delete can find). Cheapest first; stops at the first found. Delete
 * uses it to answer "no such tenant" (exit 4) while a partly-created tenant is still deletable.
 *
 * @example
 *   await tenantExists(target, "acme") // true
 */
export async function tenantExists(target: Target, tenantId: string): Promise<boolean> {
  const names = tenantNames(tenantId);
  if ((await readTenantRecord(target, tenantId)) !== undefined) return true;
  if ((await getWorkerScriptTags(target, names.script)) !== undefined) return true;
  if ((await findD1Database(target, names.d1Database)) !== undefined) return true;
  if ((await findKvNamespace(target, names.kvNamespace)) !== undefined) return true;
  return (await findRoutedHostnames(target, tenantId)).length > 0;
}

/**
 * Delete everything a tenant has, in reverse order of creation: route records first (traffic
 * stops), then regional and custom hostnames, the Worker, KV, D1, and the tenant record last.
 * Anything already gone counts as deleted (the CLI says "no such tenant" first: `mustExist`);
 * without a record, resources are found by their
 * deterministic names and hostnames by their route records. A hostname routed to another
 * tenant is never touched.
 *
 * @example
 *   const { existed } = await deleteTenant("acme", { target }, onProgress);
 */
export async function deleteTenant(
  id: string,
  deps: TenantDeps,
  onProgress?: ProgressListener,
  /**
   * mustExist: throw {@link TenantNotFoundError} (checked under the lease) when nothing of it exists.
   * allRegistries: a tenant's default registry is deleted only when the tenant has no other
   * registry (else {@link StateConflictError}, nothing deleted), unless this is set: then each
   * other registry is deleted first, in full, each under its own lease.
   */
  options: { mustExist?: boolean; allRegistries?: boolean } = {},
): Promise<DeleteTenantResult> {
  const tenantId = parseTenantId(id);
  const steps = new StepRunner(onProgress);
  const others: DeleteTenantResult[] = [];
  if (splitRegistryRef(tenantId).registryId === DEFAULT_REGISTRY_ID) {
    const refs = await listOtherRegistryRefs(deps.target, tenantId);
    if (refs.length > 0 && options.allRegistries !== true) {
      throw new StateConflictError(
        `tenant '${tenantId}' has ${refs.length} other registr${refs.length === 1 ? "y" : "ies"} ` +
          `(${refs.join(", ")}), which would be left without their tenant: delete ` +
          `${refs.length === 1 ? "it" : "them"} first ('npm run tenant -- registry delete ${tenantId} <registry>'), ` +
          `or delete the whole tenant with --all-registries. Nothing was deleted.`,
      );
    }
    for (const ref of refs) others.push(await deleteTenant(ref, deps, onProgress));
  }
  const lease = await takeLease(deps.target, tenantId, "delete", steps, deps.lease);
  try {
    // Under the lease, so a delete that waited for a create sees what the create made.
    if (options.mustExist && !(await tenantExists(deps.target, tenantId))) throw new TenantNotFoundError(tenantId);
    const result = await removeTenant(tenantId, deps, steps);
    return others.length > 0 ? { ...result, registries: others } : result;
  } finally {
    await lease.release();
  }
}

/** Delete's steps, run while holding the tenant's lease. */
async function removeTenant(tenantId: string, deps: TenantDeps, steps: StepRunner): Promise<DeleteTenantResult> {
  const { target } = deps;
  const names = tenantNames(tenantId);
  const record = await readTenantRecord(target, tenantId);
  const domains = record
    ? unique([
        ...record.spec.domains,
        ...(record.resources.customHostnames ?? []).map((h) => h.hostname),
        ...(record.resources.regionalHostnames ?? []).map((h) => h.hostname),
      ])
    : await findRoutedHostnames(target, tenantId);

  const ours: string[] = [];
  const skippedHostnames: DeleteTenantResult["skippedHostnames"] = [];
  for (const hostname of domains) {
    await steps.run("route-record", `Route host:${hostname}`, async () => {
      const lookup = await readRouteRecord(target, hostname);
      const owner = routeOwnerOf(lookup);
      if (owner !== undefined && owner !== tenantId) {
        skippedHostnames.push({ hostname, routedTo: owner });
        return { value: undefined, outcome: "skipped", detail: `routed to tenant '${owner}', left alone` };
      }
      ours.push(hostname);
      return { value: undefined, outcome: await deleteRouteRecord(target, hostname, lookup) };
    });
  }

  // Only regional hostnames of the tenant's own domains, which tenants created before the
  // regional targets have; the residency's target (`eu.<zone>`) is shared and stays.
  const legacyRegional = new Set((record?.resources.regionalHostnames ?? []).map((h) => h.hostname));
  for (const hostname of ours.filter((h) => legacyRegional.has(h))) {
    await steps.run("regional-hostname", `Regional hostname ${hostname}`, async () => ({
      value: undefined,
      outcome: await deleteRegionalHostname(target, hostname),
    }));
  }
  for (const hostname of ours) {
    await steps.run("custom-hostname", `Custom hostname ${hostname}`, async () => ({
      value: undefined,
      outcome: await deleteCustomHostname(target, hostname),
    }));
  }
  await steps.run("worker", `Worker ${names.script}`, async () => ({
    value: undefined,
    outcome: await deleteWorkerScript(target, names.script),
  }));
  // A tenant record says the mode; without one, both are cleaned up.
  const mode = record?.spec.kvMode;
  if (mode !== "shared") {
    await steps.run("kv", `KV namespace ${names.kvNamespace}`, async () => ({
      value: undefined,
      outcome: await deleteKvNamespace(target, names.kvNamespace),
    }));
  }
  if (mode !== "dedicated") {
    // Its entries in the shared namespace, of every incarnation of the id; never the namespace,
    // which other tenants use. KV lists eventually: an entry written in the last minute may be
    // missed, and then expires with its TTL, under a prefix no later tenant asks for.
    const everyIncarnation = tenantCachePrefix(tenantId);
    await steps.run("kv", `KV keys ${everyIncarnation} in ${SHARED_CACHE_KV_TITLE}`, async () => {
      const sharedKv = await findKvNamespace(target, SHARED_CACHE_KV_TITLE);
      if (!sharedKv) return { value: undefined, outcome: "already gone", detail: "no shared namespace" };
      const count = await deleteKvKeys(target, sharedKv.id, everyIncarnation);
      return {
        value: undefined,
        outcome: count > 0 ? "deleted" : "already gone",
        detail: `${count} key(s); the shared namespace stays`,
      };
    });
  }
  await steps.run("d1", `D1 database ${names.d1Database}`, async () => {
    const outcome = await deleteD1Database(target, names.d1Database);
    return { value: undefined, outcome, ...(outcome === "deleted" ? { detail: "with all its data" } : {}) };
  });
  await steps.run("tenant-record", `Tenant record ${names.tenantKey}`, async () => {
    if (!record) return { value: undefined, outcome: "already gone" };
    await deleteTenantRecord(target, tenantId);
    return { value: undefined, outcome: "deleted" };
  });

  return {
    id: tenantId,
    existed: record !== undefined || steps.done.some((s) => s.outcome === "deleted"),
    steps: steps.done,
    skippedHostnames,
  };
}

/**
 * Take the tenant's lease; a run that had to wait says so as a "lease" step (one that got it at
 * once adds no step, so the usual output is unchanged).
 */
export async function takeLease(
  target: Target,
  tenantId: string,
  operation: LeaseOperation,
  steps: StepRunner,
  options: Partial<LeaseOptions> | undefined,
): Promise<TenantLease> {
  const lease = await acquireTenantLease(target, tenantId, operation, options);
  if (lease.waitedFor.length > 0) {
    const others = lease.waitedFor.map((h) => `${h.operation} by ${h.owner}`).join(", ");
    steps.report({
      step: "lease",
      label: `Lease on tenant ${tenantId}`,
      outcome: "waited",
      detail: `for ${others} to finish; continuing from what it left`,
      durationMs: lease.waitedMs,
    });
  }
  return lease;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
