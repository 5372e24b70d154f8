/**
 * The Confluent settings chain (docs/confluent-api.md, "Config and mode"): a subject's setting
 * comes from the first level that has one: the subject, its context's own level (`/config` at the
 * root for the default context, `:.ctx:` for another), the __GLOBAL context (across contexts), then
 * Confluent's defaults (BACKWARD, READWRITE). The Confluent API and /api's publication rules both
 * read a subject's level here, so the two APIs can never judge a subject by different levels.
 */
import type { CompatibilityLevel } from "../compat/compatibility.ts";
import { prepared, rowsOf, storeDb, type StoreQueryable } from "../store/store-db.ts";
import { contextKey, contextLabel, type SubjectName } from "./confluent-store.ts";

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = "BACKWARD";
export const DEFAULT_MODE = "READWRITE";
export const MODES = ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"] as const;

/** The context Confluent reserves for settings that apply across contexts; it holds no subjects. */
export const GLOBAL_CONTEXT = "__GLOBAL";
export const GLOBAL_KEY = contextKey(GLOBAL_CONTEXT);
/** The root level's key: the default context's own settings (`/config`, `/mode`). */
const ROOT_KEY = "";

/** Where a setting is read and written: its own key, and the keys it falls back to, in order. */
export interface SettingsLevel {
  key: string;
  chain: string[];
  /** What to call it in messages. */
  label: string;
  /** The subject, for a subject's level. */
  subject?: SubjectName;
}

/** A subject's own level, falling back to its context's, then __GLOBAL. */
export function subjectLevel(subject: SubjectName): SettingsLevel {
  return {
    key: subject.qualified,
    chain: [subject.qualified, contextKey(subject.context), GLOBAL_KEY],
    label: `Subject '${subject.qualified}'`,
    subject,
  };
}

/** A context's own level (the root's for the default context), falling back to __GLOBAL. */
export function contextLevel(context: string): SettingsLevel {
  const key = contextKey(context);
  return {
    key,
    chain: key === GLOBAL_KEY ? [GLOBAL_KEY] : [key, GLOBAL_KEY],
    label: `Context '${contextLabel(context)}'`,
  };
}

/** A level's own config (JSON object) and mode, each null when unset. */
export interface LevelSettings {
  config: Record<string, unknown> | null;
  mode: string | null;
}

/**
 * The settings stored at each of `keys` as one statement, to run in a batch with others, and how
 * to read them from its result (an unset key answers nulls).
 *
 * @example
 *   const settings = settingsStatement(session, modeKeys(subjectLevel(subject)));
 *   const [result] = await session.batch([settings.statement]);
 *   settings.decode(result).get("orders-value"); // { config: {...}, mode: null }
 */
export function settingsStatement(
  session: StoreQueryable,
  keys: readonly string[],
): { statement: D1PreparedStatement; decode(result: D1Result | undefined): Map<string, LevelSettings> } {
  const unique = [...new Set(keys)];
  const query = storeDb(session)
    .selectFrom("confluent_settings")
    .select(["subject", "config", "mode"])
    .where("subject", "in", unique);
  return {
    statement: prepared(session, query),
    decode(result) {
      const found = new Map(rowsOf(query, result).map((row) => [row.subject, row] as const));
      return new Map(
        unique.map((key) => {
          const row = found.get(key);
          const config = row?.config ? (JSON.parse(row.config) as Record<string, unknown>) : null;
          return [key, { config, mode: row?.mode ?? null }] as const;
        }),
      );
    },
  };
}

/** The settings stored at each of `keys`, in one query (an unset key answers nulls). */
export async function settingsAt(
  session: StoreQueryable,
  keys: readonly string[],
): Promise<Map<string, LevelSettings>> {
  const { statement, decode } = settingsStatement(session, keys);
  return decode(await statement.all());
}

/** The settings stored at `key`: '' global, ':.ctx:' a context, else a qualified subject. */
export async function settingsOf(session: StoreQueryable, key: string): Promise<LevelSettings> {
  return (await settingsAt(session, [key])).get(key)!;
}

/** The effective config along a level's chain: each field from the most specific level that sets it. */
export async function effectiveConfig(session: StoreQueryable, level: SettingsLevel): Promise<Record<string, unknown>> {
  return configAmong(await settingsAt(session, level.chain), level);
}

/** `effectiveConfig` over settings already read (`settingsAt` of at least the level's chain). */
export function configAmong(
  settings: ReadonlyMap<string, LevelSettings>,
  level: SettingsLevel,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const key of [...level.chain].reverse()) Object.assign(merged, settings.get(key)?.config ?? {});
  return merged;
}

/** The compatibility level a config in force names, else Confluent's default. */
export function compatibilityLevelIn(config: Record<string, unknown>): CompatibilityLevel {
  return (config.compatibilityLevel as CompatibilityLevel | undefined) ?? DEFAULT_COMPATIBILITY;
}

/** A subject's compatibility level in force. */
export async function compatibilityLevelOf(session: StoreQueryable, subject: SubjectName): Promise<CompatibilityLevel> {
  return compatibilityLevelIn(await effectiveConfig(session, subjectLevel(subject)));
}

/** The keys the mode along a level's chain is read from: the kill-switch levels, then the chain (the config's too). */
export function modeKeys(level: SettingsLevel): string[] {
  return [ROOT_KEY, GLOBAL_KEY, ...level.chain];
}

/**
 * The mode in force along a level's chain. READONLY_OVERRIDE at the root or on __GLOBAL is the
 * registry's kill switch: it wins over every other level.
 */
export async function modeIn(session: StoreQueryable, level: SettingsLevel): Promise<string> {
  return modeAmong(await settingsAt(session, modeKeys(level)), level);
}

/** `modeIn` over settings already read (`settingsAt` of at least the root, __GLOBAL and the level's chain). */
export function modeAmong(settings: ReadonlyMap<string, LevelSettings>, level: SettingsLevel): string {
  for (const key of [ROOT_KEY, GLOBAL_KEY])
    if (settings.get(key)?.mode === "READONLY_OVERRIDE") return "READONLY_OVERRIDE";
  for (const key of level.chain) {
    const mode = settings.get(key)?.mode ?? null;
    if (mode !== null) return mode;
  }
  return DEFAULT_MODE;
}
