/**
 * Avro specifications, parsed by the rules of the Avro 1.11 specification ("Schema
 * Declaration", "Names", "Logical Types"). Written here because avsc, the well-kept JavaScript
 * implementation, cannot run in workerd: it builds every type (even an enum or an array) with
 * `new Function`, and its bundle needs Node's `buffer`/`crypto` at load time (evidence in
 * docs/spec-validation.md). The Node tests check this parser's verdicts against avsc's.
 *
 * The parsed form is a graph: a named-type reference is the same object as its definition, so a
 * recursive record refers to itself. That is what a compatibility check (issue 4) walks.
 */
import { checkSpecLimits, parseJson, pointer } from "./spec-limits.ts";
import type { SpecError, SpecResult } from "./spec-types.ts";

export type AvroPrimitiveName = "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string";

/**
 * A logical type the specification defines, on a base type it allows. Others are ignored, as the
 * specification says.
 */
export interface AvroLogicalType {
  name: string;
  precision?: number;
  scale?: number;
}

export interface AvroPrimitive {
  type: AvroPrimitiveName;
  logicalType?: AvroLogicalType;
}

export interface AvroField {
  name: string;
  type: AvroSchema;
  hasDefault: boolean;
  default?: unknown;
  aliases: string[];
  order: "ascending" | "descending" | "ignore";
  doc?: string;
}

interface AvroNamedBase {
  /** The full name: namespace and name. */
  name: string;
  namespace?: string;
  aliases: string[];
  doc?: string;
}

export interface AvroRecord extends AvroNamedBase {
  type: "record" | "error";
  fields: AvroField[];
}

export interface AvroEnum extends AvroNamedBase {
  type: "enum";
  symbols: string[];
  default?: string;
}

export interface AvroFixed extends AvroNamedBase {
  type: "fixed";
  size: number;
  logicalType?: AvroLogicalType;
}

export interface AvroArray {
  type: "array";
  items: AvroSchema;
}

export interface AvroMap {
  type: "map";
  values: AvroSchema;
}

export interface AvroUnion {
  type: "union";
  branches: AvroSchema[];
}

export type AvroNamed = AvroRecord | AvroEnum | AvroFixed;
export type AvroSchema = AvroPrimitive | AvroNamed | AvroArray | AvroMap | AvroUnion;

export interface ParsedAvroSpec {
  format: "AVRO";
  schema: AvroSchema;
  /** Every named type defined by the specification, by full name. */
  namedTypes: ReadonlyMap<string, AvroNamed>;
}

const PRIMITIVES = new Set<string>(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ORDERS = new Set(["ascending", "descending", "ignore"]);
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/**
 * Validates an Avro specification (a JSON document: a primitive name, an object or a union).
 *
 * @example
 *   validateAvroSpec('{"type":"record","name":"R","fields":[{"name":"a","type":"strng"}]}');
 *   // { ok: false, errors: [{ path: "/fields/0/type", message: 'unknown type "strng"' }] }
 */
export function validateAvroSpec(text: string): SpecResult<ParsedAvroSpec> {
  const limits = checkSpecLimits(text, "json");
  if (limits.length > 0) return { ok: false, errors: limits };
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const parser = new AvroParser();
  const schema = parser.parse(parsed.value, [], undefined);
  if (parser.errors.length > 0 || schema === undefined) {
    return {
      ok: false,
      errors: parser.errors.length > 0 ? parser.errors : [{ path: "", message: "not an Avro schema" }],
    };
  }
  return { ok: true, parsed: { format: "AVRO", schema, namedTypes: parser.named } };
}

type Path = Array<string | number>;

class AvroParser {
  readonly named = new Map<string, AvroNamed>();
  readonly errors: SpecError[] = [];

  private fail(path: Path, message: string): undefined {
    this.errors.push({ path: pointer(path), message });
    return undefined;
  }

  parse(node: unknown, path: Path, namespace: string | undefined): AvroSchema | undefined {
    if (typeof node === "string") return this.reference(node, path, namespace);
    if (Array.isArray(node)) return this.union(node, path, namespace);
    if (typeof node !== "object" || node === null)
      return this.fail(path, `expected a type name, an object or a union, got ${JSON.stringify(node)}`);
    const spec = node as Record<string, unknown>;
    const type = spec.type;
    if (type === undefined) return this.fail(path, 'missing "type"');
    // {"type": {...}} and {"type": [...]} wrap a type, as Java's parser and avsc accept.
    if (typeof type !== "string") return this.parse(type, [...path, "type"], namespace);
    if (PRIMITIVES.has(type)) {
      const primitive: AvroPrimitive = { type: type as AvroPrimitiveName };
      const logical = logicalType(spec, type);
      if (logical) primitive.logicalType = logical;
      return primitive;
    }
    switch (type) {
      case "record":
      case "error":
        return this.record(spec, type, path, namespace);
      case "enum":
        return this.enumType(spec, path, namespace);
      case "fixed":
        return this.fixed(spec, path, namespace);
      case "array": {
        if (!("items" in spec)) return this.fail(path, 'an array needs "items"');
        const items = this.parse(spec.items, [...path, "items"], namespace);
        return items && { type: "array", items };
      }
      case "map": {
        if (!("values" in spec)) return this.fail(path, 'a map needs "values"');
        const values = this.parse(spec.values, [...path, "values"], namespace);
        return values && { type: "map", values };
      }
      default:
        // {"type": "MyRecord"} refers to a named type.
        return this.reference(type, [...path, "type"], namespace);
    }
  }

  private reference(name: string, path: Path, namespace: string | undefined): AvroSchema | undefined {
    if (PRIMITIVES.has(name)) return { type: name as AvroPrimitiveName };
    // Java's rule, which Confluent applies: a name with no dot is looked up in the enclosing
    // namespace first, then in the null namespace.
    const full = name.includes(".") || !namespace ? name : `${namespace}.${name}`;
    const found = this.named.get(full) ?? (name.includes(".") ? undefined : this.named.get(name));
    return found ?? this.fail(path, `unknown type ${JSON.stringify(name)}`);
  }

  private union(branches: unknown[], path: Path, namespace: string | undefined): AvroUnion | undefined {
    const parsed: AvroSchema[] = [];
    const seen = new Set<string>();
    let ok = true;
    branches.forEach((branch, index) => {
      const schema = this.parse(branch, [...path, index], namespace);
      if (!schema) {
        ok = false;
        return;
      }
      if (schema.type === "union") {
        ok = false;
        this.fail([...path, index], "a union may not contain a union directly");
        return;
      }
      // Named types are told apart by name; every other kind may appear once.
      const key = "name" in schema ? `${schema.type}:${schema.name}` : schema.type;
      if (seen.has(key)) {
        ok = false;
        this.fail(
          [...path, index],
          `duplicate ` +
            `${"name" in schema ? `type ${JSON.stringify(schema.name)}` : JSON.stringify(schema.type)} in union`,
        );
        return;
      }
      seen.add(key);
      parsed.push(schema);
    });
    return ok ? { type: "union", branches: parsed } : undefined;
  }

  /** Checks and registers a named type's name before its body, so a record may refer to itself. */
  private define<T extends AvroNamed>(
    spec: Record<string, unknown>,
    path: Path,
    namespace: string | undefined,
    make: (base: AvroNamedBase) => T,
  ): T | undefined {
    const { name, namespace: own } = spec;
    if (typeof name !== "string") return this.fail([...path, "name"], `a ${String(spec.type)} needs a "name"`);
    if (
      own !== undefined &&
      own !== null &&
      (typeof own !== "string" || (own !== "" && !own.split(".").every((part) => NAME.test(part))))
    ) {
      return this.fail([...path, "namespace"], `invalid namespace ${JSON.stringify(own)}`);
    }
    const parts = name.split(".");
    if (!parts.every((part) => NAME.test(part)))
      return this.fail(
        [...path, "name"],
        `invalid name ${JSON.stringify(name)}: each part must match [A-Za-z_][A-Za-z0-9_]*`,
      );
    const space =
      parts.length > 1 ? parts.slice(0, -1).join(".") : typeof own === "string" ? own || undefined : namespace;
    const simple = parts[parts.length - 1] ?? name;
    if (PRIMITIVES.has(simple) && space === undefined)
      return this.fail([...path, "name"], `${JSON.stringify(name)} is a primitive type and cannot be redefined`);
    const full = space ? `${space}.${simple}` : simple;
    if (this.named.has(full)) return this.fail([...path, "name"], `type ${JSON.stringify(full)} is already defined`);
    const aliases = this.names(spec.aliases, [...path, "aliases"]);
    const base: AvroNamedBase = {
      name: full,
      aliases,
      ...(space ? { namespace: space } : {}),
      ...(typeof spec.doc === "string" ? { doc: spec.doc } : {}),
    };
    const named = make(base);
    this.named.set(full, named);
    return named;
  }

  private record(
    spec: Record<string, unknown>,
    type: "record" | "error",
    path: Path,
    namespace: string | undefined,
  ): AvroRecord | undefined {
    if (!Array.isArray(spec.fields)) {
      if (typeof spec.name === "string") return this.fail([...path, "fields"], `a ${type} needs a "fields" array`);
    }
    const record = this.define(spec, path, namespace, (base): AvroRecord => ({ ...base, type, fields: [] }));
    if (!record || !Array.isArray(spec.fields))
      return record && this.fail([...path, "fields"], `a ${type} needs a "fields" array`);
    const fieldNamespace = record.namespace;
    const names = new Set<string>();
    spec.fields.forEach((raw: unknown, index) => {
      this.field(record, names, raw, [...path, "fields", index], fieldNamespace);
    });
    return record;
  }

  /** One entry of a record's "fields", appended to `record.fields` when it is valid. */
  private field(
    record: AvroRecord,
    names: Set<string>,
    raw: unknown,
    at: Path,
    fieldNamespace: string | undefined,
  ): undefined {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      return this.fail(at, "a field must be an object");
    const field = raw as Record<string, unknown>;
    if (typeof field.name !== "string" || !NAME.test(field.name))
      return this.fail([...at, "name"], `invalid field name ${JSON.stringify(field.name)}`);
    if (names.has(field.name)) return this.fail([...at, "name"], `duplicate field ${JSON.stringify(field.name)}`);
    names.add(field.name);
    if (!("type" in field)) return this.fail(at, `field ${JSON.stringify(field.name)} has no "type"`);
    const fieldType = this.parse(field.type, [...at, "type"], fieldNamespace);
    if (!fieldType) return undefined;
    const order = field.order ?? "ascending";
    if (typeof order !== "string" || !ORDERS.has(order))
      return this.fail([...at, "order"], `order must be ascending, descending or ignore`);
    const hasDefault = "default" in field;
    if (hasDefault) {
      const problem = defaultProblem(fieldType, field.default);
      if (problem)
        return this.fail([...at, "default"], `invalid default for field ${JSON.stringify(field.name)}: ${problem}`);
    }
    record.fields.push({
      name: field.name,
      type: fieldType,
      hasDefault,
      ...(hasDefault ? { default: field.default } : {}),
      aliases: this.names(field.aliases, [...at, "aliases"]),
      order: order as AvroField["order"],
      ...(typeof field.doc === "string" ? { doc: field.doc } : {}),
    });
    return undefined;
  }

  private enumType(spec: Record<string, unknown>, path: Path, namespace: string | undefined): AvroEnum | undefined {
    const { symbols } = spec;
    // At least one symbol, as Avro Java and avsc require: an enum with none has no value to hold.
    if (!Array.isArray(symbols) || symbols.length === 0)
      return this.fail([...path, "symbols"], 'an enum needs a non-empty "symbols" array');
    const seen = new Set<string>();
    for (const [index, symbol] of symbols.entries()) {
      if (typeof symbol !== "string" || !NAME.test(symbol))
        return this.fail([...path, "symbols", index], `invalid symbol ${JSON.stringify(symbol)}`);
      if (seen.has(symbol)) return this.fail([...path, "symbols", index], `duplicate symbol ${JSON.stringify(symbol)}`);
      seen.add(symbol);
    }
    if (spec.default !== undefined && (typeof spec.default !== "string" || !seen.has(spec.default))) {
      return this.fail([...path, "default"], `enum default ${JSON.stringify(spec.default)} is not one of its symbols`);
    }
    return this.define(
      spec,
      path,
      namespace,
      (base): AvroEnum => ({
        ...base,
        type: "enum",
        symbols: symbols as string[],
        ...(typeof spec.default === "string" ? { default: spec.default } : {}),
      }),
    );
  }

  private fixed(spec: Record<string, unknown>, path: Path, namespace: string | undefined): AvroFixed | undefined {
    const { size } = spec;
    if (typeof size !== "number" || !Number.isInteger(size) || size < 0)
      return this.fail([...path, "size"], `a fixed needs a "size" that is a non-negative integer`);
    return this.define(spec, path, namespace, (base): AvroFixed => {
      const logical = logicalType(spec, "fixed");
      return { ...base, type: "fixed", size, ...(logical ? { logicalType: logical } : {}) };
    });
  }

  private names(value: unknown, path: Path): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((alias) => typeof alias === "string")) {
      this.fail(path, "aliases must be an array of names");
      return [];
    }
    return value as string[];
  }
}

/**
 * The logical type on `spec`, if it is one the specification defines on this base type with
 * valid parameters. Anything else is ignored and the base type stands, as the specification
 * says ("an implementation should ignore the logical type and use the underlying Avro type").
 */
function logicalType(spec: Record<string, unknown>, base: string): AvroLogicalType | undefined {
  const name = spec.logicalType;
  if (typeof name !== "string") return undefined;
  const size = typeof spec.size === "number" ? spec.size : 0;
  switch (name) {
    case "decimal": {
      const { precision, scale = 0 } = spec;
      if (base !== "bytes" && base !== "fixed") return undefined;
      if (typeof precision !== "number" || !Number.isInteger(precision) || precision < 1) return undefined;
      if (typeof scale !== "number" || !Number.isInteger(scale) || scale < 0 || scale > precision) return undefined;
      // The most digits a two's-complement number of `size` bytes holds.
      if (base === "fixed" && precision > Math.floor(Math.log10(2) * (8 * size - 1))) return undefined;
      return { name, precision, scale };
    }
    case "uuid":
      return base === "string" || (base === "fixed" && size === 16) ? { name } : undefined;
    case "date":
    case "time-millis":
      return base === "int" ? { name } : undefined;
    case "time-micros":
    case "timestamp-millis":
    case "timestamp-micros":
    case "timestamp-nanos":
    case "local-timestamp-millis":
    case "local-timestamp-micros":
    case "local-timestamp-nanos":
      return base === "long" ? { name } : undefined;
    case "duration":
      return base === "fixed" && size === 12 ? { name } : undefined;
    default:
      return undefined;
  }
}

/**
 * Why `value` is not a valid default for `schema`, or undefined if it is. Defaults are JSON, as
 * the specification's table says: bytes and fixed are strings, a record is an object. A union's
 * default may match any branch, as Avro 1.11's Java parser (Confluent's) accepts.
 */
function defaultProblem(schema: AvroSchema, value: unknown, seen = 0): string | undefined {
  if (seen > 64) return undefined;
  const expected = (what: string) => `expected ${what}, got ${JSON.stringify(value)}`;
  switch (schema.type) {
    case "null":
      return value === null ? undefined : expected("null");
    case "boolean":
      return typeof value === "boolean" ? undefined : expected("a boolean");
    case "int":
      return Number.isInteger(value) && (value as number) >= INT_MIN && (value as number) <= INT_MAX
        ? undefined
        : expected("a 32-bit integer");
    case "long":
      return Number.isInteger(value) ? undefined : expected("an integer");
    case "float":
    case "double":
      return typeof value === "number" ? undefined : expected("a number");
    case "bytes":
    case "string":
      return typeof value === "string" ? undefined : expected("a string");
    case "fixed":
      return typeof value === "string" && value.length === schema.size
        ? undefined
        : expected(`a string of ${schema.size} characters`);
    case "enum":
      return typeof value === "string" && schema.symbols.includes(value)
        ? undefined
        : expected(`one of ${schema.symbols.join(", ")}`);
    case "array":
      if (!Array.isArray(value)) return expected("an array");
      for (const item of value) {
        const problem = defaultProblem(schema.items, item, seen + 1);
        if (problem) return problem;
      }
      return undefined;
    case "map":
      if (typeof value !== "object" || value === null || Array.isArray(value)) return expected("an object");
      for (const item of Object.values(value)) {
        const problem = defaultProblem(schema.values, item, seen + 1);
        if (problem) return problem;
      }
      return undefined;
    case "union":
      return schema.branches.some((branch) => defaultProblem(branch, value, seen + 1) === undefined)
        ? undefined
        : expected("a value of one of the union's types");
    case "record":
    case "error": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return expected("an object");
      const object = value as Record<string, unknown>;
      for (const field of schema.fields) {
        if (field.name in object) {
          const problem = defaultProblem(field.type, object[field.name], seen + 1);
          if (problem) return problem;
        } else if (!field.hasDefault) {
          return `missing field ${JSON.stringify(field.name)}`;
        }
      }
      return undefined;
    }
  }
}
