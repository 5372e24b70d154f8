/**
 * The JSON Schema compatibility engine against the confluent-bdd diff vectors (checked against a
 * real Confluent Schema Registry by their authors): for each case, the set of changes (type and
 * path) and the overall verdict. Then the engine inside checkCompatibility over a version chain.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { checkCompatibility } from "../../../tenant-template/src/compat/compatibility.ts";
import {
  diffJsonSchemas,
  jsonSchemaCompatibility,
  type JsonSchemaDocument,
} from "../../../tenant-template/src/compat/json-schema-compatibility.ts";
import { validateSpecification, type ParsedSpec } from "../../../tenant-template/src/spec/validate-specification.ts";

interface Vector {
  description: string;
  original_schema: JsonSchemaDocument;
  update_schema: JsonSchemaDocument;
  /** "TYPE #/path" strings. */
  changes: string[];
  compatible: boolean;
}

// CI checks the shared conformance suite out beside the repository, as ../shared.
const TESTDATA = new URL("../../../../shared/conformance/confluent-bdd/testdata/", import.meta.url);
const FILES = [
  "jsonschema-diff-draft07.json",
  "jsonschema-diff-draft2020.json",
  "jsonschema-combined-draft07.json",
  "jsonschema-combined-draft2020.json",
] as const;

/**
 * Vectors this engine does not match, by "file#index", with the reason. Each becomes an `it.skip`
 * whose title says why, so nothing is dropped silently. None today.
 */
const SKIPS: Record<string, string> = {};

const tally = new Map<string, { passed: number; failed: number; skipped: number }>();

afterAll(() => {
  const lines = [...tally].map(
    ([file, t]) => `${file}: ${t.passed}/${t.passed + t.failed + t.skipped} passed, ${t.skipped} skipped`,
  );
  console.log(`JSON Schema diff vectors\n  ${lines.join("\n  ")}`);
});

for (const file of FILES) {
  const vectors = JSON.parse(readFileSync(new URL(file, TESTDATA), "utf8")) as Vector[];
  const counts = { passed: 0, failed: 0, skipped: 0 };
  tally.set(file, counts);

  describe(file, () => {
    vectors.forEach((vector, index) => {
      const title = `#${index} ${vector.description.trim()}`;
      const skip = SKIPS[`${file}#${index}`];
      if (skip !== undefined) {
        counts.skipped++;
        it.skip(`${title} (skipped: ${skip})`, () => {});
        return;
      }
      it(title, () => {
        counts.failed++;
        const changes = diffJsonSchemas(vector.original_schema, vector.update_schema);
        expect(changes.map((c) => `${c.type} ${c.path}`).sort()).toEqual([...vector.changes].sort());
        expect(changes.every((c) => c.compatible)).toBe(vector.compatible);
        counts.failed--;
        counts.passed++;
      });
    });
  });
}

function parse(schema: JsonSchemaDocument): ParsedSpec {
  const result = validateSpecification("JSON", JSON.stringify(schema));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.parsed;
}

describe("jsonSchemaCompatibility in checkCompatibility", () => {
  // An open model throughout v1..v3: v2 adds a property anything may hold (compatible both ways),
  // v3 constrains it (old data may hold anything there: forward only), v4 closes the model.
  const v1 = parse({ type: "object", properties: { id: { type: "string" } }, required: ["id"] });
  const v2 = parse({
    type: "object",
    description: "an order",
    properties: { id: { type: "string" }, note: {} },
    required: ["id"],
  });
  const v3 = parse({
    type: "object",
    properties: { id: { type: "string" }, note: { type: "string" } },
    required: ["id"],
  });
  const v4 = parse({
    type: "object",
    properties: { id: { type: "string" }, note: { type: "string" } },
    required: ["id"],
    additionalProperties: false,
  });
  const chain = [
    { version: 1, spec: v1 },
    { version: 2, spec: v2 },
  ];

  it("a property with an empty schema added to an open model passes every level", () => {
    for (const level of ["BACKWARD", "FORWARD", "FULL", "FULL_TRANSITIVE"] as const) {
      expect(checkCompatibility(jsonSchemaCompatibility, level, v2, chain.slice(0, 1))).toMatchObject({
        isCompatible: true,
        issues: [],
      });
    }
  });

  it("constraining that property is FORWARD compatible only, and TRANSITIVE reports each version", () => {
    expect(checkCompatibility(jsonSchemaCompatibility, "FORWARD_TRANSITIVE", v3, chain).isCompatible).toBe(true);
    const backward = checkCompatibility(jsonSchemaCompatibility, "BACKWARD", v3, chain);
    expect(backward.issues).toEqual([
      expect.objectContaining({
        type: "TYPE_CHANGED",
        path: "#/properties/note",
        againstVersion: 2,
        direction: "backward",
      }),
    ]);
    const transitive = checkCompatibility(jsonSchemaCompatibility, "FULL_TRANSITIVE", v3, chain);
    expect(transitive.issues.map((i) => [i.againstVersion, i.direction, i.type, i.path])).toEqual([
      [2, "backward", "TYPE_CHANGED", "#/properties/note"],
      [1, "backward", "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "#/properties/note"],
    ]);
    expect(transitive.messages[0]).toContain("location:'#/properties/note'");
  });

  it("closing the model is FORWARD compatible, not BACKWARD or FULL", () => {
    const latest = [{ version: 3, spec: v3 }];
    expect(checkCompatibility(jsonSchemaCompatibility, "FORWARD", v4, latest).isCompatible).toBe(true);
    expect(checkCompatibility(jsonSchemaCompatibility, "BACKWARD", v4, latest).issues).toEqual([
      expect.objectContaining({ type: "ADDITIONAL_PROPERTIES_REMOVED", path: "#/additionalProperties" }),
    ]);
    expect(checkCompatibility(jsonSchemaCompatibility, "FULL", v4, latest).isCompatible).toBe(false);
    // Adding an optional property to the closed model is backward compatible, not forward:
    // the old closed model refuses it.
    const v5 = parse({
      type: "object",
      properties: { id: { type: "string" }, note: { type: "string" }, tag: { type: "string" } },
      required: ["id"],
      additionalProperties: false,
    });
    expect(checkCompatibility(jsonSchemaCompatibility, "BACKWARD", v5, [{ version: 4, spec: v4 }]).isCompatible).toBe(
      true,
    );
    expect(checkCompatibility(jsonSchemaCompatibility, "FORWARD", v5, [{ version: 4, spec: v4 }]).issues).toEqual([
      expect.objectContaining({ type: "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", path: "#/properties/tag" }),
    ]);
  });

  it("a new required property without default breaks BACKWARD, and says where", () => {
    const v4required = parse({
      type: "object",
      properties: { id: { type: "string" }, note: { type: "string" }, owner: { type: "string" } },
      required: ["id", "owner"],
      additionalProperties: false,
    });
    const result = checkCompatibility(jsonSchemaCompatibility, "BACKWARD", v4required, [{ version: 4, spec: v4 }]);
    expect(result.isCompatible).toBe(false);
    expect(result.issues).toEqual([
      expect.objectContaining({ type: "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", path: "#/properties/owner" }),
    ]);
    expect(result.issues[0]?.message).toMatch(/default/);
    // With a default, old data can be read.
    const withDefault = parse({
      type: "object",
      properties: { id: { type: "string" }, note: { type: "string" }, owner: { type: "string", default: "nobody" } },
      required: ["id", "owner"],
      additionalProperties: false,
    });
    expect(
      checkCompatibility(jsonSchemaCompatibility, "BACKWARD", withDefault, [{ version: 4, spec: v4 }]).isCompatible,
    ).toBe(true);
  });

  it("NONE asks nothing; another format is refused", () => {
    const avro = validateSpecification("AVRO", '{"type":"string"}');
    if (!avro.ok) throw new Error("expected a valid Avro schema");
    expect(checkCompatibility(jsonSchemaCompatibility, "NONE", avro.parsed, chain).isCompatible).toBe(true);
    expect(jsonSchemaCompatibility.canRead(v1, avro.parsed)).toHaveLength(1);
  });
});

describe("beyond the vectors", () => {
  const types = (a: JsonSchemaDocument, b: JsonSchemaDocument): string[] =>
    diffJsonSchemas(a, b).map((c) => `${c.type} ${c.path}`);

  it("recursive local $refs terminate and find a change deep inside", () => {
    const tree = (leaf: string): JsonSchemaDocument => ({
      $ref: "#/definitions/node",
      definitions: {
        node: {
          type: "object",
          properties: { value: { type: leaf }, children: { type: "array", items: { $ref: "#/definitions/node" } } },
        },
      },
    });
    expect(types(tree("string"), tree("string"))).toEqual([]);
    expect(types(tree("integer"), tree("number"))).toEqual(["TYPE_EXTENDED #/properties/value"]);
    expect(types(tree("string"), tree("number"))).toEqual(["TYPE_CHANGED #/properties/value"]);
  });

  it("2020-12: $defs, unevaluatedItems and exclusive bounds", () => {
    const s = "https://json-schema.org/draft/2020-12/schema";
    expect(
      types(
        { $schema: s, $ref: "#/$defs/n", $defs: { n: { type: "number", exclusiveMinimum: 0 } } },
        { $schema: s, $ref: "#/$defs/n", $defs: { n: { type: "number", exclusiveMinimum: 1 } } },
      ),
    ).toEqual(["EXCLUSIVE_MINIMUM_INCREASED #/exclusiveMinimum"]);
    expect(
      diffJsonSchemas(
        { $schema: s, type: "array", prefixItems: [{ type: "string" }], unevaluatedItems: false },
        { $schema: s, type: "array", prefixItems: [{ type: "string" }, { type: "number" }], unevaluatedItems: false },
      ),
    ).toEqual([{ type: "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", path: "#/items/1", compatible: true }]);
    expect(types({ $schema: s, type: "array", maxContains: 3 }, { $schema: s, type: "array", maxContains: 2 })).toEqual(
      ["MAX_CONTAINS_DECREASED #/maxContains"],
    );
  });

  it("enums compare as sets, consts as values; a default change is compatible", () => {
    expect(types({ enum: ["a", "b"] }, { enum: ["b", "a"] })).toEqual([]);
    expect(types({ enum: ["a", "b"] }, { enum: ["a"] })).toEqual(["ENUM_ARRAY_NARROWED #/enum"]);
    expect(types({ const: { x: 1, y: 2 } }, { const: { y: 2, x: 1 } })).toEqual([]);
    expect(diffJsonSchemas({ type: "string", default: "a" }, { type: "string", default: "b" })).toEqual([
      { type: "DEFAULT_CHANGED", path: "#/", compatible: true },
    ]);
  });

  it("pattern properties decide whether a removed property is still readable", () => {
    const original = { type: "object", properties: { x_1: { type: "integer" } }, additionalProperties: false } as const;
    expect(
      types(original, {
        type: "object",
        patternProperties: { "^x_": { type: "number" } },
        additionalProperties: false,
      }),
    ).toEqual([
      "TYPE_EXTENDED #/properties/x_1",
      "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/x_1",
    ]);
    expect(types(original, { type: "object", additionalProperties: false })).toEqual([
      "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/x_1",
    ]);
  });
});
