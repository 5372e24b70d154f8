/**
 * A candidate schema judged against a subject's versions at a compatibility level: the one check
 * behind a Confluent registration, Confluent's compatibility endpoints and a publication through
 * /api (registry/publication-rules.ts), so a version is never served as "latest" by one API after
 * the other refused it.
 */
import { avroCompatibility } from "../compat/avro-compatibility.ts";
import {
  checkCompatibility,
  type CompatibilityEngine,
  type CompatibilityLevel,
  type CompatibilityResult,
} from "../compat/compatibility.ts";
import { jsonSchemaCompatibility } from "../compat/json-schema-compatibility.ts";
import { protobufCompatibility } from "../compat/protobuf-compatibility.ts";
import type { ParsedSpec } from "../spec/validate-specification.ts";
import type { StoreQueryable } from "../store/store-db.ts";
import type { SchemaType, SubjectName, SubjectVersion } from "./confluent-store.ts";
import { ParsedSchemaCache } from "./parsed-schema-cache.ts";
import { parseWithReferences, resolveReferences } from "./schema-references.ts";

export const ENGINES: Record<SchemaType, CompatibilityEngine> = {
  AVRO: avroCompatibility,
  JSON: jsonSchemaCompatibility,
  PROTOBUF: protobufCompatibility,
};

/** This isolate's parses of stored texts without references (parsed-schema-cache.ts: pure, never stale). */
const parsedSchemas = new ParsedSchemaCache<ParsedSpec>();

/** A specification without references, parsed once per isolate; undefined when it does not parse. */
export function parseStored(format: SchemaType, specification: string): ParsedSpec | undefined {
  const cached = parsedSchemas.get(format, specification);
  if (cached !== undefined) return cached;
  const result = parseWithReferences(format, specification, []);
  return result.ok ? parsedSchemas.put(format, specification, result.parsed) : undefined;
}

/** An existing version, parsed with its references; undefined when it no longer parses. */
export async function parseVersion(
  session: StoreQueryable,
  subject: SubjectName,
  version: SubjectVersion,
): Promise<ParsedSpec | undefined> {
  const { format, specification } = version.document.body;
  try {
    if (version.references.length === 0) return parseStored(format, specification);
    const dependencies = await resolveReferences(session, version.references, subject.context);
    const result = parseWithReferences(format, specification, dependencies);
    return result.ok ? result.parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The candidate against `existing` (oldest first) at `level`; a different schema type is incompatible. */
export async function subjectCompatibility(
  session: StoreQueryable,
  subject: SubjectName,
  candidate: { schemaType: SchemaType; parsed: ParsedSpec },
  level: CompatibilityLevel,
  existing: readonly SubjectVersion[],
): Promise<CompatibilityResult> {
  if (level === "NONE" || existing.length === 0) return { isCompatible: true, messages: [], issues: [] };
  const transitive = level.endsWith("_TRANSITIVE");
  const against = transitive ? existing : existing.slice(-1);
  const mismatched = against.filter((version) => version.document.body.format !== candidate.schemaType);
  if (mismatched.length > 0) {
    const message =
      `Incompatible schema type: ${candidate.schemaType} ` +
      `against version ${mismatched[0]!.version} (${mismatched[0]!.document.body.format})`;
    return { isCompatible: false, messages: [message], issues: [] };
  }
  const parsed: { version: number; spec: ParsedSpec }[] = [];
  for (const version of against) {
    const spec = await parseVersion(session, subject, version);
    if (spec) parsed.push({ version: version.version, spec });
  }
  return checkCompatibility(ENGINES[candidate.schemaType], level, candidate.parsed, parsed);
}
