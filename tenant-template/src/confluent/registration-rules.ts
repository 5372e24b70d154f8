/**
 * The rules a Confluent registration applies besides compatibility (docs/confluent-api.md,
 * "Behaviour"): metadata and rule sets merged with the config's defaults and overrides, the
 * `confluent:version` hint, what counts as registering the same schema again, and reserved fields.
 */
import { canonicalJson } from "../../../contracts/canonical-json.ts";
import { protobufFirstMessageFields } from "../compat/protobuf-compatibility.ts";
import { reservedFieldProblems } from "../compat/reserved-fields.ts";
import type { ParsedSpec } from "../spec/validate-specification.ts";
import { isObject, type Json } from "./confluent-answers.ts";
import { CONFLUENT_ERRORS } from "./confluent-error.ts";
import type { SchemaInput } from "./confluent-input.ts";
import { fail } from "./confluent-route.ts";
import { canonicalSchema, type SchemaReference, type SchemaType, type SubjectVersion } from "./confluent-store.ts";
import { ParsedSchemaCache } from "./parsed-schema-cache.ts";

// final = merge(merge(config.default, request or previous), config.override)

export function mergeMetadata(base: Json | null | undefined, over: Json | null | undefined): Json | null {
  if (!base) return over ?? null;
  if (!over) return base;
  const merged: Json = { ...base, ...over };
  for (const key of ["tags", "properties"]) {
    if (isObject(base[key]) || isObject(over[key]))
      merged[key] = { ...(isObject(base[key]) ? base[key] : {}), ...(isObject(over[key]) ? over[key] : {}) };
  }
  if (Array.isArray(base.sensitive) || Array.isArray(over.sensitive))
    merged.sensitive = [
      ...new Set([...((base.sensitive as unknown[]) ?? []), ...((over.sensitive as unknown[]) ?? [])]),
    ];
  return merged;
}

export function mergeRuleSets(base: Json | null | undefined, over: Json | null | undefined): Json | null {
  if (!base) return over ?? null;
  if (!over) return base;
  const merged: Json = { ...base, ...over };
  for (const group of ["migrationRules", "domainRules", "encodingRules"]) {
    const rules = new Map<string, unknown>();
    for (const rule of [...((base[group] as Json[] | undefined) ?? []), ...((over[group] as Json[] | undefined) ?? [])])
      rules.set(String(rule.name), rule);
    if (rules.size > 0) merged[group] = [...rules.values()];
  }
  return merged;
}

/** confluent:version is a hint for the version number, never part of what is stored as the schema's identity. */
export function withoutVersionHint(metadata: Json | null): Json | null {
  if (!metadata || !isObject(metadata.properties) || !("confluent:version" in metadata.properties)) return metadata;
  const { "confluent:version": _hint, ...properties } = metadata.properties;
  const rest: Json = { ...metadata, properties };
  if (Object.keys(properties).length === 0) delete rest.properties;
  return Object.keys(rest).length === 0 ? null : rest;
}

export function versionHint(metadata: Json | null | undefined): number | undefined {
  const value = isObject(metadata?.properties) ? metadata.properties["confluent:version"] : undefined;
  const number =
    typeof value === "string" && /^\d+$/.test(value) ? Number(value) : typeof value === "number" ? value : NaN;
  return Number.isSafeInteger(number) && number > 0 ? number : undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

export function sameReferences(a: readonly SchemaReference[], b: readonly SchemaReference[]): boolean {
  return (
    a.length === b.length &&
    a.every((ref, i) => ref.name === b[i]!.name && ref.subject === b[i]!.subject && ref.version === b[i]!.version)
  );
}

/** A version holds the same schema text (canonical form), type and references as `input`. */
export function sameSchemaText(version: SubjectVersion, input: SchemaInput): boolean {
  return (
    version.document.body.format === input.schemaType &&
    canonicalForm(input.schemaType, version.document.body.specification) ===
      canonicalForm(input.schemaType, input.schema) &&
    sameReferences(version.references, input.references)
  );
}

/**
 * Canonical forms of stored texts, per isolate: a registration compares the candidate with every
 * live version of its subject, whose texts are the same from one registration to the next, so
 * each is canonicalised once rather than on every registration (a pure function of type and
 * text: an entry is never wrong; bounded like the parsed-schema cache).
 */
const canonicalForms = new ParsedSchemaCache<string>();

function canonicalForm(schemaType: SchemaType, text: string): string {
  return (
    canonicalForms.get(schemaType, text) ?? canonicalForms.put(schemaType, text, canonicalSchema(schemaType, text))
  );
}

/**
 * A live version registering `input` again would duplicate (same schema, references, and
 * metadata/rule set when sent).
 */
export function sameSchema(
  version: SubjectVersion,
  input: SchemaInput,
  metadata: Json | null,
  ruleSet: Json | null,
): boolean {
  return sameSchemaText(version, input) && sameJson(version.metadata, metadata) && sameJson(version.ruleSet, ruleSet);
}

/**
 * The fields Confluent's reserved-field rule applies to: an Avro record's fields, a JSON Schema's
 * properties, the fields of a .proto's first message.
 */
function topLevelFields(parsed: ParsedSpec): string[] {
  if (parsed.format === "AVRO")
    return parsed.schema.type === "record" ? parsed.schema.fields.map((field) => field.name) : [];
  if (parsed.format === "JSON")
    return typeof parsed.schema === "object" && isObject(parsed.schema.properties)
      ? Object.keys(parsed.schema.properties)
      : [];
  return protobufFirstMessageFields(parsed);
}

/**
 * `validateFields` (config): a field may not have a reserved name, and a name reserved by the
 * previous version stays reserved. Both are 409, as Confluent answers them.
 */
export function checkReservedFields(parsed: ParsedSpec, metadata: Json | null, previous: Json | null): void {
  const [problem] = reservedFieldProblems(previous, metadata, topLevelFields(parsed));
  if (problem?.type === "FIELD_CONFLICTS_WITH_RESERVED_FIELD") {
    fail(
      CONFLUENT_ERRORS.incompatibleSchema,
      `The new schema has field that conflicts with the reserved field ${problem.name}.`,
    );
  }
  if (problem?.type === "RESERVED_FIELD_REMOVED") {
    fail(
      CONFLUENT_ERRORS.incompatibleSchema,
      `The new schema has reserved field ${problem.name} removed from its metadata.`,
    );
  }
}
