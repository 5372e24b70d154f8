/**
 * What the audit log hashes as the "before" and "after" of a Confluent API change: the state of
 * the subject (or settings level) the request names, read straight from D1 around the handler.
 * The Confluent handlers do not report the documents they change (as the /api ones do through
 * `noteChange`), so the state is read here instead: the subject's versions (document version,
 * status, Confluent number, id, metadata, rule set) and the settings rows that apply to it.
 * Read-only: it never assigns numbers (which reading a subject through the Confluent store may do).
 */
import { contextKey, contextOfUrl, parseSubject, subjectSchemaQuery } from "../confluent/confluent-store.ts";
import { prepared, rowsOf, storeDb, type StoreQueryable } from "../store/store-db.ts";

/** The level every context falls back to (confluent-api.ts). */
const GLOBAL_SETTINGS_KEY = contextKey("__GLOBAL");

export interface ConfluentState {
  subject: string | null;
  versions: unknown[] | null;
  settings: unknown[];
}

/**
 * The state a Confluent mutation may change, for the subject (qualified) or settings level the
 * URL names; `null` subject: the context's (or the root's) own level. `null` when nothing is stored.
 *
 * @example
 *   const before = await confluentState(session, ":.payments:orders-value", "payments");
 */
export async function confluentState(
  session: StoreQueryable,
  subject: string | null,
  context: string | undefined,
): Promise<ConfluentState | null> {
  const queries = confluentStateQueries(session, subject, context);
  return queries.decode(await session.batch(queries.statements));
}

/**
 * `confluentState` as statements to run in a batch (one round trip, one snapshot), and how to read
 * the state from their results: a write that runs them in its own batch has the state it leaves.
 *
 * @example
 *   const state = confluentStateQueries(session, "orders-value", undefined);
 *   const results = await session.batch([...writes, ...state.statements]);
 *   const after = state.decode(results.slice(writes.length));
 */
export function confluentStateQueries(
  session: StoreQueryable,
  subject: string | null,
  context: string | undefined,
): { statements: D1PreparedStatement[]; decode(results: readonly D1Result[]): ConfluentState | null } {
  // The {ctx} of a /contexts/{ctx}/... URL, read as the routes read it (`.ctx`, `:.ctx:`, `ctx`).
  const contextName = context === undefined ? "." : contextOfUrl(context);
  const keys = [...(subject === null ? [] : [subject]), contextKey(contextName), GLOBAL_SETTINGS_KEY];
  const db = storeDb(session);
  const settingsQuery = db
    .selectFrom("confluent_settings")
    .select(["subject", "config", "mode"])
    .where("subject", "in", keys)
    .orderBy("subject");
  if (subject === null)
    return {
      statements: [prepared(session, settingsQuery)],
      decode: ([settings]) => stateOf(null, null, rowsOf(settingsQuery, settings)),
    };
  // The subject's schema, its versions, the settings.
  const schemaQuery = subjectSchemaQuery(db, parseSubject(subject)).select("id");
  const versionsQuery = db
    .selectFrom("schema_versions as sv")
    .leftJoin("confluent_versions as cv", "cv.version_id", "sv.id")
    .select([
      "sv.id",
      "sv._version as documentVersion",
      "sv.status",
      "cv.version",
      // The same column names as the state was always hashed with (`id` twice: the second wins).
      "cv.global_id as id",
      "cv.metadata",
      "cv.rule_set as ruleSet",
    ])
    .where("sv.schema_id", "=", subjectSchemaQuery(db, parseSubject(subject)).select("id"))
    .orderBy("sv.id");
  return {
    statements: [prepared(session, schemaQuery), prepared(session, versionsQuery), prepared(session, settingsQuery)],
    decode: ([schema, versions, settings]) =>
      stateOf(
        subject,
        rowsOf(schemaQuery, schema).length === 0 ? null : rowsOf(versionsQuery, versions),
        rowsOf(settingsQuery, settings),
      ),
  };
}

function stateOf(subject: string | null, versions: unknown[] | null, settings: unknown[]): ConfluentState | null {
  // A subject with nothing stored yet (a first registration): no "before" to hash. A settings
  // level always has a state: none of its rows stored is the defaults in force, which its first
  // change replaces, so that change has a before hash and the chain starts there.
  // (`/mode/:.ctx:` names a context's level the way a subject is named: no name in it.)
  const settingsLevel = subject === null || parseSubject(subject).name === "";
  return !settingsLevel && versions === null && settings.length === 0 ? null : { subject, versions, settings };
}
