/**
 * How the Confluent API answers: the JSON of a version, of a schema by id, of a config (as
 * Confluent 8 writes them, which the conformance features check), and the zod schemas that
 * describe those answers in the OpenAPI document.
 */
import { z } from "@hono/zod-openapi";
import { COMPATIBILITY_LEVELS } from "../compat/compatibility.ts";
import { SCHEMA_FORMATS } from "../store/collections.ts";
import type { PathParams } from "./confluent-route.ts";
import { urlContextOf } from "./confluent-input.ts";
import type { SchemaReference, SchemaType, SubjectName, SubjectVersion } from "./confluent-store.ts";
import { DEFAULT_COMPATIBILITY, MODES } from "./subject-settings.ts";

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The fields every schema answer has: its type, references, metadata and rule set, then the text. */
export function schemaFields(
  schemaType: SchemaType,
  schema: string,
  record: { references: readonly SchemaReference[]; metadata?: Json | null; ruleSet?: Json | null },
): Json {
  // Confluent (8.x) names the type, AVRO included, and leaves empty references out.
  return {
    schemaType,
    ...(record.references.length > 0 ? { references: record.references } : {}),
    ...(record.metadata ? { metadata: record.metadata } : {}),
    ...(record.ruleSet ? { ruleSet: record.ruleSet } : {}),
    schema,
  };
}

/**
 * A version's metadata as answered: what was stored, plus `confluent:version` (its number), as
 * Confluent fills it in.
 */
function versionMetadata(version: SubjectVersion): Json {
  const stored = version.metadata ?? {};
  return {
    ...stored,
    properties: {
      ...(isObject(stored.properties) ? stored.properties : {}),
      "confluent:version": String(version.version),
    },
  };
}

/** How a subject is named in an answer: plainly under its own context's URL prefix, else qualified. */
export function subjectLabel(params: PathParams, subject: SubjectName): string {
  return params.context !== undefined && urlContextOf(params) === subject.context ? subject.name : subject.qualified;
}

/**
 * A version as answered; its subject is named within its context (as the features, checked against
 * Confluent 8, expect).
 */
export function presentVersion(subject: SubjectName, version: SubjectVersion): Json {
  const { format, specification } = version.document.body;
  return {
    subject: subject.name,
    version: version.version,
    id: version.globalId,
    ...(version.guid ? { guid: version.guid } : {}),
    ...schemaFields(format, specification, {
      references: version.references,
      metadata: versionMetadata(version),
      ruleSet: version.ruleSet,
    }),
    ...(version.deleted ? { deleted: true } : {}),
  };
}

/** A config as GET answers it: `compatibilityLevel` (the default when unset) and the other fields stored. */
export function presentConfig(config: Json): Json {
  const { compatibilityLevel, ...rest } = config;
  return { compatibilityLevel: compatibilityLevel ?? DEFAULT_COMPATIBILITY, ...rest };
}

// ---- the answers' schemas, for the OpenAPI document ------------------------------------------------

const schemaType = z.enum(SCHEMA_FORMATS);
const referenceAnswer = z.object({ name: z.string(), subject: z.string(), version: z.number().int() });
const metadata = z.record(z.string(), z.unknown()).openapi({ description: "`{properties, tags, sensitive}`." });

export const registeredAnswer = z
  .object({
    id: z
      .number()
      .int()
      .openapi({ description: "The global schema id (the one in the wire format's header).", example: 1 }),
  })
  .openapi("ConfluentRegisteredId");
export const versionAnswer = z
  .object({
    subject: z.string(),
    version: z.number().int(),
    id: z.number().int(),
    guid: z.string().optional(),
    schemaType,
    references: z.array(referenceAnswer).optional(),
    metadata: metadata.optional(),
    ruleSet: z.record(z.string(), z.unknown()).optional(),
    schema: z.string(),
    deleted: z.boolean().optional(),
  })
  .openapi("ConfluentSubjectVersion");
export const schemaAnswer = z
  .object({
    schemaType,
    references: z.array(referenceAnswer).optional(),
    metadata: metadata.optional(),
    ruleSet: z.record(z.string(), z.unknown()).optional(),
    schema: z.string(),
    maxId: z.number().int().optional().openapi({ description: "With `?fetchMaxId=true`: the highest id." }),
    id: z.number().int().optional().openapi({ description: "By guid: the schema's id." }),
    guid: z.string().optional().openapi({ description: "By guid: the guid." }),
  })
  .openapi("ConfluentSchema");
export const subjectVersionPair = z
  .object({ subject: z.string(), version: z.number().int() })
  .openapi("ConfluentSubjectVersionPair");
const level = z.enum(COMPATIBILITY_LEVELS).openapi({ example: "BACKWARD" });
export const configAnswer = z
  .looseObject({ compatibilityLevel: level })
  .openapi("ConfluentConfig", { description: "The level and the other config fields stored." });
export const configUpdateAnswer = z
  .looseObject({ compatibility: level.optional() })
  .openapi("ConfluentConfigSet", { description: "The fields set, as sent (the level upper-cased)." });
export const modeAnswer = z.object({ mode: z.enum(MODES) }).openapi("ConfluentMode");
export const compatibilityAnswer = z
  .object({
    is_compatible: z.boolean(),
    messages: z.array(z.string()).optional().openapi({ description: "With `?verbose=true`: why not." }),
  })
  .openapi("ConfluentCompatibility");
