/**
 * D1 database: find by name, create-or-adopt, delete. Idempotent by the deterministic name:
 * "already exists" means adopt, 404 on delete means already gone.
 */
import { collectAll } from "./cloudflare-client.ts";
import type { Target } from "./config.ts";
import { apiCall, isNotFound, mayAlreadyExist, StateConflictError } from "./errors.ts";
import type { LocationHint } from "../../contracts/tenant-record.ts";

const KIND = "D1 database";

export interface D1DatabaseProps {
  name: string;
  /** Set only at creation; cannot be changed afterwards. */
  jurisdiction?: "eu";
  /** Ignored by D1 when a jurisdiction is given. */
  primaryLocationHint?: LocationHint;
  readReplication: "auto" | "disabled";
}

export interface D1Database {
  name: string;
  id: string;
  /** null when the database has no jurisdiction; undefined when the API did not say. */
  jurisdiction: string | null | undefined;
}

export type EnsureAction = "created" | "adopted";

/** What was done about a database's read replication: already as wanted, or set from another mode. */
export type ReadReplicationOutcome = { changed: false } | { changed: true; was: string };
export type DeleteOutcome = "deleted" | "already gone";

/**
 * Find a database by exact name (the API's `name` filter may match substrings).
 *
 * @example
 *   const db = await findD1Database(target, "wfp-tenant-acme"); // undefined when absent
 */
export async function findD1Database(target: Target, name: string): Promise<D1Database | undefined> {
  const { client, accountId } = target;
  const all = await apiCall("finding", KIND, name, () =>
    collectAll(client.d1.database.list({ account_id: accountId, name, per_page: 100 }), (db) => db.name === name),
  );
  const found = all.find((db) => db.name === name);
  if (!found?.uuid) return undefined;
  return { name, id: found.uuid, jurisdiction: found.jurisdiction };
}

/**
 * Create the database, or adopt the one that already has this name. An adopted database whose
 * jurisdiction differs from the one asked for is refused: D1 cannot move a database.
 *
 * @example
 *   const { database, action } = await ensureD1Database(target, {
 *     name: "wfp-tenant-acme",
 *     jurisdiction: "eu",
 *     readReplication: "disabled",
 *   });
 */
export async function ensureD1Database(
  target: Target,
  props: D1DatabaseProps,
  existing?: D1Database,
): Promise<{ database: D1Database; action: EnsureAction; readReplication: ReadReplicationOutcome }> {
  const { database, action } = await createOrAdopt(target, props, existing);
  return { database, action, readReplication: await alignReadReplication(target, database, props.readReplication) };
}

/**
 * Read replication is sent when a database is created, but an adopted one (a resumed create, a
 * create whose answer was lost, one made by hand) keeps whatever it had, and an eu or uk tenant must
 * not end up replicated: so it is read back every time and set with D1's documented update (PATCH)
 * when it differs.
 */
async function alignReadReplication(
  target: Target,
  database: D1Database,
  mode: D1DatabaseProps["readReplication"],
): Promise<ReadReplicationOutcome> {
  const { client, accountId } = target;
  const current = await apiCall("reading", KIND, database.name, () =>
    client.d1.database.get(database.id, { account_id: accountId }),
  );
  const was = current.read_replication?.mode;
  if (was === mode) return { changed: false };
  await apiCall("setting read replication of", KIND, database.name, () =>
    client.d1.database.edit(database.id, { account_id: accountId, read_replication: { mode } }),
  );
  return { changed: true, was: was ?? "unknown" };
}

async function createOrAdopt(
  target: Target,
  props: D1DatabaseProps,
  existing?: D1Database,
): Promise<{ database: D1Database; action: EnsureAction }> {
  const found = existing ?? (await findD1Database(target, props.name));
  if (found) return { database: checkJurisdiction(found, props), action: "adopted" };

  const { client, accountId } = target;
  try {
    const created = await apiCall("creating", KIND, props.name, () =>
      client.d1.database.create({
        account_id: accountId,
        name: props.name,
        ...(props.jurisdiction ? { jurisdiction: props.jurisdiction } : {}),
        ...(props.primaryLocationHint && !props.jurisdiction
          ? { primary_location_hint: props.primaryLocationHint }
          : {}),
        read_replication: { mode: props.readReplication },
      }),
    );
    if (!created.uuid) throw new Error(`creating ${KIND} '${props.name}': the API returned no uuid`);
    return {
      database: {
        name: props.name,
        id: created.uuid,
        jurisdiction: created.jurisdiction ?? props.jurisdiction ?? null,
      },
      action: "created",
    };
  } catch (error) {
    // A retried create whose first attempt landed, or a concurrent run: adopt what is there.
    if (mayAlreadyExist(error)) {
      const again = await findD1Database(target, props.name);
      if (again) return { database: checkJurisdiction(again, props), action: "adopted" };
    }
    throw error;
  }
}

function checkJurisdiction(database: D1Database, props: D1DatabaseProps): D1Database {
  const wanted = props.jurisdiction ?? null;
  // Undefined means the API did not report it; only a reported, different value is a conflict.
  if (database.jurisdiction !== undefined && (database.jurisdiction ?? null) !== wanted) {
    throw new StateConflictError(
      `${KIND} '${database.name}' already exists with jurisdiction ${database.jurisdiction ?? "none"}, ` +
        `but this residency needs ${wanted ?? "none"}. A jurisdiction is fixed when a database is created: ` +
        `delete the tenant (this deletes its data) and create it again with the residency you want.`,
    );
  }
  return database;
}

/**
 * Delete the database with this name; absent counts as deleted.
 *
 * @example
 *   await deleteD1Database(target, "wfp-tenant-acme"); // "deleted" | "already gone"
 */
export async function deleteD1Database(target: Target, name: string): Promise<DeleteOutcome> {
  const found = await findD1Database(target, name);
  if (!found) return "already gone";
  try {
    await apiCall("deleting", KIND, name, () =>
      target.client.d1.database.delete(found.id, { account_id: target.accountId }),
    );
    return "deleted";
  } catch (error) {
    if (isNotFound(error)) return "already gone";
    throw error;
  }
}
