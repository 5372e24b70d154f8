/**
 * A lease per tenant id, so that two runs of create (or a create and a delete) of the same tenant
 * take turns instead of interleaving their steps. Cloudflare's API has no lock service and KV has no
 * compare-and-set, so this is Lamport's bakery over keys in the routing store:
 *
 *   1. write  `lease:tenant:<id>:<token>` as "choosing"
 *   2. list   `lease:tenant:<id>:`; no other live entry: the lease is held (two calls, the usual case)
 *   3. else write the key again with a ticket one above every ticket seen, and
 *   4. list until no live entry is choosing and none has a smaller (ticket, token): the lease is held
 *
 * Each run writes only its own key, so no write is lost to another's. A contender that was absent
 * at the deciding list will see this run's ticket when it takes its own, so its ticket is larger and
 * it waits. Everything is in KV metadata, so one list call reads every contender.
 *
 * Entries carry an expiry the holder renews while it works; an expired entry (its run died) is
 * ignored, so a crashed run delays the next one by at most the lease time, never blocks it. A run on
 * the same host whose process is gone, or a finished run of this process, is dead at once.
 * On the local platform KV is strongly consistent and the lease excludes. On Cloudflare KV is
 * eventually consistent (a write may take up to a minute to be seen from another location), so two
 * runs far apart may both hold it. Every resource step still ends with one resource (each is
 * idempotent and adopts what exists), but each run may mint its own admin key and dispatch proof,
 * leaving them mixed; docs/provisioner.md ("Concurrent runs") gives the symptom and the repair.
 */
import { hostname } from "node:os";
import type { Target } from "./config.ts";
import { StateConflictError } from "./errors.ts";
import { deleteRoutingValue, listRoutingKeys, writeRoutingValue } from "./routing-store.ts";
import { nameStem } from "./tenant-names.ts";

/** What a run holding a lease does: create and delete, a day-2 command, or a fleet rollout. */
export const LEASE_OPERATIONS = [
  "create",
  "delete",
  "suspend",
  "resume",
  "update",
  "domains",
  "rotate-admin",
  "rollout",
  "rollback",
] as const;
export type LeaseOperation = (typeof LEASE_OPERATIONS)[number];

export interface LeaseOptions {
  /** How long an entry lives without renewal (the holder renews every third of it). */
  ttlMs: number;
  /** How often a waiting run lists the contenders. */
  pollMs: number;
  /** How long a run waits for others before giving up with a {@link StateConflictError}. */
  maxWaitMs: number;
  now: () => number;
}

export const DEFAULT_LEASE_OPTIONS: LeaseOptions = {
  ttlMs: 60_000,
  pollMs: 250,
  maxWaitMs: 15 * 60_000,
  now: () => Date.now(),
};

/** Who held the lease while this run waited. */
export interface LeaseHolder {
  operation: LeaseOperation;
  owner: string;
  since: string;
}

export interface TenantLease {
  /** The other runs this one waited for (empty when it got the lease at once). */
  waitedFor: LeaseHolder[];
  waitedMs: number;
  /** Stop renewing and delete this run's entry; never throws (an entry left behind expires). */
  release(): Promise<void>;
}

interface Entry {
  token: string;
  choosing: boolean;
  ticket: number;
  expiresAt: number;
  operation: LeaseOperation;
  owner: string;
  host: string;
  pid: number;
  since: string;
}

/** Tokens of the runs in this process that are taking or holding a lease. */
const heldTokens = new Set<string>();

/**
 * The routing-store key prefix of one registry's lease entries: by its name stem, so that the
 * default registry's prefix (`lease:tenant:acme:`) is not also the prefix of another registry's.
 *
 * @example
 *   leasePrefix("acme") // "lease:tenant:acme:"
 *   leasePrefix("acme:staging") // "lease:tenant:acme_staging:"
 */
export function leasePrefix(tenantId: string): string {
  return `lease:tenant:${nameStem(tenantId)}:`;
}

/**
 * Take the tenant's lease, waiting for runs that hold or are ahead of this one.
 *
 * @example
 *   const lease = await acquireTenantLease(target, "acme", "create");
 *   try { ... } finally { await lease.release(); }
 */
export async function acquireTenantLease(
  target: Target,
  tenantId: string,
  operation: LeaseOperation,
  options: Partial<LeaseOptions> = {},
): Promise<TenantLease> {
  return acquireLease(target, leasePrefix(tenantId), `tenant '${tenantId}'`, operation, options);
}

/** The key prefix of the fleet's one rollout lease. */
export const ROLLOUT_LEASE_PREFIX = "lease:fleet:rollout:";

/**
 * The fleet's rollout lease: one rollout or rollback at a time. It does not wait: another run
 * holding it refuses this one with a {@link StateConflictError} naming it (its owner, since when),
 * and a run that died leaves an entry that expires after `ttlMs` and is then taken over.
 *
 * @example
 *   const lease = await acquireRolloutLease(target, "rollout");
 */
export function acquireRolloutLease(
  target: Target,
  operation: "rollout" | "rollback",
  options: Partial<LeaseOptions> = {},
): Promise<TenantLease> {
  return acquireLease(target, ROLLOUT_LEASE_PREFIX, "the fleet", operation, { maxWaitMs: 0, pollMs: 0, ...options });
}

async function acquireLease(
  target: Target,
  prefix: string,
  subject: string,
  operation: LeaseOperation,
  options: Partial<LeaseOptions>,
): Promise<TenantLease> {
  const opts = { ...DEFAULT_LEASE_OPTIONS, ...options };
  const token = `${opts.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  const key = `${prefix}${token}`;
  const started = opts.now();
  const mine: Entry = {
    token,
    choosing: true,
    ticket: 0,
    expiresAt: started + opts.ttlMs,
    operation,
    owner: `pid ${process.pid} on ${hostname()}`,
    host: hostname(),
    pid: process.pid,
    since: new Date(started).toISOString(),
  };
  const write = () => {
    mine.expiresAt = opts.now() + opts.ttlMs;
    return writeRoutingValue(target, key, null, metadataOf(mine));
  };

  const waitedFor = new Map<string, LeaseHolder>();
  const waitForTurn = async (): Promise<void> => {
    for (;;) {
      const others = (await liveEntries(target, prefix, opts.now())).filter((e) => e.token !== token);
      const ahead = others.filter((e) => e.choosing || before(e, mine));
      if (ahead.length === 0) break;
      for (const e of ahead) waitedFor.set(e.token, { operation: e.operation, owner: e.owner, since: e.since });
      if (opts.now() - started >= opts.maxWaitMs) {
        const holder = ahead[0]!;
        throw new StateConflictError(
          `another ${holder.operation} of ${subject} (${holder.owner}, since ${holder.since}) ` +
            (opts.maxWaitMs === 0
              ? "holds its lease: "
              : `has held the lease for longer than ${Math.round(opts.maxWaitMs / 1000)}s: `) +
            `wait for it to finish, then run this again (an entry whose run died expires within ` +
            `${Math.round(opts.ttlMs / 1000)}s)`,
        );
      }
      // A lost renewal would let others take over: renew while waiting, too.
      if (opts.now() + (2 * opts.ttlMs) / 3 > mine.expiresAt) await write();
      await sleep(opts.pollMs);
    }
  };
  heldTokens.add(token);
  try {
    await write();
    const seen = (await liveEntries(target, prefix, opts.now())).filter((e) => e.token !== token);
    // Alone at this list: the lease is ours while the entry still says "choosing", which every
    // later contender waits for (it wrote its own entry after this list, so it sees ours).
    if (seen.length > 0) {
      mine.ticket = 1 + Math.max(0, ...seen.map((e) => e.ticket));
      mine.choosing = false;
      await write();
      await waitForTurn();
    }
  } catch (error) {
    heldTokens.delete(token);
    await deleteRoutingValue(target, key).catch(() => undefined);
    throw error;
  }

  // A failed renewal is retried by the next tick; release waits for one in flight, so that it
  // cannot land after the delete and bring the entry back.
  let renewing: Promise<void> = Promise.resolve();
  const renewal = setInterval(() => {
    renewing = renewing.then(() => write().catch(() => undefined));
  }, opts.ttlMs / 3);
  renewal.unref?.();
  let released = false;
  return {
    waitedFor: [...waitedFor.values()],
    waitedMs: opts.now() - started,
    async release() {
      if (released) return;
      released = true;
      clearInterval(renewal);
      await renewing;
      heldTokens.delete(token);
      await deleteRoutingValue(target, key).catch(() => undefined);
    },
  };
}

/** Bakery order: the smaller ticket first, the token breaks ties. */
function before(a: Entry, b: Entry): boolean {
  return a.ticket < b.ticket || (a.ticket === b.ticket && a.token < b.token);
}

/**
 * The entries of runs that may still be working. An expired entry is a dead run's; so is one from
 * this host whose process is gone, or from this process whose run is over (it failed and could not
 * delete its entry): those need not wait out their expiry. Dead entries are deleted on the way.
 */
async function liveEntries(target: Target, prefix: string, now: number): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const k of await listRoutingKeys(target, prefix)) {
    const entry = entryOf(k.name.slice(prefix.length), k.metadata);
    // Keys without this module's metadata were not written by a run of it: ignored.
    if (!entry) continue;
    if (entry.expiresAt > now && !deadOnThisHost(entry)) entries.push(entry);
    else await deleteRoutingValue(target, k.name).catch(() => undefined);
  }
  return entries;
}

function deadOnThisHost(entry: Entry): boolean {
  if (entry.host !== hostname()) return false;
  if (entry.pid === process.pid) return !heldTokens.has(entry.token);
  try {
    process.kill(entry.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function metadataOf(e: Entry): Record<string, string> {
  return {
    choosing: e.choosing ? "1" : "0",
    ticket: String(e.ticket),
    expiresAt: String(e.expiresAt),
    operation: e.operation,
    owner: e.owner,
    host: e.host,
    pid: String(e.pid),
    since: e.since,
  };
}

function entryOf(token: string, metadata: unknown): Entry | undefined {
  const m = (typeof metadata === "string" ? safeParse(metadata) : metadata) as Record<string, unknown> | undefined;
  if (!m || typeof m !== "object") return undefined;
  const ticket = Number(m.ticket);
  const expiresAt = Number(m.expiresAt);
  if (!Number.isFinite(ticket) || !Number.isFinite(expiresAt)) return undefined;
  return {
    token,
    choosing: m.choosing !== "0",
    ticket,
    expiresAt,
    operation: (LEASE_OPERATIONS as readonly unknown[]).includes(m.operation)
      ? (m.operation as LeaseOperation)
      : "create",
    owner: typeof m.owner === "string" ? m.owner : "unknown",
    host: typeof m.host === "string" ? m.host : "",
    pid: Number(m.pid),
    since: typeof m.since === "string" ? m.since : "unknown",
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
