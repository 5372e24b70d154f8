/**
 * What the audit log hashes as the "before" and "after" of a Confluent API change: the state of
 * the subject (or settings level) the request names, read straight from D1 around the handler.
 * The Confluent handlers do not report the documents they change (as the /api ones do through
 * `noteChange`), so the state is read here instead: the subject's versions (document version,
 * status, Confluent number, id, metadata, rule set) and the settings rows that apply to it.
 * Read-only: it never assigns numbers (which reading a subject through the Confluent store may do).
 */
import { contextKey, contextOfUrl, findSubject, parseSubject } from "../confluent/confluent-store.ts";
import type { StoreQueryable } from "../store/store-db.ts";

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
  // The {ctx} of a /contexts/{ctx}/... URL, read as the routes read it (`.ctx`, `:.ctx:`, `ctx`).
  const contextName = context === undefined ? "." : contextOfUrl(context);
  const keys = [contextKey(contextName), GLOBAL_SETTINGS_KEY];
  let versions: unknown[] | null = null;
  if (subject !== null) {
    keys.unshift(subject);
    const schema = await findSubject(session, parseSubject(subject));
    if (schema !== null) {
      const { results } = await session
        .prepare(
          `SELECT sv.id, sv._version AS documentVersion, sv.status, cv.version, cv.global_id AS id, ` +
            `cv.metadata, cv.rule_set AS ruleSet
           FROM schema_versions sv LEFT JOIN confluent_versions cv ON cv.version_id = sv.id
           WHERE sv.schema_id = ? ORDER BY sv.id`,
        )
        .bind(schema.id)
        .all();
      versions = results;
    }
  }
  const placeholders = keys.map(() => "?").join(", ");
  const { results: settings } = await session
    .prepare(`SELECT subject, config, mode FROM confluent_settings WHERE subject IN (${placeholders}) ORDER BY subject`)
    .bind(...keys)
    .all();
  // A subject with nothing stored yet (a first registration): no "before" to hash. A settings
  // level always has a state: none of its rows stored is the defaults in force, which its first
  // change replaces, so that change has a before hash and the chain starts there.
  // (`/mode/:.ctx:` names a context's level the way a subject is named: no name in it.)
  const settingsLevel = subject === null || parseSubject(subject).name === "";
  return !settingsLevel && versions === null && settings.length === 0 ? null : { subject, versions, settings };
}
