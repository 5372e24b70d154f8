/**
 * JSON Schema compatibility, as Confluent Schema Registry defines it: the original and the
 * updated schema are diffed into typed changes (Confluent's Difference types), and a schema is
 * backward compatible when every change is in `COMPATIBLE_CHANGES`.
 *
 * The model follows the one Confluent's diff walks. A schema document is first loaded into typed
 * nodes (string, number, object, array, enum, const, combined, not, empty, false, ...), the way
 * its JSON Schema library sees it: a schema whose keywords belong to several families (say
 * `type: "string"` and `enum`) becomes a synthetic `allOf` of one node per family, a `type` array
 * becomes an `anyOf` of one node per type, `$ref`s are followed. Two nodes of different kinds are a
 * TYPE_CHANGED unless the update accepts everything or the original accepted nothing.
 *
 * Content models (objects, and arrays with tuples): a model is open when nothing restricts what
 * is not declared (no `additionalProperties: false` / schema, no `patternProperties`), closed when
 * `additionalProperties` is false, partially open when undeclared content must match a schema.
 * Adding a property to an open model is incompatible (old data may hold anything under that
 * name); removing one from a closed model is incompatible (old data holds it, the update refuses
 * it); in a partially open model the property's schema is compared with the schema that covered
 * it.
 */
import { canonicalJson } from "../../../contracts/canonical-json.ts";
import type { ParsedSpec } from "../spec/spec-types.ts";
import type { CompatibilityEngine, CompatibilityIssue } from "./compatibility.ts";

/** A JSON Schema document as parsed from JSON: an object or a boolean. */
export type JsonSchemaDocument = Record<string, unknown> | boolean;

/** One difference between two schemas: a Confluent Difference type and where (`#/properties/a`). */
export interface JsonSchemaChange {
  type: string;
  path: string;
  compatible: boolean;
}

/** The changes a reader (the update) tolerates in data written with the original. As Confluent lists them. */
const COMPATIBLE_CHANGES: ReadonlySet<string> = new Set([
  "ID_CHANGED",
  "DESCRIPTION_CHANGED",
  "TITLE_CHANGED",
  "DEFAULT_CHANGED",
  "SCHEMA_REMOVED",
  "TYPE_EXTENDED",
  "MAX_LENGTH_INCREASED",
  "MAX_LENGTH_REMOVED",
  "MIN_LENGTH_DECREASED",
  "MIN_LENGTH_REMOVED",
  "PATTERN_REMOVED",
  "MAXIMUM_INCREASED",
  "MAXIMUM_REMOVED",
  "MINIMUM_DECREASED",
  "MINIMUM_REMOVED",
  "EXCLUSIVE_MAXIMUM_INCREASED",
  "EXCLUSIVE_MAXIMUM_REMOVED",
  "EXCLUSIVE_MINIMUM_DECREASED",
  "EXCLUSIVE_MINIMUM_REMOVED",
  "MULTIPLE_OF_REDUCED",
  "MULTIPLE_OF_REMOVED",
  "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
  "REQUIRED_ATTRIBUTE_REMOVED",
  "DEPENDENCY_ARRAY_NARROWED",
  "DEPENDENCY_ARRAY_REMOVED",
  "DEPENDENCY_SCHEMA_REMOVED",
  "MAX_PROPERTIES_INCREASED",
  "MAX_PROPERTIES_REMOVED",
  "MIN_PROPERTIES_DECREASED",
  "MIN_PROPERTIES_REMOVED",
  "ADDITIONAL_PROPERTIES_ADDED",
  "ADDITIONAL_PROPERTIES_EXTENDED",
  "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
  "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
  "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
  "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
  "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
  "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
  "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
  "MAX_ITEMS_INCREASED",
  "MAX_ITEMS_REMOVED",
  "MIN_ITEMS_DECREASED",
  "MIN_ITEMS_REMOVED",
  "UNIQUE_ITEMS_REMOVED",
  "ADDITIONAL_ITEMS_ADDED",
  "ADDITIONAL_ITEMS_EXTENDED",
  "UNEVALUATED_ITEMS_ADDED",
  "UNEVALUATED_ITEMS_EXTENDED",
  "MAX_CONTAINS_INCREASED",
  "MAX_CONTAINS_REMOVED",
  "MIN_CONTAINS_DECREASED",
  "MIN_CONTAINS_REMOVED",
  "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
  "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
  "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
  "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
  "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
  "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
  "ENUM_ARRAY_EXTENDED",
  "COMBINED_TYPE_EXTENDED",
  "PRODUCT_TYPE_NARROWED",
  "SUM_TYPE_EXTENDED",
  "NOT_TYPE_NARROWED",
]);

/**
 * Diffs `original` against `update` into Confluent's typed changes, each marked compatible or
 * not for a reader using `update` on data written with `original` (BACKWARD).
 *
 * @example
 *   diffJsonSchemas(
 *     { properties: { foo: { type: "string" } } },
 *     { properties: { foo: { type: "string" }, bar: { type: "number" } } },
 *   );
 *   // [{ type: "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", path: "#/properties/bar", compatible: false }]
 */
export function diffJsonSchemas(original: JsonSchemaDocument, update: JsonSchemaDocument): JsonSchemaChange[] {
  const ctx = new DiffContext(new Set());
  compare(ctx, load(original), load(update));
  return ctx.diffs.map((d) => ({ ...d, compatible: COMPATIBLE_CHANGES.has(d.type) }));
}

/**
 * The JSON Schema engine of `checkCompatibility`: `canRead(reader, writer)` is the backward
 * compatibility of the reader (the update) against the writer (the original); it returns the
 * incompatible changes.
 *
 * @example
 *   jsonSchemaCompatibility.canRead(parsedV2, parsedV1);
 *   // [{ type: "REQUIRED_ATTRIBUTE_ADDED", path: "#/required/foo", message: "property foo became required: ..." }]
 */
export const jsonSchemaCompatibility: CompatibilityEngine = {
  canRead(reader: ParsedSpec, writer: ParsedSpec): CompatibilityIssue[] {
    if (reader.format !== "JSON" || writer.format !== "JSON") {
      return [
        {
          type: "TYPE_CHANGED",
          path: "#/",
          message: `cannot read ${writer.format} data with a ${reader.format} schema`,
        },
      ];
    }
    return diffJsonSchemas(writer.schema, reader.schema)
      .filter((change) => !change.compatible)
      .map(({ type, path }) => ({ type, path, message: describeChange(type, path) }));
  },
};

// ---------------------------------------------------------------------------------------------
// Loading: a document into typed nodes.

type Draft = "draft-07" | "2019-09" | "2020-12";

interface Common {
  id?: string;
  title?: string;
  description?: string;
  /** Canonical JSON of `default`, so two defaults compare as values. */
  defaultKey?: string;
}

interface NodeBase {
  /** Identity for cycle detection. */
  uid: number;
  /** Canonical JSON of the source, so a combined schema's duplicate subschemas collapse. */
  key: string;
  common: Common;
}

type SchemaNode = NodeBase &
  (
    | { kind: "empty" }
    | { kind: "false" }
    | { kind: "boolean" }
    | { kind: "null" }
    | { kind: "conditional" }
    | { kind: "string"; minLength?: number; maxLength?: number; pattern?: string }
    | {
        kind: "number";
        requiresInteger: boolean;
        minimum?: number;
        maximum?: number;
        exclusiveMinimum?: number;
        exclusiveMaximum?: number;
        multipleOf?: number;
      }
    | { kind: "enum"; values: string[] }
    | { kind: "const"; value: string }
    | { kind: "combined"; criterion: Criterion; subschemas: SchemaNode[] }
    | { kind: "not"; schema: SchemaNode }
    | { kind: "ref"; ref: string; resolve: () => SchemaNode | undefined }
    | ObjectNode
    | ArrayNode
  );

type Criterion = "allOf" | "anyOf" | "oneOf";

interface ObjectNode {
  kind: "object";
  properties: Map<string, SchemaNode>;
  required: Set<string>;
  patternProperties: Array<{ pattern: RegExp | undefined; schema: SchemaNode }>;
  /** False only for `additionalProperties: false`. */
  permitsAdditional: boolean;
  additionalSchema?: SchemaNode;
  propertyDependencies: Map<string, Set<string>>;
  schemaDependencies: Map<string, SchemaNode>;
  minProperties?: number;
  maxProperties?: number;
}

interface ArrayNode {
  kind: "array";
  allItems?: SchemaNode;
  /** Tuple items: `items: [...]` (draft-07, 2019-09) or `prefixItems` (2020-12). */
  itemSchemas: SchemaNode[];
  permitsAdditional: boolean;
  additionalSchema?: SchemaNode;
  unevaluatedItems?: SchemaNode;
  minItems?: number;
  maxItems?: number;
  uniqueItems: boolean;
  minContains?: number;
  maxContains?: number;
}

const STRING_KEYWORDS = ["minLength", "maxLength", "pattern", "format"];
const NUMBER_KEYWORDS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
const ARRAY_KEYWORDS = ["items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"];
const ARRAY_KEYWORDS_2019 = [...ARRAY_KEYWORDS, "prefixItems", "unevaluatedItems", "minContains", "maxContains"];
const OBJECT_KEYWORDS = [
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "dependencies",
  "patternProperties",
  "additionalProperties",
  "propertyNames",
];
const OBJECT_KEYWORDS_2019 = [...OBJECT_KEYWORDS, "dependentRequired", "dependentSchemas"];

const DRAFT_URIS: Record<string, Draft> = {
  "http://json-schema.org/draft-07/schema": "draft-07",
  "https://json-schema.org/draft-07/schema": "draft-07",
  "https://json-schema.org/draft/2019-09/schema": "2019-09",
  "https://json-schema.org/draft/2020-12/schema": "2020-12",
};

let nextUid = 0;

class Loader {
  private readonly cache = new Map<object, SchemaNode>();
  readonly draft: Draft;

  constructor(private readonly root: JsonSchemaDocument) {
    const uri = isObject(root) && typeof root.$schema === "string" ? root.$schema.replace(/#$/, "") : "";
    this.draft = DRAFT_URIS[uri] ?? "draft-07";
  }

  load(raw: unknown): SchemaNode {
    if (raw === false) return node({ kind: "false" }, "false", {});
    if (!isObject(raw)) return node({ kind: "empty" }, "true", {});
    const cached = this.cache.get(raw);
    if (cached) return cached;
    const built = this.build(raw);
    this.cache.set(raw, built);
    return built;
  }

  private build(o: Record<string, unknown>): SchemaNode {
    const key = canonicalJson(o);
    const common = this.common(o);
    if (typeof o.$ref === "string") {
      const ref = this.ref(o.$ref, key);
      // Before 2019-09 a $ref replaces its siblings; after, they apply alongside it.
      if (this.draft === "draft-07") return { ...ref, common };
      const rest = Object.fromEntries(Object.entries(o).filter(([k]) => k !== "$ref"));
      const siblings = this.parts(rest, canonicalJson(rest));
      if (siblings.length === 0) return { ...ref, common };
      return node({ kind: "combined", criterion: "allOf", subschemas: [ref, ...siblings] }, key, common);
    }
    const parts = this.parts(o, key);
    if (parts.length === 0) return node({ kind: "empty" }, key, common);
    if (parts.length === 1) return { ...parts[0]!, common };
    // Keywords of several families: each family must hold, a synthetic allOf.
    return node({ kind: "combined", criterion: "allOf", subschemas: parts }, key, common);
  }

  /** One node per keyword family present, in the order Confluent's loader finds them. */
  private parts(o: Record<string, unknown>, key: string): SchemaNode[] {
    const parts: SchemaNode[] = [];
    if (Array.isArray(o.enum))
      parts.push(node({ kind: "enum", values: [...new Set(o.enum.map((v) => canonicalJson(v)))] }, `${key}#enum`, {}));
    const combined = (["allOf", "anyOf", "oneOf"] as const)
      .filter((c) => Array.isArray(o[c]))
      .map((c) =>
        node(
          { kind: "combined", criterion: c, subschemas: (o[c] as unknown[]).map((s) => this.load(s)) },
          `${key}#${c}`,
          {},
        ),
      );
    if (combined.length === 1) parts.push(combined[0]!);
    else if (combined.length > 1)
      parts.push(node({ kind: "combined", criterion: "allOf", subschemas: combined }, `${key}#combined`, {}));
    if (o.not !== undefined) parts.push(node({ kind: "not", schema: this.load(o.not) }, `${key}#not`, {}));
    if (Object.hasOwn(o, "const"))
      parts.push(node({ kind: "const", value: canonicalJson(o.const) }, `${key}#const`, {}));
    if (typeof o.type === "string") {
      parts.push(this.typed(o, o.type, `${key}#${o.type}`));
    } else if (Array.isArray(o.type)) {
      const types = o.type.filter((t): t is string => typeof t === "string");
      parts.push(
        node(
          { kind: "combined", criterion: "anyOf", subschemas: types.map((t) => this.typed(o, t, `${key}#${t}`)) },
          `${key}#types`,
          {},
        ),
      );
    } else {
      // No `type`: the keywords present say which kinds of value are constrained.
      const has = (keywords: string[]): boolean => keywords.some((k) => Object.hasOwn(o, k) && this.counts(o, k));
      if (has(this.draft === "draft-07" ? OBJECT_KEYWORDS : OBJECT_KEYWORDS_2019))
        parts.push(this.typed(o, "object", `${key}#object`));
      if (has(this.draft === "draft-07" ? ARRAY_KEYWORDS : ARRAY_KEYWORDS_2019))
        parts.push(this.typed(o, "array", `${key}#array`));
      if (has(NUMBER_KEYWORDS)) parts.push(this.typed(o, "number", `${key}#number`));
      if (has(STRING_KEYWORDS)) parts.push(this.typed(o, "string", `${key}#string`));
    }
    if (o.if !== undefined) parts.push(node({ kind: "conditional" }, `${key}#if`, {}));
    return parts;
  }

  /**
   * Confluent loads 2019-09 and 2020-12 documents through another library, where an empty
   * `properties` map constrains nothing: `{"properties": {}}` is the empty schema there (the
   * draft2020 vectors depend on it), while draft-07 makes it an object schema.
   */
  private counts(o: Record<string, unknown>, keyword: string): boolean {
    return !(
      keyword === "properties" &&
      this.draft !== "draft-07" &&
      isObject(o.properties) &&
      Object.keys(o.properties).length === 0
    );
  }

  private typed(o: Record<string, unknown>, type: string, key: string): SchemaNode {
    switch (type) {
      case "string":
        return node(
          { kind: "string", minLength: num(o.minLength), maxLength: num(o.maxLength), pattern: str(o.pattern) },
          key,
          {},
        );
      case "number":
      case "integer":
        return node(
          {
            kind: "number",
            requiresInteger: type === "integer",
            minimum: num(o.minimum),
            maximum: num(o.maximum),
            exclusiveMinimum: num(o.exclusiveMinimum),
            exclusiveMaximum: num(o.exclusiveMaximum),
            multipleOf: num(o.multipleOf),
          },
          key,
          {},
        );
      case "object":
        return node(this.object(o), key, {});
      case "array":
        return node(this.array(o), key, {});
      case "boolean":
        return node({ kind: "boolean" }, key, {});
      case "null":
        return node({ kind: "null" }, key, {});
      default:
        return node({ kind: "empty" }, key, {});
    }
  }

  private object(o: Record<string, unknown>): ObjectNode {
    const properties = new Map<string, SchemaNode>();
    if (isObject(o.properties))
      for (const [name, schema] of Object.entries(o.properties)) properties.set(name, this.load(schema));
    const patternProperties: ObjectNode["patternProperties"] = [];
    if (isObject(o.patternProperties)) {
      for (const [source, schema] of Object.entries(o.patternProperties))
        patternProperties.push({ pattern: regex(source), schema: this.load(schema) });
    }
    const propertyDependencies = new Map<string, Set<string>>();
    const schemaDependencies = new Map<string, SchemaNode>();
    // draft-07's `dependencies` holds both forms; 2019-09 split it in two keywords.
    for (const deps of [o.dependencies, o.dependentRequired, o.dependentSchemas]) {
      if (!isObject(deps)) continue;
      for (const [name, dep] of Object.entries(deps)) {
        if (Array.isArray(dep))
          propertyDependencies.set(name, new Set(dep.filter((d): d is string => typeof d === "string")));
        else schemaDependencies.set(name, this.load(dep));
      }
    }
    const additional = o.additionalProperties;
    return {
      kind: "object",
      properties,
      required: new Set(Array.isArray(o.required) ? o.required.filter((r): r is string => typeof r === "string") : []),
      patternProperties,
      permitsAdditional: additional !== false,
      additionalSchema: isObject(additional) ? this.load(additional) : undefined,
      propertyDependencies,
      schemaDependencies,
      minProperties: num(o.minProperties),
      maxProperties: num(o.maxProperties),
    };
  }

  private array(o: Record<string, unknown>): ArrayNode {
    let allItems: SchemaNode | undefined;
    let itemSchemas: SchemaNode[] = [];
    // What applies to the items after the tuple: `additionalItems` before 2020-12, `items` since.
    let additional: unknown = o.additionalItems;
    if (this.draft === "2020-12") {
      if (Array.isArray(o.prefixItems)) {
        itemSchemas = o.prefixItems.map((s) => this.load(s));
        additional = o.items;
      } else if (typeof o.items === "boolean") {
        // `items: false` alone closes the array, as `additionalItems: false` did.
        additional = o.items;
      } else if (o.items !== undefined) {
        allItems = this.load(o.items);
      }
    } else if (Array.isArray(o.items)) {
      itemSchemas = o.items.map((s) => this.load(s));
    } else if (o.items !== undefined) {
      allItems = this.load(o.items);
    }
    return {
      kind: "array",
      allItems,
      itemSchemas,
      permitsAdditional: additional !== false,
      additionalSchema: isObject(additional) ? this.load(additional) : undefined,
      unevaluatedItems:
        this.draft !== "draft-07" && o.unevaluatedItems !== undefined ? this.load(o.unevaluatedItems) : undefined,
      minItems: num(o.minItems),
      maxItems: num(o.maxItems),
      uniqueItems: o.uniqueItems === true,
      minContains: this.draft !== "draft-07" ? num(o.minContains) : undefined,
      maxContains: this.draft !== "draft-07" ? num(o.maxContains) : undefined,
    };
  }

  private common(o: Record<string, unknown>): Common {
    return {
      // Since 2019-09 `$id` is a base URI, not a description of the schema: Confluent's diff
      // of those drafts does not report it.
      id: this.draft === "draft-07" ? str(o.$id) : undefined,
      title: str(o.title),
      description: str(o.description),
      defaultKey: Object.hasOwn(o, "default") ? canonicalJson(o.default) : undefined,
    };
  }

  /** Local references only: `#`, `#/json/pointer`, `#anchor`. Others (schema references) stay opaque. */
  private ref(ref: string, key: string): SchemaNode {
    const resolve = (): SchemaNode | undefined => {
      if (!ref.startsWith("#")) return undefined;
      const fragment = decodeURIComponent(ref.slice(1));
      if (fragment === "") return this.load(this.root);
      if (fragment.startsWith("/")) {
        const target = resolvePointer(this.root, fragment);
        return target === undefined ? undefined : this.load(target);
      }
      const anchored = findAnchor(this.root, fragment);
      return anchored === undefined ? undefined : this.load(anchored);
    };
    return node({ kind: "ref", ref, resolve }, key, {});
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type NodeBody = DistributiveOmit<SchemaNode, keyof NodeBase>;

function node(body: NodeBody, key: string, common: Common): SchemaNode {
  return { ...body, uid: nextUid++, key, common } as SchemaNode;
}

function load(document: JsonSchemaDocument): SchemaNode {
  return new Loader(document).load(document);
}

// ---------------------------------------------------------------------------------------------
// Diffing.

class DiffContext {
  readonly path: string[] = [];
  readonly diffs: Array<{ type: string; path: string }> = [];

  /** `inProgress` is shared by every subcontext: a pair met again while being compared is a cycle. */
  constructor(readonly inProgress: Set<string>) {}

  sub(): DiffContext {
    const ctx = new DiffContext(this.inProgress);
    ctx.path.push(...this.path);
    return ctx;
  }

  add(type: string, attribute?: string): void {
    const segments = attribute === undefined ? this.path : [...this.path, attribute];
    this.diffs.push({ type, path: `#/${segments.join("/")}` });
  }

  addAll(other: DiffContext): void {
    this.diffs.push(...other.diffs);
  }

  within<T>(segment: string, run: () => T): T {
    this.path.push(segment);
    try {
      return run();
    } finally {
      this.path.pop();
    }
  }

  isCompatible(): boolean {
    return this.diffs.every((d) => COMPATIBLE_CHANGES.has(d.type));
  }
}

function normalize(n: SchemaNode): SchemaNode {
  let current = n;
  // A chain of refs ends at a definition; a loop of refs that never does stays a ref.
  for (let hops = 0; current.kind === "ref" && hops < 32; hops++) {
    const target = current.resolve();
    if (!target) break;
    current = target;
  }
  return current;
}

function compare(ctx: DiffContext, originalIn: SchemaNode | undefined, updateIn: SchemaNode | undefined): void {
  if (!originalIn && !updateIn) return;
  if (!originalIn) {
    ctx.add("SCHEMA_ADDED");
    return;
  }
  if (!updateIn) {
    ctx.add("SCHEMA_REMOVED");
    return;
  }
  const original = normalize(originalIn);
  const update = normalize(updateIn);

  if (original.kind !== "combined" && update.kind === "combined") {
    // A schema becoming one branch of a union (or a singleton wrapper) loses nothing.
    if (update.subschemas.length === 1) {
      const sub = ctx.sub();
      compare(sub, original, update.subschemas[0]);
      if (sub.isCompatible()) {
        ctx.addAll(sub);
        return;
      }
    } else if (update.criterion !== "allOf") {
      for (const branch of update.subschemas) {
        const sub = ctx.sub();
        compare(sub, original, branch);
        if (sub.isCompatible()) {
          ctx.addAll(sub);
          ctx.add("SUM_TYPE_EXTENDED");
          return;
        }
      }
    }
  } else if (original.kind === "combined" && update.kind !== "combined") {
    // Dropping all but one constraint of an allOf only accepts more.
    if (original.subschemas.length === 1) {
      const sub = ctx.sub();
      compare(sub, original.subschemas[0], update);
      if (sub.isCompatible()) {
        ctx.addAll(sub);
        return;
      }
    } else if (original.criterion === "allOf") {
      for (const part of original.subschemas) {
        const sub = ctx.sub();
        compare(sub, part, update);
        if (sub.isCompatible()) {
          ctx.addAll(sub);
          ctx.add("PRODUCT_TYPE_NARROWED");
          return;
        }
      }
    }
  }

  if (original.kind !== update.kind) {
    // The empty schema reads anything; nothing was ever written with `false`.
    if (original.kind !== "false" && update.kind !== "empty") ctx.add("TYPE_CHANGED");
    return;
  }

  const pair = `${original.uid}:${update.uid}`;
  if (ctx.inProgress.has(pair)) return; // a recursive schema: the enclosing comparison covers it
  ctx.inProgress.add(pair);
  try {
    const a = original.common;
    const b = update.common;
    if (a.id !== b.id) ctx.add("ID_CHANGED");
    if (a.title !== b.title) ctx.add("TITLE_CHANGED");
    if (a.description !== b.description) ctx.add("DESCRIPTION_CHANGED");
    if (a.defaultKey !== b.defaultKey) ctx.add("DEFAULT_CHANGED");
    compareSameKind(ctx, original, update);
  } finally {
    ctx.inProgress.delete(pair);
  }
}

function compareSameKind(ctx: DiffContext, original: SchemaNode, update: SchemaNode): void {
  if (original.kind === "string" && update.kind === "string") {
    compareBound(ctx, "maxLength", original.maxLength, update.maxLength, "MAX_LENGTH");
    compareBound(ctx, "minLength", original.minLength, update.minLength, "MIN_LENGTH");
    if (original.pattern === undefined && update.pattern !== undefined) ctx.add("PATTERN_ADDED", "pattern");
    else if (original.pattern !== undefined && update.pattern === undefined) ctx.add("PATTERN_REMOVED", "pattern");
    else if (original.pattern !== update.pattern) ctx.add("PATTERN_CHANGED", "pattern");
  } else if (original.kind === "number" && update.kind === "number") {
    compareNumbers(ctx, original, update);
  } else if (original.kind === "enum" && update.kind === "enum") {
    const before = new Set(original.values);
    const after = new Set(update.values);
    if (before.size !== after.size || ![...before].every((v) => after.has(v))) {
      if ([...before].every((v) => after.has(v))) ctx.add("ENUM_ARRAY_EXTENDED", "enum");
      else if ([...after].every((v) => before.has(v))) ctx.add("ENUM_ARRAY_NARROWED", "enum");
      else ctx.add("ENUM_ARRAY_CHANGED", "enum");
    }
  } else if (original.kind === "const" && update.kind === "const") {
    if (original.value !== update.value) ctx.add("ENUM_ARRAY_CHANGED", "const");
  } else if (original.kind === "combined" && update.kind === "combined") {
    compareCombined(ctx, original, update);
  } else if (original.kind === "not" && update.kind === "not") {
    ctx.within("not", () => {
      // `not` inverts: the update may forbid less, so the forbidden schemas compare reversed.
      const sub = ctx.sub();
      compare(sub, update.schema, original.schema);
      ctx.add(sub.isCompatible() ? "NOT_TYPE_NARROWED" : "NOT_TYPE_EXTENDED");
    });
  } else if (original.kind === "object" && update.kind === "object") {
    compareObjects(ctx, original, update);
  } else if (original.kind === "array" && update.kind === "array") {
    compareArrays(ctx, original, update);
  } else if (original.kind === "ref" && update.kind === "ref") {
    // References this engine cannot follow (other subjects): equal when they name the same schema.
    if (original.ref !== update.ref) ctx.add("TYPE_CHANGED");
  }
}

/** `maxX` / `minX` keywords: a larger maximum or a smaller minimum accepts more. */
function compareBound(
  ctx: DiffContext,
  keyword: string,
  before: number | undefined,
  after: number | undefined,
  prefix: string,
): void {
  if (before === after) return;
  if (before === undefined) ctx.add(`${prefix}_ADDED`, keyword);
  else if (after === undefined) ctx.add(`${prefix}_REMOVED`, keyword);
  else if (before < after) ctx.add(`${prefix}_INCREASED`, keyword);
  else ctx.add(`${prefix}_DECREASED`, keyword);
}

function compareNumbers(
  ctx: DiffContext,
  original: SchemaNode & { kind: "number" },
  update: SchemaNode & { kind: "number" },
): void {
  compareBound(ctx, "maximum", original.maximum, update.maximum, "MAXIMUM");
  compareBound(ctx, "minimum", original.minimum, update.minimum, "MINIMUM");
  compareBound(ctx, "exclusiveMaximum", original.exclusiveMaximum, update.exclusiveMaximum, "EXCLUSIVE_MAXIMUM");
  compareBound(ctx, "exclusiveMinimum", original.exclusiveMinimum, update.exclusiveMinimum, "EXCLUSIVE_MINIMUM");
  const before = original.multipleOf;
  const after = update.multipleOf;
  if (before !== after) {
    if (before === undefined) ctx.add("MULTIPLE_OF_ADDED", "multipleOf");
    else if (after === undefined) ctx.add("MULTIPLE_OF_REMOVED", "multipleOf");
    // Every multiple of 10 is a multiple of 2: a divisor of the old factor accepts all old data.
    else if (isMultiple(after, before)) ctx.add("MULTIPLE_OF_EXPANDED", "multipleOf");
    else if (isMultiple(before, after)) ctx.add("MULTIPLE_OF_REDUCED", "multipleOf");
    else ctx.add("MULTIPLE_OF_CHANGED", "multipleOf");
  }
  if (original.requiresInteger !== update.requiresInteger)
    ctx.add(original.requiresInteger ? "TYPE_EXTENDED" : "TYPE_NARROWED");
}

function isMultiple(value: number, factor: number): boolean {
  const quotient = value / factor;
  return Math.abs(quotient - Math.round(quotient)) < 1e-9;
}

function compareCombined(
  ctx: DiffContext,
  original: SchemaNode & { kind: "combined" },
  update: SchemaNode & { kind: "combined" },
): void {
  const criterionChange = compareCriteria(original, update);
  if (criterionChange) ctx.add(criterionChange);
  if (criterionChange === "COMBINED_TYPE_CHANGED") return;
  const before = distinct(original.subschemas);
  const after = distinct(update.subschemas);
  // More subschemas is judged by the update's criterion, fewer by the original's: an allOf
  // losing a part accepts more whatever it became, an anyOf / oneOf losing a branch accepts less.
  if (before.length < after.length)
    ctx.add(update.criterion === "allOf" ? "PRODUCT_TYPE_EXTENDED" : "SUM_TYPE_EXTENDED");
  else if (before.length > after.length)
    ctx.add(original.criterion === "allOf" ? "PRODUCT_TYPE_NARROWED" : "SUM_TYPE_NARROWED");

  // Every compatible (original, update) pairing, then the largest one-to-one matching of them:
  // each subschema must find its own counterpart, whatever the order.
  const edges: Array<Array<DiffContext | undefined>> = before.map((o, i) =>
    ctx.within(`${original.criterion}/${i}`, () =>
      after.map((u) => {
        const sub = ctx.sub();
        compare(sub, o, u);
        return sub.isCompatible() ? sub : undefined;
      }),
    ),
  );
  const matchOfUpdate = maximumMatching(edges, after.length);
  let matched = 0;
  matchOfUpdate.forEach((i, j) => {
    if (i === undefined) return;
    matched++;
    ctx.addAll(edges[i]![j]!);
  });
  if (matched < Math.min(before.length, after.length)) ctx.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED");
}

function compareCriteria(
  original: { criterion: Criterion; subschemas: unknown[] },
  update: { criterion: Criterion; subschemas: unknown[] },
): string | undefined {
  if (original.criterion === update.criterion) return undefined;
  const singleOriginal = original.subschemas.length === 1;
  const singleUpdate = update.subschemas.length === 1;
  // anyOf accepts whatever allOf or oneOf did; a singleton's criterion means nothing; an allOf
  // reduced to one part is that part, whatever combines it.
  const extended =
    update.criterion === "anyOf" ||
    (singleOriginal && singleUpdate) ||
    (singleOriginal && update.criterion === "oneOf") ||
    (singleUpdate && original.criterion === "allOf");
  return extended ? "COMBINED_TYPE_EXTENDED" : "COMBINED_TYPE_CHANGED";
}

/** Subschemas with equal source collapse to one (`allOf: [A, A]` is `allOf: [A]`). */
function distinct(nodes: SchemaNode[]): SchemaNode[] {
  const seen = new Set<string>();
  return nodes.filter((n) => !seen.has(n.key) && seen.add(n.key));
}

/** Kuhn's augmenting paths: for each update index, the original index matched to it. */
function maximumMatching(edges: Array<Array<unknown>>, rightSize: number): Array<number | undefined> {
  const matchOfRight: Array<number | undefined> = new Array(rightSize).fill(undefined);
  const tryAssign = (left: number, visited: Set<number>): boolean => {
    for (let right = 0; right < rightSize; right++) {
      if (!edges[left]![right] || visited.has(right)) continue;
      visited.add(right);
      const current = matchOfRight[right];
      if (current === undefined || tryAssign(current, visited)) {
        matchOfRight[right] = left;
        return true;
      }
    }
    return false;
  };
  for (let left = 0; left < edges.length; left++) tryAssign(left, new Set());
  return matchOfRight;
}

function compareObjects(ctx: DiffContext, original: ObjectNode, update: ObjectNode): void {
  ctx.within("required", () => {
    for (const name of original.properties.keys()) {
      if (!update.properties.has(name)) continue;
      const wasRequired = original.required.has(name);
      const isRequired = update.required.has(name);
      if (wasRequired && !isRequired) ctx.add("REQUIRED_ATTRIBUTE_REMOVED", name);
      else if (!wasRequired && isRequired) {
        ctx.add(
          update.properties.get(name)!.common.defaultKey !== undefined
            ? "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED"
            : "REQUIRED_ATTRIBUTE_ADDED",
          name,
        );
      }
    }
  });
  ctx.within("properties", () => {
    for (const name of union(original.properties.keys(), update.properties.keys())) {
      ctx.within(name, () => compareProperty(ctx, name, original, update));
    }
  });
  ctx.within("dependencies", () => {
    for (const name of union(original.propertyDependencies.keys(), update.propertyDependencies.keys())) {
      const before = original.propertyDependencies.get(name);
      const after = update.propertyDependencies.get(name);
      if (!after) ctx.add("DEPENDENCY_ARRAY_REMOVED", name);
      else if (!before) ctx.add("DEPENDENCY_ARRAY_ADDED", name);
      else if (!sameSet(before, after)) {
        if (isSubset(before, after)) ctx.add("DEPENDENCY_ARRAY_EXTENDED", name);
        else if (isSubset(after, before)) ctx.add("DEPENDENCY_ARRAY_NARROWED", name);
        else ctx.add("DEPENDENCY_ARRAY_CHANGED", name);
      }
    }
    for (const name of union(original.schemaDependencies.keys(), update.schemaDependencies.keys())) {
      const before = original.schemaDependencies.get(name);
      const after = update.schemaDependencies.get(name);
      if (!after) ctx.add("DEPENDENCY_SCHEMA_REMOVED", name);
      else if (!before) ctx.add("DEPENDENCY_SCHEMA_ADDED", name);
      else ctx.within(name, () => compare(ctx, before, after));
    }
  });
  ctx.within("additionalProperties", () => {
    if (original.permitsAdditional !== update.permitsAdditional) {
      ctx.add(update.permitsAdditional ? "ADDITIONAL_PROPERTIES_ADDED" : "ADDITIONAL_PROPERTIES_REMOVED");
    } else if (!original.additionalSchema && update.additionalSchema) ctx.add("ADDITIONAL_PROPERTIES_NARROWED");
    else if (original.additionalSchema && !update.additionalSchema) ctx.add("ADDITIONAL_PROPERTIES_EXTENDED");
    else compare(ctx, original.additionalSchema, update.additionalSchema);
  });
  compareBound(ctx, "maxProperties", original.maxProperties, update.maxProperties, "MAX_PROPERTIES");
  compareBound(ctx, "minProperties", original.minProperties, update.minProperties, "MIN_PROPERTIES");
}

function compareProperty(ctx: DiffContext, name: string, original: ObjectNode, update: ObjectNode): void {
  const before = original.properties.get(name);
  const after = update.properties.get(name);
  if (before && after) {
    compare(ctx, before, after);
    return;
  }
  if (before) {
    // Removed: only the update's model matters, it is what now reads the old property.
    if (isOpenObject(update)) {
      ctx.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL");
      return;
    }
    const covering = coveringSchema(update, name);
    if (covering) {
      const sub = ctx.sub();
      compare(sub, before, covering);
      ctx.addAll(sub);
      ctx.add(
        sub.isCompatible()
          ? "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
          : "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
      );
      return;
    }
    ctx.add(
      normalize(before).kind === "false"
        ? "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        : "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    );
    return;
  }
  if (!after) return;
  // Added: only the original's model matters, it is what let old data carry the name.
  if (isOpenObject(original)) {
    ctx.add(
      normalize(after).kind === "empty"
        ? "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
        : "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    );
    return;
  }
  const covering = coveringSchema(original, name);
  if (covering) {
    const sub = ctx.sub();
    compare(sub, covering, after);
    ctx.addAll(sub);
    ctx.add(
      sub.isCompatible()
        ? "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        : "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    );
  }
  if (update.required.has(name)) {
    ctx.add(
      after.common.defaultKey !== undefined
        ? "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
        : "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    );
  } else {
    ctx.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL");
  }
}

function isOpenObject(o: ObjectNode): boolean {
  return o.patternProperties.length === 0 && !o.additionalSchema && o.permitsAdditional;
}

/** The schema an undeclared property falls under: the first matching pattern, else additionalProperties. */
function coveringSchema(o: ObjectNode, name: string): SchemaNode | undefined {
  for (const { pattern, schema } of o.patternProperties) if (pattern?.test(name)) return schema;
  return o.additionalSchema;
}

function compareArrays(ctx: DiffContext, original: ArrayNode, update: ArrayNode): void {
  ctx.within("items", () => compare(ctx, original.allItems, update.allItems));
  compareTuples(ctx, original, update);
  ctx.within("additionalItems", () => {
    if (original.permitsAdditional !== update.permitsAdditional) {
      ctx.add(original.permitsAdditional ? "ADDITIONAL_ITEMS_REMOVED" : "ADDITIONAL_ITEMS_ADDED");
    } else if (!original.additionalSchema && update.additionalSchema) ctx.add("ADDITIONAL_ITEMS_NARROWED");
    else if (original.additionalSchema && !update.additionalSchema) ctx.add("ADDITIONAL_ITEMS_EXTENDED");
    else compare(ctx, original.additionalSchema, update.additionalSchema);
  });
  compareUnevaluatedItems(ctx, original.unevaluatedItems, update.unevaluatedItems);
  compareBound(ctx, "maxItems", original.maxItems, update.maxItems, "MAX_ITEMS");
  compareBound(ctx, "minItems", original.minItems, update.minItems, "MIN_ITEMS");
  if (original.uniqueItems !== update.uniqueItems)
    ctx.add(original.uniqueItems ? "UNIQUE_ITEMS_REMOVED" : "UNIQUE_ITEMS_ADDED", "uniqueItems");
  compareBound(ctx, "maxContains", original.maxContains, update.maxContains, "MAX_CONTAINS");
  compareBound(ctx, "minContains", original.minContains, update.minContains, "MIN_CONTAINS");
}

function compareTuples(ctx: DiffContext, original: ArrayNode, update: ArrayNode): void {
  const shared = Math.min(original.itemSchemas.length, update.itemSchemas.length);
  for (let i = 0; i < shared; i++)
    ctx.within(`items/${i}`, () => compare(ctx, original.itemSchemas[i], update.itemSchemas[i]));
  for (let i = shared; i < original.itemSchemas.length; i++) {
    const before = original.itemSchemas[i]!;
    ctx.within(`items/${i}`, () => {
      if (isOpenArray(update)) return ctx.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL");
      const covering = coveringItems(update);
      if (covering) {
        const sub = ctx.sub();
        compare(sub, before, covering);
        ctx.addAll(sub);
        return ctx.add(
          sub.isCompatible()
            ? "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            : "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        );
      }
      ctx.add(
        normalize(before).kind === "false"
          ? "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
          : "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
      );
    });
  }
  for (let i = shared; i < update.itemSchemas.length; i++) {
    const after = update.itemSchemas[i]!;
    ctx.within(`items/${i}`, () => {
      if (isOpenArray(original)) {
        return ctx.add(
          normalize(after).kind === "empty"
            ? "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
            : "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
        );
      }
      const covering = coveringItems(original);
      if (covering) {
        const sub = ctx.sub();
        compare(sub, covering, after);
        ctx.addAll(sub);
        return ctx.add(
          sub.isCompatible()
            ? "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            : "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        );
      }
      // Old data never had an item at this position: any schema for it reads all of old data.
      ctx.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL");
    });
  }
}

function compareUnevaluatedItems(
  ctx: DiffContext,
  before: SchemaNode | undefined,
  after: SchemaNode | undefined,
): void {
  if (!before && !after) return;
  const kind = (n: SchemaNode | undefined): string | undefined => (n ? normalize(n).kind : undefined);
  ctx.within("unevaluatedItems", () => {
    const a = kind(before);
    const b = kind(after);
    if (a === undefined) ctx.add(b === "false" ? "UNEVALUATED_ITEMS_REMOVED" : "UNEVALUATED_ITEMS_NARROWED");
    else if (b === undefined) ctx.add(a === "false" ? "UNEVALUATED_ITEMS_ADDED" : "UNEVALUATED_ITEMS_EXTENDED");
    else if (a === "false" && b !== "false") ctx.add("UNEVALUATED_ITEMS_ADDED");
    else if (a !== "false" && b === "false") ctx.add("UNEVALUATED_ITEMS_REMOVED");
    else if (a === "empty" && b !== "empty") ctx.add("UNEVALUATED_ITEMS_NARROWED");
    else if (a !== "empty" && b === "empty") ctx.add("UNEVALUATED_ITEMS_EXTENDED");
    else compare(ctx, before, after);
  });
}

/**
 * Open: nothing restricts items after the tuple (no additionalItems schema or false,
 * unevaluatedItems absent or true).
 */
function isOpenArray(a: ArrayNode): boolean {
  if (!a.permitsAdditional || a.additionalSchema) return false;
  return !a.unevaluatedItems || normalize(a.unevaluatedItems).kind === "empty";
}

function coveringItems(a: ArrayNode): SchemaNode | undefined {
  if (a.additionalSchema) return a.additionalSchema;
  if (a.permitsAdditional && a.unevaluatedItems) {
    const kind = normalize(a.unevaluatedItems).kind;
    if (kind !== "false" && kind !== "empty") return a.unevaluatedItems;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Messages.

const MESSAGES: Record<string, string> = {
  TYPE_CHANGED: "the type changed: data written with the old schema does not match the new one",
  TYPE_NARROWED: "the type was narrowed (number to integer): old data may hold values the new schema refuses",
  SCHEMA_ADDED: "a schema was added where there was none: old data was not constrained here",
  PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL:
    "a property was added to an open content model: " +
    "old data may already hold this name with any value " +
    "(close the model with additionalProperties: false, or give the property an empty schema)",
  PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL:
    "a property was removed from a closed content model: old data holds it and the new schema refuses it",
  PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL:
    "an added property does not accept what additionalProperties / patternProperties accepted before",
  PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL:
    "a removed property's values are not accepted by the new additionalProperties / patternProperties",
  REQUIRED_ATTRIBUTE_ADDED: "a property became required: old data may lack it (give it a default)",
  REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL:
    "a required property was added: old data lacks it (give it a default)",
  ADDITIONAL_PROPERTIES_REMOVED: "additionalProperties became false: old data may hold undeclared properties",
  ADDITIONAL_PROPERTIES_NARROWED: "additionalProperties gained a schema: old undeclared properties may not match it",
  ADDITIONAL_ITEMS_REMOVED: "additional items became forbidden: old data may hold them",
  ADDITIONAL_ITEMS_NARROWED: "additional items gained a schema: old data's extra items may not match it",
  ITEM_ADDED_TO_OPEN_CONTENT_MODEL:
    "a tuple item was added to an open array: old data may hold anything at this position",
  ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL:
    "a tuple item was removed from a closed array: old data holds it and the new schema refuses it",
  ENUM_ARRAY_NARROWED: "enum values were removed: old data may hold them",
  ENUM_ARRAY_CHANGED: "enum / const values changed: old data may hold values no longer allowed",
  COMBINED_TYPE_CHANGED: "the combination changed (allOf / anyOf / oneOf) in a way that accepts less",
  COMBINED_TYPE_SUBSCHEMAS_CHANGED:
    "a subschema of allOf / anyOf / oneOf has no compatible counterpart in the new schema",
  PRODUCT_TYPE_EXTENDED: "an allOf gained a subschema: old data may not match it",
  SUM_TYPE_NARROWED: "an anyOf / oneOf lost a subschema: old data may match only that one",
  NOT_TYPE_EXTENDED: "a not forbids more than before: old data may match it",
};

function describeChange(type: string, path: string): string {
  const text = MESSAGES[type] ?? `${type.toLowerCase().replaceAll("_", " ")}: old data may not match the new schema`;
  return `${text} (at ${path})`;
}

// ---------------------------------------------------------------------------------------------
// JSON helpers.

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function regex(source: string): RegExp | undefined {
  try {
    return new RegExp(source, "u");
  } catch {
    return undefined; // validateSpecification refuses such a schema; nothing can match here
  }
}

function resolvePointer(root: unknown, fragment: string): unknown {
  let current: unknown = root;
  for (const raw of fragment.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(current)) current = current[Number(key)];
    else if (isObject(current)) current = Object.hasOwn(current, key) ? current[key] : undefined;
    else return undefined;
  }
  return current;
}

/** The subschema declaring `$anchor: name` (or draft-07's `$id: "#name"`). */
function findAnchor(root: unknown, name: string): unknown {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const current = stack.pop();
    if (Array.isArray(current)) stack.push(...current);
    else if (isObject(current)) {
      if (current.$anchor === name || current.$id === `#${name}`) return current;
      for (const [key, value] of Object.entries(current))
        if (key !== "enum" && key !== "const" && key !== "default" && key !== "examples") stack.push(value);
    }
  }
  return undefined;
}

function union<T>(a: Iterable<T>, b: Iterable<T>): T[] {
  return [...new Set([...a, ...b])];
}

function sameSet<T>(a: Set<T>, b: Set<T>): boolean {
  return a.size === b.size && isSubset(a, b);
}

function isSubset<T>(a: Set<T>, b: Set<T>): boolean {
  return [...a].every((v) => b.has(v));
}
