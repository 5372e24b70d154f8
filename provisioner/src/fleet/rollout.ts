/**
 * Rolling a template version out to every tenant, and back.
 *
 * Who runs what comes from one listing of the fleet's scripts by tag (each carries `tpl-<version>`
 * and `mig-<level>`): one call per 1,000 tenants. A rollout moves canary tenants first, then waves;
 * each tenant's migrations before its code (tenant-upgrade.ts), in parallel up to the shared rate
 * limiter. It halts when failures pass the budget; a failing canary touches no other tenant; a
 * tenant whose new version does not answer healthy is put back on the version it ran.
 *
 * The rollout record (`fleet:rollout` in the routing store) keeps what a re-run and a rollback need:
 * the version rolled out, and the version each tenant ran before. A re-run of the same version
 * continues: tenants already at it are skipped (their tags say so). One rollout or rollback at a
 * time (tenant-lease.ts, acquireRolloutLease).
 */
import type { Target } from "../config.ts";
import { StateConflictError } from "../errors.ts";
import type { Migration } from "../migrations.ts";
import { readRoutingValue, writeRoutingValue } from "../routing-store.ts";
import { acquireRolloutLease, type LeaseOptions } from "../tenant-lease.ts";
import { FLEET_TAG, migrationTag, refOfName, SUSPENDED_TAG } from "../tenant-names.ts";
import { readTenantRecord } from "../tenant-record-store.ts";
import { listTaggedScripts } from "../worker-script.ts";
import { readBundle, saveBundle, snapshotBundle, type TemplateBundle } from "./template-bundles.ts";
import { TenantNotReadyError, upgradeTenant } from "./tenant-upgrade.ts";

export const ROLLOUT_RECORD_KEY = "fleet:rollout";

/** One tenant as the fleet listing shows it. */
export interface FleetMember {
  tenantId: string;
  script: string;
  tags: string[];
  /** `tpl-…`, or undefined for a script without one. */
  version: string | undefined;
  /** `mig-NNNN`, or undefined when the script predates the tag. */
  migrationLevel: string | undefined;
  suspended: boolean;
}

/**
 * Every tenant script, from one listing by tag per 1,000.
 *
 * @example
 *   const fleet = await listFleet(target); // [{ tenantId: "acme", version: "tpl-3f2a9c0d1b2e", ... }]
 */
export async function listFleet(target: Target): Promise<FleetMember[]> {
  const scripts = await listTaggedScripts(target, FLEET_TAG);
  return scripts
    .filter((s) => s.name.startsWith("tenant-"))
    .map((s) => ({
      tenantId: refOfName("script", s.name) ?? s.name,
      script: s.name,
      tags: s.tags,
      version: s.tags.find((t) => t.startsWith("tpl-")),
      migrationLevel: s.tags.find((t) => t.startsWith("mig-")),
      suspended: s.tags.includes(SUSPENDED_TAG),
    }))
    .sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0));
}

export interface RolloutRecord {
  /** The version rolled out. */
  to: { tag: string; version: string };
  /** The version each tenant ran when the rollout first saw it. */
  from: Record<string, string>;
  state: "running" | "halted" | "done" | "rolled-back";
  canary: string[];
  /** Tenants that failed in the last run, with why. */
  failed: Record<string, string>;
  owner: string;
  startedAt: string;
  updatedAt: string;
}

/**
 * The rollout record, or undefined when no rollout has run.
 *
 * @example
 *   const record = await readRolloutRecord(target); // record?.state === "halted"
 */
export async function readRolloutRecord(target: Target): Promise<RolloutRecord | undefined> {
  const value = (await readRoutingValue(target, ROLLOUT_RECORD_KEY)) as RolloutRecord | undefined;
  return value && typeof value === "object" && "to" in value ? value : undefined;
}

/** Statements that take away what running code may still use: refused unless allowed. */
const CONTRACTING = /\b(DROP\s+TABLE|DROP\s+COLUMN|RENAME\s+TO|RENAME\s+COLUMN)\b/i;

/**
 * The contracting statements in a migration's SQL (comments and string literals left out), e.g.
 * `DROP TABLE`; empty when the migration only expands the schema.
 *
 * @example
 *   contractingStatements("ALTER TABLE t DROP COLUMN c; -- DROP TABLE x") // ["DROP COLUMN"]
 */
export function contractingStatements(sql: string): string[] {
  const code = sql
    .replace(/--[^\n]*/g, " ")
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/'(?:[^']|'')*'/g, "''");
  const found: string[] = [];
  for (const statement of code.split(";")) {
    const match = CONTRACTING.exec(statement);
    if (match) found.push(match[1]!.toUpperCase().replace(/\s+/g, " "));
  }
  return found;
}

export interface RolloutPlanTenant {
  tenantId: string;
  from: string | undefined;
  codeChanges: boolean;
  pendingMigrations: string[];
  /** Why a tenant is left out (an incomplete create), or undefined. */
  skip?: string;
  calls: number;
}

export interface RolloutPlan {
  to: { tag: string; version: string };
  canary: string[];
  waves: string[][];
  tenants: RolloutPlanTenant[];
  /** API calls the rollout will cost, and their time at the rate limit. */
  calls: number;
  seconds: number;
  /** Migrations pending somewhere that contract the schema: refused without allowContract. */
  contracting: { migration: string; statements: string[] }[];
  resumes: boolean;
}

export interface RolloutOptions {
  build: TemplateBundle;
  migrations: readonly Migration[];
  /** How many canary tenants (default 1), or exactly these. */
  canary?: number;
  canaryTenants?: string[];
  /** Tenants per wave after the canary (default 50). */
  wave?: number;
  /** Failures allowed before halting: a count, or a fraction of the fleet (default 0). */
  maxFailures?: { count: number } | { fraction: number };
  allowContract?: boolean;
  /** The rate limiter's burst and rate (for the plan's time). */
  rate: { capacity: number; refillPerSecond: number };
  trafficUrl: string | undefined;
  verifyTimeoutMs?: number;
  /** Tenants moved at once within a wave: enough that the limiter, not latency, sets the pace. */
  concurrency?: number;
  lease?: Partial<LeaseOptions>;
  onTenant?: (event: TenantEvent) => void;
}

export type TenantEvent =
  | { phase: "moved"; tenantId: string; appliedMigrations: string[]; wave: string }
  | { phase: "failed"; tenantId: string; error: string; reverted: boolean; wave: string }
  | { phase: "skipped"; tenantId: string; reason: string };

/** Fixed cost of a rollout besides its tenants: listing, lease, record and bundle writes. */
const FIXED_CALLS = 8;

/**
 * What a rollout of `options.build` would do, changing nothing: per tenant whether its code changes
 * and which migrations are pending, the waves, the API calls and their time at the rate limit.
 *
 * @example
 *   const plan = await planRollout(target, { build, migrations, rate, trafficUrl });
 */
export async function planRollout(target: Target, options: RolloutOptions): Promise<RolloutPlan> {
  const fleet = await listFleet(target);
  const record = await readRolloutRecord(target);
  // The same version again is the same rollout: it continues, and keeps what each tenant ran
  // before (which a rollback needs), unless it was rolled back since.
  const resumes = record?.to.tag === options.build.tag && record.state !== "rolled-back";
  const migrationNumber = (name: string) => name.slice(0, 4);
  const tenants: RolloutPlanTenant[] = [];
  for (const member of fleet) {
    let level = member.migrationLevel?.slice("mig-".length);
    if (level === undefined) {
      // A script from before the migration tag: its record says what its database has.
      const applied = (await readTenantRecord(target, member.tenantId))?.resources.migrations ?? [];
      level = migrationTag(applied.at(-1)).slice("mig-".length);
    }
    const pending = options.migrations.filter((m) => migrationNumber(m.name) > level!).map((m) => m.name);
    const codeChanges = member.version !== options.build.tag;
    const moves = codeChanges || pending.length > 0;
    tenants.push({
      tenantId: member.tenantId,
      from: member.version,
      codeChanges,
      pendingMigrations: pending,
      // Its record read, its migrations read, each pending migration, the upload, the record write.
      calls: moves ? 4 + pending.length : 0,
    });
  }
  const contracting = options.migrations.flatMap((m) => {
    if (!tenants.some((t) => t.pendingMigrations.includes(m.name))) return [];
    const statements = contractingStatements(m.sql);
    return statements.length > 0 ? [{ migration: m.name, statements }] : [];
  });
  const moving = tenants.filter((t) => t.calls > 0).map((t) => t.tenantId);
  const canary = chooseCanary(moving, options);
  const rest = moving.filter((id) => !canary.includes(id));
  const size = options.wave ?? 50;
  const waves: string[][] = [];
  for (let i = 0; i < rest.length; i += size) waves.push(rest.slice(i, i + size));
  const calls = FIXED_CALLS + Math.ceil(fleet.length / 1000) + tenants.reduce((sum, t) => sum + t.calls, 0);
  return {
    to: { tag: options.build.tag, version: options.build.version },
    canary,
    waves,
    tenants,
    calls,
    // The limiter lets its burst through at once, then its rate: the floor no rollout can beat.
    seconds: Math.max(0, calls - options.rate.capacity) / options.rate.refillPerSecond,
    contracting,
    resumes,
  };
}

function chooseCanary(moving: string[], options: RolloutOptions): string[] {
  if (options.canaryTenants !== undefined) return options.canaryTenants.filter((id) => moving.includes(id));
  return moving.slice(0, options.canary ?? 1);
}

export interface RolloutResult {
  plan: RolloutPlan;
  state: RolloutRecord["state"];
  moved: string[];
  failed: Record<string, string>;
  /** Tenants never touched because the rollout halted. */
  untouched: string[];
}

/**
 * Roll `options.build` out (see the module comment). Refuses before any write a contracting
 * migration without `allowContract`, a canary tenant that is not in the fleet, and a second run
 * while one holds the lease.
 *
 * @example
 *   const result = await runRollout(target, { build, migrations, rate, trafficUrl });
 */
export async function runRollout(target: Target, options: RolloutOptions): Promise<RolloutResult> {
  const plan = await planRollout(target, options);
  if (plan.contracting.length > 0 && !options.allowContract) {
    throw new StateConflictError(
      `migration(s) ${plan.contracting.map((c) => `${c.migration} (${c.statements.join(", ")})`).join("; ")} ` +
        "take away what the running code may still use: tenants run the old code while their migrations " +
        "apply. Ship the code that stops using it first and contract in a later release, or pass " +
        "--allow-contract if nothing running uses it.",
    );
  }
  const unknownCanary = (options.canaryTenants ?? []).filter((id) => !plan.tenants.some((t) => t.tenantId === id));
  if (unknownCanary.length > 0) throw new StateConflictError(`no tenant ${unknownCanary.join(", ")} in the fleet`);

  const lease = await acquireRolloutLease(target, "rollout", options.lease);
  try {
    const previous = await readRolloutRecord(target);
    const from: Record<string, string> = plan.resumes && previous ? { ...previous.from } : {};
    for (const t of plan.tenants) if (from[t.tenantId] === undefined && t.from) from[t.tenantId] = t.from;
    const now = new Date().toISOString();
    const record: RolloutRecord = {
      to: plan.to,
      from,
      state: "running",
      canary: plan.canary,
      failed: {},
      owner: `pid ${process.pid}`,
      startedAt: plan.resumes && previous ? previous.startedAt : now,
      updatedAt: now,
    };
    await writeRoutingValue(target, ROLLOUT_RECORD_KEY, record);
    // Every version a tenant may be put back on stays reachable without its source.
    if ((await readBundle(target, options.build.tag)) === undefined) await saveBundle(target, options.build);
    const bundles = new Map<string, TemplateBundle>([[options.build.tag, options.build]]);
    const fleet = await listFleet(target);
    for (const tag of new Set(Object.values(from))) {
      if (bundles.has(tag)) continue;
      const stored = await readBundle(target, tag);
      if (stored) {
        bundles.set(tag, stored);
        continue;
      }
      const runner = fleet.find((m) => m.version === tag);
      if (!runner) continue;
      const snapshot = await snapshotBundle(target, runner.script, tag);
      await saveBundle(target, snapshot);
      bundles.set(tag, snapshot);
    }

    const tagsOf = new Map(fleet.map((m) => [m.tenantId, m.tags]));
    const migrationsFor = options.migrations;
    const moved: string[] = [];
    const failed: Record<string, string> = {};
    const budget = failureBudget(options.maxFailures, plan.tenants.length);
    const skipped = new Set(plan.tenants.filter((t) => t.calls === 0).map((t) => t.tenantId));

    const moveOne = async (tenantId: string, wave: string): Promise<void> => {
      try {
        const result = await upgradeTenant(target, tenantId, options.build, {
          migrations: migrationsFor,
          liveTags: tagsOf.get(tenantId) ?? [],
          trafficUrl: options.trafficUrl,
          verifyTimeoutMs: options.verifyTimeoutMs ?? defaultVerifyTimeout(options.trafficUrl),
        });
        moved.push(tenantId);
        options.onTenant?.({ phase: "moved", tenantId, appliedMigrations: result.appliedMigrations, wave });
      } catch (error) {
        if (error instanceof TenantNotReadyError) {
          options.onTenant?.({ phase: "skipped", tenantId, reason: error.message });
          return;
        }
        failed[tenantId] = (error as Error).message;
        const reverted = await putBack(target, tenantId, bundles.get(from[tenantId] ?? ""), tagsOf, options);
        options.onTenant?.({ phase: "failed", tenantId, error: (error as Error).message, reverted, wave });
      }
    };

    const groups: [string, string[]][] = [
      ["canary", plan.canary],
      ...plan.waves.map((w, i): [string, string[]] => [`wave ${i + 1}`, w]),
    ];
    let halted = false;
    const done: Set<string> = new Set();
    for (const [name, group] of groups) {
      await pool(group, options.concurrency ?? 16, (id) => moveOne(id, name));
      for (const id of group) done.add(id);
      const failures = Object.keys(failed).length;
      // A failed canary touches no other tenant; later, failures past the budget halt.
      if ((name === "canary" && failures > 0) || failures > budget) {
        halted = true;
        break;
      }
    }
    const untouched = plan.tenants.map((t) => t.tenantId).filter((id) => !done.has(id) && !skipped.has(id));
    record.state = halted ? "halted" : "done";
    record.failed = failed;
    record.updatedAt = new Date().toISOString();
    await writeRoutingValue(target, ROLLOUT_RECORD_KEY, record);
    return { plan, state: record.state, moved, failed, untouched };
  } finally {
    await lease.release();
  }
}

/** A tenant whose new version failed goes back on the version it ran; false when that is not possible. */
async function putBack(
  target: Target,
  tenantId: string,
  bundle: TemplateBundle | undefined,
  tagsOf: Map<string, string[]>,
  options: RolloutOptions,
): Promise<boolean> {
  if (bundle === undefined || bundle.tag === options.build.tag) return false;
  try {
    await upgradeTenant(target, tenantId, bundle, {
      liveTags: tagsOf.get(tenantId) ?? [],
      trafficUrl: options.trafficUrl,
      verifyTimeoutMs: options.verifyTimeoutMs ?? defaultVerifyTimeout(options.trafficUrl),
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * How long a moved tenant's /health may take to answer its new version: on the local platform an
 * upload serves at once, so 5 s is ample; Cloudflare propagates a new version in seconds, give it 60.
 */
function defaultVerifyTimeout(trafficUrl: string | undefined): number {
  return trafficUrl === undefined ? 60_000 : 5_000;
}

function failureBudget(max: RolloutOptions["maxFailures"], tenants: number): number {
  if (max === undefined) return 0;
  return "count" in max ? max.count : Math.floor(max.fraction * tenants);
}

/** Runs `work` on every item, at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(runners);
}

export interface RollbackResult {
  from: string;
  restored: string[];
  failed: Record<string, string>;
  /** Tenants on the version whose previous version has no bundle to go back to. */
  unrecoverable: string[];
}

/**
 * Put every tenant the last rollout moved back on the version it ran before, from the kept
 * bundles (no source checkout needed). Migrations stay: they only expanded the schema, which the
 * older code ignores.
 *
 * @example
 *   const { restored } = await rollback(target, { trafficUrl });
 */
export async function rollback(
  target: Target,
  options: Pick<RolloutOptions, "trafficUrl" | "verifyTimeoutMs" | "concurrency" | "lease" | "onTenant">,
): Promise<RollbackResult> {
  const record = await readRolloutRecord(target);
  if (!record || record.state === "rolled-back") {
    throw new StateConflictError(
      record ? `the rollout to ${record.to.tag} was already rolled back` : "no rollout has run: nothing to roll back",
    );
  }
  const lease = await acquireRolloutLease(target, "rollback", options.lease);
  try {
    const fleet = await listFleet(target);
    const tagsOf = new Map(fleet.map((m) => [m.tenantId, m.tags]));
    const onIt = fleet.filter((m) => m.version === record.to.tag && record.from[m.tenantId] !== record.to.tag);
    const bundles = new Map<string, TemplateBundle | undefined>();
    const restored: string[] = [];
    const failed: Record<string, string> = {};
    const unrecoverable: string[] = [];
    for (const tag of new Set(onIt.map((m) => record.from[m.tenantId]).filter((t) => t !== undefined))) {
      bundles.set(tag, await readBundle(target, tag));
    }
    await pool(onIt, options.concurrency ?? 16, async (member) => {
      const bundle = bundles.get(record.from[member.tenantId] ?? "");
      if (bundle === undefined) {
        unrecoverable.push(member.tenantId);
        return;
      }
      try {
        await upgradeTenant(target, member.tenantId, bundle, {
          liveTags: tagsOf.get(member.tenantId) ?? [],
          trafficUrl: options.trafficUrl,
          verifyTimeoutMs: options.verifyTimeoutMs ?? defaultVerifyTimeout(options.trafficUrl),
        });
        restored.push(member.tenantId);
        options.onTenant?.({ phase: "moved", tenantId: member.tenantId, appliedMigrations: [], wave: "rollback" });
      } catch (error) {
        failed[member.tenantId] = (error as Error).message;
        options.onTenant?.({
          phase: "failed",
          tenantId: member.tenantId,
          error: (error as Error).message,
          reverted: false,
          wave: "rollback",
        });
      }
    });
    if (Object.keys(failed).length === 0 && unrecoverable.length === 0) {
      await writeRoutingValue(target, ROLLOUT_RECORD_KEY, {
        ...record,
        state: "rolled-back",
        updatedAt: new Date().toISOString(),
      });
    }
    return { from: record.to.tag, restored: restored.sort(), failed, unrecoverable: unrecoverable.sort() };
  } finally {
    await lease.release();
  }
}
