/**
 * Avro compatibility: the Avro specification's schema resolution rules (reader vs writer), as
 * Apache Avro Java's SchemaCompatibility applies them and Confluent's AvroCompatibilityChecker
 * reports them. Issue types are Avro's SchemaIncompatibilityType names, which Confluent shows in
 * verbose answers: NAME_MISMATCH, FIXED_SIZE_MISMATCH, MISSING_ENUM_SYMBOLS,
 * READER_FIELD_MISSING_DEFAULT_VALUE, TYPE_MISMATCH, MISSING_UNION_BRANCH.
 *
 * It works on the parsed graph from avro-spec.ts, where a named-type reference is the same object
 * as its definition: pairs of (reader, writer) objects are memoized, which both ends recursion
 * (a pair met again while being checked counts as compatible, as in Java) and keeps a named type
 * used in many places from being checked many times.
 *
 * Paths are JSON pointers into the reader schema. A path through a named-type reference goes on
 * as if the definition were written there (`/fields/2/type/fields/0/type`), as Java's do.
 */
import type { AvroField, AvroNamed, AvroRecord, AvroSchema, ParsedAvroSpec } from "../spec/avro-spec.ts";
import { pointer } from "../spec/spec-limits.ts";
import type { ParsedSpec } from "../spec/spec-types.ts";
import type { CompatibilityEngine, CompatibilityIssue } from "./compatibility.ts";

type Segment = string | number;

/** An issue whose path is relative to the pair being checked, so a memoized result can be reused anywhere. */
interface RelativeIssue {
  type: string;
  path: Segment[];
  message: string;
}

/**
 * A pathological graph (a named type used twice in every one of many nested records) would
 * otherwise multiply its issues at each level; no one reads more than this many anyway.
 */
const MAX_ISSUES = 100;

const IN_PROGRESS = Symbol("in progress");

/**
 * What each primitive reader accepts besides its own type: the specification's promotions
 * ("int is promotable to long, float, or double", ...), written from the reader's side.
 */
const PROMOTIONS: Readonly<Record<string, readonly string[]>> = {
  long: ["int"],
  float: ["int", "long"],
  double: ["int", "long", "float"],
  bytes: ["string"],
  string: ["bytes"],
};

/** "error" is a record for resolution, as Java's Schema.Type.RECORD covers both. */
function kind(schema: AvroSchema): AvroSchema["type"] {
  return schema.type === "error" ? "record" : schema.type;
}

function describe(schema: AvroSchema): string {
  return "name" in schema ? `${kind(schema)} ${schema.name}` : schema.type;
}

function simpleName(named: AvroNamed): string {
  const dot = named.name.lastIndexOf(".");
  return dot < 0 ? named.name : named.name.slice(dot + 1);
}

function under(prefix: readonly Segment[], issues: readonly RelativeIssue[]): RelativeIssue[] {
  if (issues.length === 0) return [];
  return issues.slice(0, MAX_ISSUES).map((issue) => ({ ...issue, path: [...prefix, ...issue.path] }));
}

class ResolutionChecker {
  private readonly memo = new Map<AvroSchema, Map<AvroSchema, RelativeIssue[] | typeof IN_PROGRESS>>();
  private readonly writerFields = new Map<AvroRecord, Map<string, AvroField>>();

  /** The reasons data written with `writer` cannot be read with `reader`; empty when it can. */
  check(reader: AvroSchema, writer: AvroSchema): RelativeIssue[] {
    // Only named types can recur or be shared (an inline type is its own object, met once per
    // place), so only pairs involving one are memoized: most fields of a wide record skip the map.
    if (!("name" in reader) && !("name" in writer)) return this.resolve(reader, writer).slice(0, MAX_ISSUES);
    let byWriter = this.memo.get(reader);
    if (!byWriter) {
      byWriter = new Map();
      this.memo.set(reader, byWriter);
    }
    const known = byWriter.get(writer);
    // Met again while its own check is under way: a recursive type. Whatever breaks is reported
    // by the outer check, so this occurrence adds nothing (Java's RECURSION_IN_PROGRESS).
    if (known === IN_PROGRESS) return [];
    if (known) return known;
    byWriter.set(writer, IN_PROGRESS);
    const issues = this.resolve(reader, writer).slice(0, MAX_ISSUES);
    byWriter.set(writer, issues);
    return issues;
  }

  private resolve(reader: AvroSchema, writer: AvroSchema): RelativeIssue[] {
    if (kind(reader) === kind(writer)) {
      // Narrowed by hand below: TypeScript cannot relate the two discriminants.
      switch (reader.type) {
        case "array":
          return under(["items"], this.check(reader.items, (writer as typeof reader).items));
        case "map":
          return under(["values"], this.check(reader.values, (writer as typeof reader).values));
        case "fixed": {
          const w = writer as typeof reader;
          const issues = this.names(reader, w);
          if (reader.size !== w.size) {
            issues.push({
              type: "FIXED_SIZE_MISMATCH",
              path: ["size"],
              message:
                `expected: ${w.size}, found: ${reader.size} ` +
                `(the writer's fixed ${w.name} has ${w.size} bytes, the reader's ${reader.name} ${reader.size})`,
            });
          }
          return issues;
        }
        case "enum": {
          const w = writer as typeof reader;
          const issues = this.names(reader, w);
          const missing = w.symbols.filter((symbol) => !reader.symbols.includes(symbol));
          // A reader default stands in for any symbol it does not know (Avro 1.9+).
          if (missing.length > 0 && reader.default === undefined) {
            issues.push({
              type: "MISSING_ENUM_SYMBOLS",
              path: ["symbols"],
              message:
                `[${missing.join(", ")}]: the writer's enum ${w.name} has symbols ` +
                `the reader's ${reader.name} lacks, and the reader has no default`,
            });
          }
          return issues;
        }
        case "record":
        case "error":
          return [...this.names(reader, writer as AvroRecord), ...this.fields(reader, writer as AvroRecord)];
        case "union":
          // Every branch the writer may have written must be readable by some reader branch.
          return (writer as typeof reader).branches.flatMap((branch, index) =>
            this.check(reader, branch).length === 0
              ? []
              : [
                  {
                    type: "MISSING_UNION_BRANCH",
                    path: [],
                    message:
                      `reader union lacking writer type: ${describe(branch)} ` +
                      `(branch ${index} of the writer's union)`,
                  },
                ],
          );
        default:
          return [];
      }
    }
    if (writer.type === "union") {
      // A reader that is not a union reads a union only if it reads every branch the writer may have chosen.
      return writer.branches.flatMap((branch, index) =>
        this.check(reader, branch).map((issue) => ({
          ...issue,
          message: `${issue.message} (branch ${index} of the writer's union)`,
        })),
      );
    }
    if (reader.type === "union") {
      // Any branch that reads the writer will do; which one is not the question here.
      if (reader.branches.some((branch) => this.check(branch, writer).length === 0)) return [];
      return [
        { type: "MISSING_UNION_BRANCH", path: [], message: `reader union lacking writer type: ${describe(writer)}` },
      ];
    }
    if (PROMOTIONS[reader.type]?.includes(writer.type)) return [];
    return [
      {
        type: "TYPE_MISMATCH",
        path: [],
        message: `reader type: ${describe(reader)} not compatible with writer type: ${describe(writer)}`,
      },
    ];
  }

  /**
   * Named types match by unqualified name, or by a reader alias naming the writer's full name.
   * The unqualified comparison is Avro Java's since 1.9 (so moving a type to another namespace
   * stays compatible), and it is what Confluent answers.
   */
  private names(reader: AvroNamed, writer: AvroNamed): RelativeIssue[] {
    if (simpleName(reader) === simpleName(writer)) return [];
    const aliases = reader.aliases.map((alias) =>
      alias.includes(".") || !reader.namespace ? alias : `${reader.namespace}.${alias}`,
    );
    if (aliases.includes(writer.name) || reader.aliases.includes(writer.name)) return [];
    return [
      {
        type: "NAME_MISMATCH",
        path: ["name"],
        message:
          `expected: ${writer.name} ` +
          `(the reader's ${kind(reader)} is ${reader.name}; add the writer's name to its aliases to rename it)`,
      },
    ];
  }

  /**
   * Reader fields are matched in the writer by name or by the reader field's aliases; writer
   * fields the reader lacks are skipped.
   */
  private fields(reader: AvroRecord, writer: AvroRecord): RelativeIssue[] {
    let byName = this.writerFields.get(writer);
    if (!byName) {
      byName = new Map(writer.fields.map((field) => [field.name, field]));
      this.writerFields.set(writer, byName);
    }
    const issues: RelativeIssue[] = [];
    reader.fields.forEach((field, index) => {
      const direct = byName.get(field.name);
      // Aliases are rare: the common case looks up one name and allocates nothing.
      const unique =
        field.aliases.length === 0
          ? direct
            ? [direct]
            : []
          : [...new Set([field.name, ...field.aliases].flatMap((name) => byName.get(name) ?? []))];
      if (unique.length > 1) {
        // Java throws here ("matches multiple fields in writer record schema"): data could not be resolved.
        issues.push({
          type: "READER_FIELD_AMBIGUOUS",
          path: ["fields", index],
          message:
            `the reader's field ${field.name} ` +
            `matches the writer's fields ${unique.map((f) => f.name).join(", ")} by name and aliases`,
        });
        return;
      }
      const match = unique[0];
      if (match) {
        issues.push(...under(["fields", index, "type"], this.check(field.type, match.type)));
      } else if (!field.hasDefault) {
        issues.push({
          type: "READER_FIELD_MISSING_DEFAULT_VALUE",
          path: ["fields", index],
          message:
            `${field.name}: ` + `the reader's field is missing in the writer's ${writer.name} and has no default value`,
        });
      }
    });
    return issues;
  }
}

function isAvro(spec: ParsedSpec): spec is ParsedAvroSpec {
  return spec.format === "AVRO";
}

/**
 * The Avro engine: can data written with `writer` be read with `reader`, by Avro's schema
 * resolution rules? Logical types are ignored (only their underlying types count), as Avro does.
 *
 * @example
 *   const v1 = validateSpecification(
 *     "AVRO",
 *     '{"type":"record","name":"User","fields":[{"name":"id","type":"int"}]}',
 *   );
 *   const v2 = validateSpecification(
 *     "AVRO",
 *     '{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"email","type":"string"}]}',
 *   );
 *   if (v1.ok && v2.ok) avroCompatibility.canRead(v2.parsed, v1.parsed);
 *   // [{ type: "READER_FIELD_MISSING_DEFAULT_VALUE", path: "/fields/1",
 *   //    message: "email: the reader's field is missing ..." }]
 *   // (int -> long is a promotion, so /fields/0 is fine)
 */
export const avroCompatibility: CompatibilityEngine = {
  canRead(reader: ParsedSpec, writer: ParsedSpec): CompatibilityIssue[] {
    if (!isAvro(reader) || !isAvro(writer)) {
      return [
        {
          type: "TYPE_MISMATCH",
          path: "",
          message:
            `the reader is ${reader.format} and the writer ${writer.format}: ` +
            `only two Avro schemas can be compared`,
        },
      ];
    }
    return new ResolutionChecker()
      .check(reader.schema, writer.schema)
      .map((issue) => ({ type: issue.type, path: pointer(issue.path), message: issue.message }));
  },
};
