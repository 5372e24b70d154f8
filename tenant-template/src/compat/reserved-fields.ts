/**
 * Confluent's reserved-field rule, in one place for every format: a version's metadata property
 * `confluent:reserved` lists field names (comma-separated) that its schema may not use, and a name
 * reserved by the previous version stays reserved. The Confluent API applies it on registration
 * when `validateFields` is set; the Protobuf diff reports it as Confluent's diff does.
 */

export const RESERVED_FIELDS_PROPERTY = "confluent:reserved";

export type ReservedFieldProblem =
  | { type: "FIELD_CONFLICTS_WITH_RESERVED_FIELD"; name: string }
  | { type: "RESERVED_FIELD_REMOVED"; name: string };

/**
 * The names a version's metadata reserves; none when the property is absent or not a string.
 *
 * @example
 *   reservedFieldNames({ properties: { "confluent:reserved": "ssn, email" } }) // Set { "ssn", "email" }
 */
export function reservedFieldNames(metadata: unknown): Set<string> {
  const properties = (metadata as { properties?: unknown } | null | undefined)?.properties;
  const value =
    typeof properties === "object" && properties !== null
      ? (properties as Record<string, unknown>)[RESERVED_FIELDS_PROPERTY]
      : undefined;
  if (typeof value !== "string") return new Set();
  return new Set(
    value
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== ""),
  );
}

/**
 * What a new version breaks of the rule: each of its fields that carries a reserved name (first),
 * then each name the previous version reserved that the new metadata no longer does.
 *
 * @example
 *   reservedFieldProblems(undefined, { properties: { "confluent:reserved": "ssn" } }, ["id", "ssn"])
 *   // [{ type: "FIELD_CONFLICTS_WITH_RESERVED_FIELD", name: "ssn" }]
 */
export function reservedFieldProblems(
  previousMetadata: unknown,
  metadata: unknown,
  fieldNames: Iterable<string>,
): ReservedFieldProblem[] {
  const reserved = reservedFieldNames(metadata);
  const problems: ReservedFieldProblem[] = [];
  for (const name of fieldNames) {
    if (reserved.has(name)) problems.push({ type: "FIELD_CONFLICTS_WITH_RESERVED_FIELD", name });
  }
  for (const name of reservedFieldNames(previousMetadata)) {
    if (!reserved.has(name)) problems.push({ type: "RESERVED_FIELD_REMOVED", name });
  }
  return problems;
}
