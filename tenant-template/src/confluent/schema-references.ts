/**
 * Schema references (docs/confluent-api.md, "References"): a schema names other subjects'
 * versions it builds on, and is parsed with them. Avro: the referenced named types are defined
 * before the schema (parsed as one union, dependencies first, so the schema's names resolve to
 * them); Protobuf: each reference is the file an `import` names; JSON Schema: a `$ref` to another
 * document names a reference. References of references are followed, up to MAX_REFERENCE_DEPTH
 * levels; a reference that leads back to a version already on the path is a cycle, refused with
 * the path in the message.
 */
import { MAX_REFERENCE_DEPTH } from "../http/input-limits.ts";
import type { ParsedAvroSpec } from "../spec/avro-spec.ts";
import { validateSpecification, type SpecResult } from "../spec/validate-specification.ts";
import type { StoreQueryable } from "../store/store-db.ts";
import { CONFLUENT_ERRORS, ConfluentError } from "./confluent-error.ts";
import { readSubject, parseSubject, type SchemaReference, type SchemaType } from "./confluent-store.ts";

/** A referenced version's schema, found through its subject. */
export interface ResolvedReference {
  reference: SchemaReference;
  /** The referenced subject, qualified. */
  subject: string;
  version: number;
  schemaType: SchemaType;
  schema: string;
}

/**
 * A subject's new form, standing for whichever version of it a reference names (an impact
 * analysis: impact-analysis.ts). Resolved as version 0, which no stored version has.
 */
export interface ReferenceOverride {
  schemaType: SchemaType;
  schema: string;
  references: readonly SchemaReference[];
}

/** `latest` and -1 mean the latest live version, as in Confluent. */
async function lookUp(
  session: StoreQueryable,
  reference: SchemaReference,
  referrerContext: string,
  overrides: ReadonlyMap<string, ReferenceOverride> | undefined,
): Promise<ResolvedReference & { references: readonly SchemaReference[] }> {
  const subject = parseSubject(reference.subject, referrerContext);
  const override = overrides?.get(subject.qualified);
  if (override !== undefined) return { reference, subject: subject.qualified, version: 0, ...override };
  const versions = (await readSubject(session, subject)).versions.filter((version) => !version.deleted);
  const found =
    reference.version === -1 ? versions.at(-1) : versions.find((version) => version.version === reference.version);
  if (!found) {
    throw new ConfluentError(
      CONFLUENT_ERRORS.invalidSchema,
      `Invalid schema: the reference "${reference.name}" ` +
        `names subject '${subject.qualified}' version ${reference.version}, which does not exist.`,
    );
  }
  return {
    reference,
    subject: subject.qualified,
    version: found.version,
    schemaType: found.document.body.format,
    schema: found.document.body.specification,
    references: found.references,
  };
}

/**
 * Every schema `references` lead to, dependencies before the schemas that use them, each once;
 * with `schemaType`, every one must be of that type (42201 otherwise).
 *
 * @example
 *   await resolveReferences(session, [{ name: "com.acme.Address", subject: "address", version: 1 }], ".");
 *   // [{ reference: {...}, subject: "address", version: 1, schemaType: "AVRO", schema: "{...}" }]
 */
export async function resolveReferences(
  session: StoreQueryable,
  references: readonly SchemaReference[],
  referrerContext: string,
  schemaType?: SchemaType,
  /** Subjects (qualified) resolved to a new form whatever version is named (`ReferenceOverride`). */
  overrides?: ReadonlyMap<string, ReferenceOverride>,
): Promise<ResolvedReference[]> {
  const ordered: ResolvedReference[] = [];
  const done = new Set<string>();
  const visit = async (refs: readonly SchemaReference[], context: string, path: string[]): Promise<void> => {
    for (const reference of refs) {
      const resolved = await lookUp(session, reference, context, overrides);
      // A schema can only build on schemas of its own type (an Avro record is no JSON Schema).
      if (schemaType !== undefined && resolved.schemaType !== schemaType) {
        throw new ConfluentError(
          CONFLUENT_ERRORS.invalidSchema,
          `Invalid schema: the reference "${reference.name}" is a ${resolved.schemaType} schema, not ${schemaType}.`,
        );
      }
      const key = `${resolved.subject} version ${resolved.version}`;
      if (path.includes(key)) {
        throw new ConfluentError(
          CONFLUENT_ERRORS.invalidSchema,
          `Invalid schema: circular reference ${[...path.slice(path.indexOf(key)), key].join(" -> ")}.`,
        );
      }
      if (done.has(key)) continue;
      if (path.length >= MAX_REFERENCE_DEPTH) {
        throw new ConfluentError(
          CONFLUENT_ERRORS.invalidSchema,
          `Invalid schema: references nest deeper than ${MAX_REFERENCE_DEPTH} levels (${[...path, key].join(" -> ")}).`,
        );
      }
      await visit(resolved.references, parseSubject(resolved.subject).context, [...path, key]);
      done.add(key);
      ordered.push(resolved);
    }
  };
  await visit(references, referrerContext, []);
  return ordered;
}

/**
 * Parses a schema together with the schemas its references lead to (see the module comment).
 * Never throws for an invalid schema: the result says why, as validateSpecification does.
 */
export function parseWithReferences(
  schemaType: SchemaType,
  schema: string,
  dependencies: readonly ResolvedReference[],
): SpecResult {
  if (dependencies.length === 0) return validateSpecification(schemaType, schema);
  if (schemaType === "PROTOBUF")
    return validateSpecification(
      "PROTOBUF",
      schema,
      new Map(dependencies.map((dependency) => [dependency.reference.name, dependency.schema])),
    );
  if (schemaType === "JSON") return validateSpecification("JSON", schema);
  // Avro: one union, the referenced types first, so the schema's names resolve to their definitions.
  const avro = dependencies.filter((dependency) => dependency.schemaType === "AVRO");
  let main: unknown;
  try {
    main = JSON.parse(schema);
  } catch {
    return validateSpecification("AVRO", schema);
  }
  const branches = Array.isArray(main) ? main : [main];
  const texts = [...avro.map((dependency) => dependency.schema), ...branches.map((branch) => JSON.stringify(branch))];
  const combined = `[${texts.join(",")}]`;
  const result = validateSpecification("AVRO", combined);
  if (!result.ok) return result;
  const parsed = result.parsed as ParsedAvroSpec;
  if (parsed.schema.type !== "union") return result;
  const own = parsed.schema.branches.slice(avro.length);
  return { ok: true, parsed: { ...parsed, schema: Array.isArray(main) ? { type: "union", branches: own } : own[0]! } };
}
