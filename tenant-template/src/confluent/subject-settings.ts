/**
 * The Confluent settings chain (docs/confluent-api.md, "Config and mode"): a subject's setting
 * comes from the first level that has one: the subject, its context's own level (`/config` at the
 * root for the default context, `:.ctx:` for another), the __GLOBAL context (across contexts), then
 * Confluent's defaults (BACKWARD, READWRITE). The Confluent API and /api's publication rules both
 * read a subject's level here, so the two APIs can never judge a subject by different levels.
 */
import type { CompatibilityLevel } from "../compat/compatibility.ts";
import type { StoreQueryable } from "../store/store-db.ts";
import { contextKey, contextLabel, parseSubject, type SubjectName } from "./confluent-store.ts";

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

type SettingsRow = { subject: string; config: string | null; mode: string | null };

/** The settings stored at each of `keys`, in one query (an unset key answers nulls). */
export async function settingsAt(
  session: StoreQueryable,
  keys: readonly string[],
): Promise<Map<string, LevelSettings>> {
  const unique = [...new Set(keys)];
  const { results } = await session
    .prepare(
      `SELECT subject, config, mode FROM confluent_settings WHERE subject IN (${unique.map(() => "?").join(", ")})`,
    )
    .bind(...unique)
    .all<SettingsRow>();
  const found = new Map(results.map((row) => [row.subject, row] as const));
  return new Map(
    unique.map((key) => {
      const row = found.get(key);
      const config = row?.config ? (JSON.parse(row.config) as Record<string, unknown>) : null;
      return [key, { config, mode: row?.mode ?? null }] as const;
    }),
  );
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

/** The keys the mode along a level's chain is read from: the kill-switch levels, then the chain. */
function modeKeys(level: SettingsLevel): string[] {
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

/**
 * Every setting a write to a subject consults, in one query (two when the subject's own config
 * names an `alias`): the subject a data route means (the alias's, in the same context unless
 * qualified, one level deep), and the settings of its chain and of the kill-switch levels, for
 * `modeAmong` and `configAmong`.
 *
 * @example
 *   const { subject, settings } = await subjectSettings(session, parseSubject("orders-value"));
 *   modeAmong(settings, subjectLevel(subject)); // "READWRITE"
 */
export async function subjectSettings(
  session: StoreQueryable,
  named: SubjectName,
): Promise<{ subject: SubjectName; settings: Map<string, LevelSettings> }> {
  const settings = await settingsAt(session, modeKeys(subjectLevel(named)));
  const alias = settings.get(named.qualified)?.config?.alias;
  if (typeof alias !== "string" || alias === "") return { subject: named, settings };
  const subject = parseSubject(alias, named.context);
  const missing = modeKeys(subjectLevel(subject)).filter((key) => !settings.has(key));
  if (missing.length > 0) for (const [key, value] of await settingsAt(session, missing)) settings.set(key, value);
  return { subject, settings };
}
