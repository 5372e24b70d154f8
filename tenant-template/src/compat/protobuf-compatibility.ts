/**
 * Protobuf compatibility, by the rules of Confluent Schema Registry's ProtobufSchema diff
 * (io.confluent.kafka.schemaregistry.protobuf.diff, v8.1): two versions of a .proto file are
 * compared element by element, every difference gets a type (MESSAGE_REMOVED, FIELD_KIND_CHANGED,
 * ...), and the update is backward compatible when every difference is of a compatible type.
 *
 * It works on protobufjs's reflection tree (ParsedProtobufSpec.root), never on text, so it runs in
 * workerd: only reflection is used, no generated encoder or decoder.
 *
 * How the tree maps to Confluent's model (which is Wire's parse tree of one file):
 * - messages and enums are matched by name at each level of the file, fields and enum constants
 *   by number, oneofs by name; paths are Confluent's: `#/Outer/Inner/2`, `#/Msg/my_oneof/3`;
 * - a field's type is compared by what protobufjs resolved it to, so `Status`,
 *   `TestMessage.Status` and `.pkg.TestMessage.Status` are the same type;
 * - types declared by imported files (references) are compared structurally when a field uses
 *   them, and are not themselves part of the file's top-level diff (see `ProtobufSchemaInput`);
 * - services, options and comments are ignored, as Confluent ignores them.
 */
import {
  common,
  Enum,
  MapField,
  Type,
  type Field,
  type FieldBase,
  type INamespace,
  type Namespace,
  type OneOf,
  type ReflectionObject,
} from "protobufjs";
import type { ParsedProtobufSpec } from "../spec/protobuf-spec.ts";
import type { ParsedSpec } from "../spec/spec-types.ts";
import type { CompatibilityEngine, CompatibilityIssue } from "./compatibility.ts";
import { RESERVED_FIELDS_PROPERTY, reservedFieldProblems } from "./reserved-fields.ts";

/** Confluent's difference types, plus the two metadata-driven reserved-field checks. */
const PROTOBUF_DIFFERENCE_TYPES = [
  "PACKAGE_CHANGED",
  "MESSAGE_ADDED",
  "MESSAGE_REMOVED",
  "MESSAGE_MOVED",
  "ENUM_ADDED",
  "ENUM_REMOVED",
  "ENUM_CONST_ADDED",
  "ENUM_CONST_CHANGED",
  "ENUM_CONST_REMOVED",
  "FIELD_ADDED",
  "FIELD_REMOVED",
  "FIELD_NAME_CHANGED",
  "FIELD_KIND_CHANGED",
  "FIELD_SCALAR_KIND_CHANGED",
  "FIELD_NAMED_TYPE_CHANGED",
  "FIELD_NUMERIC_LABEL_CHANGED",
  "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
  "REQUIRED_FIELD_ADDED",
  "REQUIRED_FIELD_REMOVED",
  "ONEOF_ADDED",
  "ONEOF_REMOVED",
  "ONEOF_FIELD_ADDED",
  "ONEOF_FIELD_REMOVED",
  "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
  "FIELD_MOVED_TO_EXISTING_ONEOF",
  "RESERVED_FIELD_REMOVED",
  "FIELD_CONFLICTS_WITH_RESERVED_FIELD",
] as const;
export type ProtobufDifferenceType = (typeof PROTOBUF_DIFFERENCE_TYPES)[number];

/**
 * The differences that do not break a reader of the update: Confluent's COMPATIBLE_CHANGES.
 * Everything else (a removed message, a field whose wire type changed, a required field added or
 * removed, fields newly made mutually exclusive, a changed package) is incompatible.
 */
const COMPATIBLE_PROTOBUF_CHANGES: ReadonlySet<ProtobufDifferenceType> = new Set<ProtobufDifferenceType>([
  "MESSAGE_ADDED",
  "MESSAGE_MOVED",
  "ENUM_ADDED",
  "ENUM_REMOVED",
  "ENUM_CONST_ADDED",
  "ENUM_CONST_CHANGED",
  "ENUM_CONST_REMOVED",
  "FIELD_ADDED",
  "FIELD_REMOVED",
  "FIELD_NAME_CHANGED",
  "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
  "ONEOF_ADDED",
  "ONEOF_REMOVED",
  "ONEOF_FIELD_ADDED",
]);

export interface ProtobufDifference {
  type: ProtobufDifferenceType;
  /** Confluent's path: `#/` then message names, oneof names and field or constant numbers. */
  path: string;
}

export interface ProtobufDiffResult {
  isCompatible: boolean;
  /** Every difference, compatible or not, in a stable order. */
  differences: ProtobufDifference[];
  /** The differences that make the update incompatible. */
  incompatible: ProtobufDifference[];
}

/** A schema version's metadata, as Confluent stores it; only `confluent:reserved` matters here. */
export interface ProtobufSchemaMetadata {
  properties?: Readonly<Record<string, string>>;
}

/**
 * A parsed .proto file, possibly with its references already parsed into the same root.
 * Types declared by an imported file must carry that file's name in protobufjs's `filename`
 * (what `Root.load` does); types from protobufjs's bundled well-known imports are recognised by
 * name. Every other type in the root is taken as declared by the file itself.
 */
export type ProtobufSchemaInput = ParsedProtobufSpec;

/**
 * Confluent's scalar groups: types in one group share a wire encoding, so a reader of one type
 * reads data written with another (https://protobuf.dev/programming-guides/proto3/#updating).
 * An enum is read as a varint, so it belongs to the first group.
 */
const SCALAR_GROUPS: Readonly<Record<string, string>> = {
  int32: "varint",
  int64: "varint",
  uint32: "varint",
  uint64: "varint",
  bool: "varint",
  sint32: "zigzag",
  sint64: "zigzag",
  string: "length-delimited",
  bytes: "length-delimited",
  fixed32: "fixed32",
  sfixed32: "fixed32",
  fixed64: "fixed64",
  sfixed64: "fixed64",
  float: "float",
  double: "double",
};

type Label = "optional" | "required" | "repeated" | null;
type Kind = "scalar" | "map" | "message";

/** A field's type, as one side of a comparison: a scalar name, a resolved message or enum, or a map. */
interface TypeRef {
  name: string;
  resolved: Type | Enum | null;
  map?: { key: TypeRef; value: TypeRef };
}

interface Side {
  packageName: string;
  /** Top-level type names (without a leading dot) that imports declare, for this side's root. */
  wellKnown: ReadonlySet<string>;
}

/** The state of one comparison: where we are, what was found, which messages are being compared (recursion guard). */
class DiffContext {
  readonly differences: ProtobufDifference[] = [];
  constructor(
    readonly original: Side,
    readonly update: Side,
    readonly path: string[],
    readonly visiting: Set<Type>,
  ) {}

  add(type: ProtobufDifferenceType, ...extra: Array<string | number>): void {
    this.differences.push({ type, path: `#/${[...this.path, ...extra.map(String)].join("/")}` });
  }

  /** Runs `body` with `segments` appended to the path. */
  at<T>(segments: Array<string | number>, body: () => T): T {
    this.path.push(...segments.map(String));
    try {
      return body();
    } finally {
      this.path.length -= segments.length;
    }
  }

  isCompatible(): boolean {
    return this.differences.every((d) => COMPATIBLE_PROTOBUF_CHANGES.has(d.type));
  }
}

/**
 * Compares two versions of a .proto schema the way Confluent's ProtobufSchema diff does.
 * `original` is the existing version (the writer), `update` the new one (the reader); the result
 * says whether the update is backward compatible, with every difference found. With `metadata`,
 * Confluent's reserved-field rules also apply: names listed in `confluent:reserved` may not
 * disappear from the update's metadata, nor be used as fields of the update's first message.
 *
 * @example
 *   const v1 = validateProtobufSpec('syntax = "proto3"; message M { int32 a = 1; }');
 *   const v2 = validateProtobufSpec('syntax = "proto3"; message M { string a = 1; }');
 *   if (v1.ok && v2.ok) diffProtobufSchemas(v1.parsed, v2.parsed);
 *   // { isCompatible: false, differences: [{ type: "FIELD_SCALAR_KIND_CHANGED", path: "#/M/1" }],
 *   //   incompatible: [...] }
 */
export function diffProtobufSchemas(
  original: ProtobufSchemaInput,
  update: ProtobufSchemaInput,
  metadata?: { original?: ProtobufSchemaMetadata; update?: ProtobufSchemaMetadata },
): ProtobufDiffResult {
  const ctx = new DiffContext(side(original), side(update), [], new Set());
  if (ctx.original.packageName !== ctx.update.packageName) ctx.add("PACKAGE_CHANGED");
  compareTypeElements(ctx, fileTypes(original, ctx.original), fileTypes(update, ctx.update));
  if (metadata) checkReservedFields(ctx, update, metadata.original, metadata.update);
  const incompatible = ctx.differences.filter((d) => !COMPATIBLE_PROTOBUF_CHANGES.has(d.type));
  return { isCompatible: incompatible.length === 0, differences: ctx.differences, incompatible };
}

/**
 * The Protobuf engine for `checkCompatibility`: `reader` can read data written with `writer` when
 * the reader is a backward-compatible update of the writer. Metadata is not part of a parsed
 * specification, so the reserved-field rules are left to callers of `diffProtobufSchemas`.
 *
 * @example
 *   checkCompatibility(protobufCompatibility, "BACKWARD", parsedV2, [{ version: 1, spec: parsedV1 }]);
 *   // { isCompatible: false, messages: ["{errorType:'FIELD_SCALAR_KIND_CHANGED', ...}"], issues: [...] }
 */
export const protobufCompatibility: CompatibilityEngine = {
  canRead(reader: ParsedSpec, writer: ParsedSpec): CompatibilityIssue[] {
    if (reader.format !== "PROTOBUF" || writer.format !== "PROTOBUF") {
      return [
        {
          type: "SCHEMA_TYPE_CHANGED",
          path: "#/",
          message: `a ${reader.format} schema cannot read data written with a ${writer.format} schema`,
        },
      ];
    }
    return diffProtobufSchemas(writer, reader).incompatible.map((d) => ({ ...d, message: describe(d) }));
  },
};

/** A sentence for each incompatible difference: what the reader can no longer do. */
function describe({ type, path }: ProtobufDifference): string {
  switch (type) {
    case "PACKAGE_CHANGED":
      return "the package changed, so every message has a different full name";
    case "MESSAGE_REMOVED":
      return `message ${path} was removed; data written with it can no longer be read`;
    case "FIELD_KIND_CHANGED":
      return `field ${path} changed between scalar, map and message, which have different wire types`;
    case "FIELD_SCALAR_KIND_CHANGED":
      return (
        `field ${path} changed to a scalar type that is not wire-compatible ` +
        `(compatible groups: int32/int64/uint32/uint64/bool/enum, ` +
        `sint32/sint64, string/bytes, fixed32/sfixed32, fixed64/sfixed64)`
      );
    case "FIELD_NAMED_TYPE_CHANGED":
      return `field ${path} now refers to a different or incompatible message type`;
    case "FIELD_NUMERIC_LABEL_CHANGED":
      return `numeric field ${path} changed between optional, required and repeated`;
    case "REQUIRED_FIELD_ADDED":
      return `required field ${path} was added; data written without it cannot be read`;
    case "REQUIRED_FIELD_REMOVED":
      return `required field ${path} was removed`;
    case "ONEOF_FIELD_REMOVED":
      return `field ${path} was removed from its oneof; data that set it cannot be read`;
    case "MULTIPLE_FIELDS_MOVED_TO_ONEOF":
      return `oneof ${path} now holds several fields that were independent; data that set more than one cannot be read`;
    case "FIELD_MOVED_TO_EXISTING_ONEOF":
      return `oneof ${path} gained a field that was independent of its existing members`;
    case "RESERVED_FIELD_REMOVED":
      return (
        `a field reserved in the previous version's metadata (${RESERVED_FIELDS_PROPERTY}) ` +
        `is no longer reserved: ${path}`
      );
    case "FIELD_CONFLICTS_WITH_RESERVED_FIELD":
      return `field ${path} uses a name reserved in the metadata (${RESERVED_FIELDS_PROPERTY})`;
    default:
      return `${type} at ${path}`;
  }
}

function side(spec: ProtobufSchemaInput): Side {
  const wellKnown = new Set<string>();
  for (const file of spec.imports) {
    const json = common.get(file);
    if (json) collectTypeNames(json, "", wellKnown);
  }
  return { packageName: spec.package ?? "", wellKnown };
}

/** The full names of the types a bundled well-known file declares, from protobufjs's JSON form. */
function collectTypeNames(json: INamespace, prefix: string, into: Set<string>): void {
  for (const [name, nested] of Object.entries(json.nested ?? {})) {
    const full = prefix ? `${prefix}.${name}` : name;
    if ("fields" in nested || "values" in nested) into.add(full);
    else if ("nested" in nested) collectTypeNames(nested as INamespace, full, into);
  }
}

/** The messages and enums the file itself declares at its top level, in declaration order. */
function fileTypes(spec: ProtobufSchemaInput, side: Side): Array<Type | Enum> {
  const scope = side.packageName ? spec.root.lookup(side.packageName) : spec.root;
  if (!scope || !("nestedArray" in scope)) return [];
  return typesOf(scope as Namespace).filter((type) => isLocal(type, side));
}

function typesOf(namespace: Namespace): Array<Type | Enum> {
  return namespace.nestedArray.filter((n): n is Type | Enum => n instanceof Type || n instanceof Enum);
}

/** Whether a type is declared by the file rather than by one of its imports. */
function isLocal(type: ReflectionObject, side: Side): boolean {
  const top = topLevel(type);
  return top.filename == null && !side.wellKnown.has(top.fullName.replace(/^\./, ""));
}

/** The top-level message or enum a (possibly nested) type is declared in. */
function topLevel(object: ReflectionObject): ReflectionObject {
  let current = object;
  while (current.parent instanceof Type) current = current.parent;
  return current;
}

/** The package a type was declared in: its enclosing namespaces that are not messages. */
function packageOf(type: ReflectionObject): string {
  return topLevel(type).parent?.fullName.replace(/^\./, "") ?? "";
}

/** Confluent's SchemaDiff.compareTypeElements: messages and enums of one level, by name. */
function compareTypeElements(ctx: DiffContext, original: Array<Type | Enum>, update: Array<Type | Enum>): void {
  const messages = (types: Array<Type | Enum>) =>
    new Map(types.filter((t): t is Type => t instanceof Type).map((t, index) => [t.name, { type: t, index }]));
  const enums = (types: Array<Type | Enum>) =>
    new Map(types.filter((t): t is Enum => t instanceof Enum).map((t) => [t.name, t]));
  const originalMessages = messages(original);
  const updateMessages = messages(update);
  for (const name of union(originalMessages.keys(), updateMessages.keys())) {
    ctx.at([name], () => {
      const before = originalMessages.get(name);
      const after = updateMessages.get(name);
      if (!after) ctx.add("MESSAGE_REMOVED");
      else if (!before) ctx.add("MESSAGE_ADDED");
      else {
        compareMessages(ctx, before.type, after.type);
        // Serialized Confluent payloads carry message indexes relative to their own schema id,
        // so a message that moves within the file is still found.
        if (before.index !== after.index) ctx.add("MESSAGE_MOVED");
      }
    });
  }
  const originalEnums = enums(original);
  const updateEnums = enums(update);
  for (const name of union(originalEnums.keys(), updateEnums.keys())) {
    ctx.at([name], () => {
      const before = originalEnums.get(name);
      const after = updateEnums.get(name);
      if (!after) ctx.add("ENUM_REMOVED");
      else if (!before) ctx.add("ENUM_ADDED");
      else compareEnums(ctx, before, after);
    });
  }
}

/** Enum constants by number; a renamed constant keeps its wire value, so it is compatible. */
function compareEnums(ctx: DiffContext, original: Enum, update: Enum): void {
  const byNumber = (e: Enum) => new Map(Object.entries(e.values).map(([name, number]) => [number, name]));
  const before = byNumber(original);
  const after = byNumber(update);
  for (const number of [...union(before.keys(), after.keys())].sort((a, b) => a - b)) {
    const a = before.get(number);
    const b = after.get(number);
    if (b === undefined) ctx.add("ENUM_CONST_REMOVED", number);
    else if (a === undefined) ctx.add("ENUM_CONST_ADDED", number);
    else if (a !== b) ctx.add("ENUM_CONST_CHANGED", number);
  }
}

/** A field in a real oneof (not the synthetic one protobufjs makes for a proto3 `optional`). */
function realOneof(field: FieldBase): OneOf | null {
  const oneof = field.partOf;
  return oneof && !oneof.isProto3Optional ? oneof : null;
}

/** Confluent's MessageSchemaDiff (v8.1): top-level fields and oneofs by number and name, then nested types. */
function compareMessages(ctx: DiffContext, original: Type, update: Type): void {
  if (!ctx.visiting.has(original)) {
    ctx.visiting.add(original);
    try {
      compareMessageFields(ctx, original, update);
    } finally {
      ctx.visiting.delete(original);
    }
  }
  compareTypeElements(ctx, typesOf(original), typesOf(update));
}

function compareMessageFields(ctx: DiffContext, original: Type, update: Type): void {
  const originalByTag = new Map(original.fieldsArray.filter((f) => !realOneof(f)).map((f) => [f.id, f]));
  const updateByTag = new Map(update.fieldsArray.filter((f) => !realOneof(f)).map((f) => [f.id, f]));
  const oneofs = (type: Type) => new Map(type.oneofsArray.filter((o) => !o.isProto3Optional).map((o) => [o.name, o]));
  const originalOneofs = oneofs(original);
  const updateOneofs = oneofs(update);
  const originalOneofTags = new Set([...originalOneofs.values()].flatMap((o) => o.fieldsArray.map((f) => f.id)));

  // Fields moved into a oneof. One field joining a new oneof is compatible: its data still reads.
  // Several formerly independent fields in one oneof are not: a writer may have set more than one.
  const moved = new Map<string, Array<{ before: Field; after: Field }>>();
  for (const oneof of updateOneofs.values()) {
    let numMoved = 0;
    let numExisting = 0;
    for (const field of oneof.fieldsArray) {
      const before = originalByTag.get(field.id);
      if (before) {
        // Taken out of the top-level comparison, so the move is not also reported as a removal.
        originalByTag.delete(field.id);
        numMoved++;
        moved.set(oneof.name, [...(moved.get(oneof.name) ?? []), { before, after: field }]);
      } else if (originalOneofTags.has(field.id)) numExisting++;
    }
    if (numMoved > 1) ctx.add("MULTIPLE_FIELDS_MOVED_TO_ONEOF", oneof.name);
    else if (numMoved === 1 && numExisting > 0) ctx.add("FIELD_MOVED_TO_EXISTING_ONEOF", oneof.name);
  }

  for (const name of [...union(originalOneofs.keys(), updateOneofs.keys())].sort()) {
    const before = originalOneofs.get(name);
    const after = updateOneofs.get(name);
    if (!after) ctx.add("ONEOF_REMOVED", name);
    else if (!before) ctx.add("ONEOF_ADDED", name);
    else ctx.at([name], () => compareFieldsByTag(ctx, before.fieldsArray, after.fieldsArray, true));
    // Not in Confluent 8.1, which skips them: a field moved into a oneof must still be read as the
    // same type, so its type is compared too (the later Confluent diff does the same).
    for (const { before: a, after: b } of moved.get(name) ?? []) ctx.at([name, b.id], () => compareFields(ctx, a, b));
  }

  compareFieldsByTag(ctx, [...originalByTag.values()], [...updateByTag.values()], false);
}

function compareFieldsByTag(ctx: DiffContext, original: FieldBase[], update: FieldBase[], inOneof: boolean): void {
  const before = new Map(original.map((f) => [f.id, f]));
  const after = new Map(update.map((f) => [f.id, f]));
  for (const tag of [...union(before.keys(), after.keys())].sort((a, b) => a - b)) {
    ctx.at([tag], () => {
      const a = before.get(tag);
      const b = after.get(tag);
      if (!b)
        ctx.add(inOneof ? "ONEOF_FIELD_REMOVED" : a?.rule === "required" ? "REQUIRED_FIELD_REMOVED" : "FIELD_REMOVED");
      else if (!a)
        ctx.add(inOneof ? "ONEOF_FIELD_ADDED" : b.rule === "required" ? "REQUIRED_FIELD_ADDED" : "FIELD_ADDED");
      else compareFields(ctx, a, b);
    });
  }
}

/** Confluent's FieldSchemaDiff: name, then kind, then scalar group, label or message type. */
function compareFields(ctx: DiffContext, original: FieldBase, update: FieldBase): void {
  if (original.name !== update.name) ctx.add("FIELD_NAME_CHANGED");
  compareTypes(ctx, label(original), label(update), typeRef(original), typeRef(update));
}

/**
 * The label as Wire (Confluent's parser) reports it: what was written, with proto2's plain fields
 * `optional`, and nothing for proto3's implicit fields, oneof members and map fields. A label
 * change only counts when both labels are written.
 */
function label(field: FieldBase): Label {
  if (field.rule === "repeated" || field.rule === "required") return field.rule;
  if (field instanceof MapField || realOneof(field)) return null;
  if (field.options?.proto3_optional === true) return "optional";
  return topLevel(field.parent ?? field)._editionToJSON() === "proto2" ? "optional" : null;
}

function typeRef(field: FieldBase): TypeRef {
  const value: TypeRef = { name: field.type, resolved: field.resolvedType };
  if (field instanceof MapField)
    return {
      name: `map<${field.keyType}, ${field.type}>`,
      resolved: null,
      map: { key: { name: field.keyType, resolved: null }, value },
    };
  return value;
}

function kind(type: TypeRef): Kind {
  if (type.map) return "map";
  if (type.resolved instanceof Type) return "message";
  return "scalar";
}

function scalarGroup(type: TypeRef): string {
  return type.resolved instanceof Enum ? "varint" : (SCALAR_GROUPS[type.name] ?? type.name);
}

function compareTypes(
  ctx: DiffContext,
  originalLabel: Label,
  updateLabel: Label,
  original: TypeRef,
  update: TypeRef,
): void {
  const originalKind = kind(original);
  if (originalKind !== kind(update)) {
    ctx.add("FIELD_KIND_CHANGED");
    return;
  }
  if (original.map && update.map) {
    compareTypes(ctx, null, null, original.map.key, update.map.key);
    compareTypes(ctx, null, null, original.map.value, update.map.value);
  } else if (original.resolved instanceof Type && update.resolved instanceof Type) {
    compareMessageTypes(ctx, original.resolved, update.resolved);
  } else {
    const group = scalarGroup(original);
    if (group !== scalarGroup(update)) ctx.add("FIELD_SCALAR_KIND_CHANGED");
    else if (originalLabel !== null && updateLabel !== null && originalLabel !== updateLabel) {
      // A repeated string reads a single one and vice versa (same length-delimited records);
      // a packed repeated number does not read as a single number.
      ctx.add(group === "length-delimited" ? "FIELD_STRING_OR_BYTES_LABEL_CHANGED" : "FIELD_NUMERIC_LABEL_CHANGED");
    }
  }
}

/**
 * Message-typed fields: the type's name within its package must stay the same. Types declared in
 * the file are compared where they are declared; a type from an import is compared here,
 * structurally, because the import may have changed under the same name.
 */
function compareMessageTypes(ctx: DiffContext, original: Type, update: Type): void {
  const originalPackage = packageOf(original);
  const updatePackage = packageOf(update);
  const localName = (type: Type, pkg: string) => {
    const full = type.fullName.replace(/^\./, "");
    return pkg && full.startsWith(`${pkg}.`) ? full.slice(pkg.length + 1) : full;
  };
  const name = localName(original, originalPackage);
  if (name !== localName(update, updatePackage)) {
    ctx.add("FIELD_NAMED_TYPE_CHANGED");
    return;
  }
  if (isLocal(original, ctx.original) && isLocal(update, ctx.update)) return;
  const sub = new DiffContext(
    { ...ctx.original, packageName: originalPackage },
    { ...ctx.update, packageName: updatePackage },
    name.split("."),
    ctx.visiting,
  );
  compareMessages(sub, original, update);
  ctx.differences.push(...sub.differences);
  if (!sub.isCompatible()) ctx.add("FIELD_NAMED_TYPE_CHANGED");
}

/** Confluent's reserved-field rule (reserved-fields.ts) over the fields of the update's first message. */
function checkReservedFields(
  ctx: DiffContext,
  update: ProtobufSchemaInput,
  originalMetadata?: ProtobufSchemaMetadata,
  updateMetadata?: ProtobufSchemaMetadata,
): void {
  const first = fileTypes(update, ctx.update).find((t): t is Type => t instanceof Type);
  const fields = first?.fieldsArray ?? [];
  const problems = reservedFieldProblems(
    originalMetadata,
    updateMetadata,
    fields.map((field) => field.name),
  );
  for (const problem of problems) {
    if (problem.type === "RESERVED_FIELD_REMOVED") ctx.add(problem.type, problem.name);
    else ctx.add(problem.type, first?.name ?? "", fields.find((field) => field.name === problem.name)?.id ?? "");
  }
}

/**
 * The names of the fields of a .proto's first message (of the file itself, not its imports): the
 * fields Confluent's reserved-field rule applies to.
 *
 * @example
 *   protobufFirstMessageFields(parsed) // ["id", "cost"]
 */
export function protobufFirstMessageFields(spec: ProtobufSchemaInput): string[] {
  const first = fileTypes(spec, side(spec)).find((t): t is Type => t instanceof Type);
  return (first?.fieldsArray ?? []).map((field) => field.name);
}

function union<T>(a: Iterable<T>, b: Iterable<T>): Set<T> {
  return new Set([...a, ...b]);
}
