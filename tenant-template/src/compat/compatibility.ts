/**
 * Schema compatibility, as Confluent Schema Registry defines it, shared by the three format
 * engines (avro-compatibility.ts, json-schema-compatibility.ts, protobuf-compatibility.ts).
 *
 * An engine answers one question: can data written with `writer` be read with `reader`? Every
 * level is built from that question (see `checkCompatibility`):
 * - BACKWARD: the new schema reads data written with the latest existing one;
 * - FORWARD: the latest existing schema reads data written with the new one;
 * - FULL: both; the _TRANSITIVE levels ask the same against every existing version, not only
 *   the latest; NONE asks nothing.
 * The parsers stay in tenant-template/src/spec (validateSpecification); engines work on their
 * parsed forms, never on text.
 */
import type { ParsedSpec } from "../spec/spec-types.ts";

export const COMPATIBILITY_LEVELS = [
  "NONE",
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

/** One reason two schemas are incompatible: what broke and where, for verbose answers. */
export interface CompatibilityIssue {
  /** A Confluent-style change or error type, e.g. `READER_FIELD_MISSING_DEFAULT_VALUE`, `TYPE_CHANGED`. */
  type: string;
  /** Where in the schema, as a JSON pointer (Avro, JSON Schema) or a message path (Protobuf). */
  path: string;
  /** A sentence a developer can act on. */
  message: string;
}

/**
 * A format's rules. `reader` and `writer` are parsed specifications of that engine's format.
 * Returns every issue found; an empty list means compatible.
 */
export interface CompatibilityEngine {
  canRead(reader: ParsedSpec, writer: ParsedSpec): CompatibilityIssue[];
}

export interface CompatibilityResult {
  isCompatible: boolean;
  /** Each issue, prefixed with the existing version it concerns when there are several. */
  messages: string[];
  issues: (CompatibilityIssue & { againstVersion?: number; direction: "backward" | "forward" })[];
}

/**
 * Checks `candidate` against the existing versions (oldest first) at a compatibility level.
 *
 * @example
 *   checkCompatibility(avroEngine, "BACKWARD", parsedNew, [{ version: 1, spec: parsedV1 }])
 *   // { isCompatible: false, messages: ["... READER_FIELD_MISSING_DEFAULT_VALUE ..."], issues: [...] }
 */
export function checkCompatibility(
  engine: CompatibilityEngine,
  level: CompatibilityLevel,
  candidate: ParsedSpec,
  existing: readonly { version: number; spec: ParsedSpec }[],
): CompatibilityResult {
  if (level === "NONE" || existing.length === 0) return { isCompatible: true, messages: [], issues: [] };
  const transitive = level.endsWith("_TRANSITIVE");
  const against = transitive ? existing : existing.slice(-1);
  const backward = level.startsWith("BACKWARD") || level.startsWith("FULL");
  const forward = level.startsWith("FORWARD") || level.startsWith("FULL");
  const issues: CompatibilityResult["issues"] = [];
  // Newest first, so the most relevant break is reported first.
  for (const { version, spec } of [...against].reverse()) {
    if (backward)
      for (const issue of engine.canRead(candidate, spec))
        issues.push({ ...issue, againstVersion: version, direction: "backward" });
    if (forward)
      for (const issue of engine.canRead(spec, candidate))
        issues.push({ ...issue, againstVersion: version, direction: "forward" });
  }
  return {
    isCompatible: issues.length === 0,
    messages: issues.map(
      (i) =>
        `{errorType:'${i.type}', description:'${i.message}', ` +
        `location:'${i.path}', version: ${i.againstVersion}, direction: ${i.direction}}`,
    ),
    issues,
  };
}
