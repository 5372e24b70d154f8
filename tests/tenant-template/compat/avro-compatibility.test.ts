/**
 * The Avro compatibility engine, in Node (it is pure; avro-compatibility-in-workerd.test.ts runs
 * it in workerd): each resolution rule in both directions, the levels over a version chain, and
 * every Avro compatibility scenario of the confluent-bdd conformance features, and avsc's
 * resolver (Node only) as a second opinion on every pair of their schemas.
 */
import avsc from "avsc";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { avroCompatibility } from "../../../tenant-template/src/compat/avro-compatibility.ts";
import { checkCompatibility, type CompatibilityIssue } from "../../../tenant-template/src/compat/compatibility.ts";
import type { ParsedSpec } from "../../../tenant-template/src/spec/spec-types.ts";
import { validateSpecification } from "../../../tenant-template/src/spec/validate-specification.ts";
import fixtures from "../spec/fixtures/confluent-bdd.json" with { type: "json" };
import { FEATURES_DIR, readScenarios, runScenario, type ScenarioOutcome } from "./feature-compat-runner.ts";

function avro(schema: unknown): ParsedSpec {
  const result = validateSpecification("AVRO", JSON.stringify(schema));
  if (!result.ok) throw new Error(`invalid test schema: ${JSON.stringify(result.errors)}`);
  return result.parsed;
}

/** Issues for `reader` reading `writer`, without messages: type and path say what and where. */
function issues(reader: unknown, writer: unknown): Array<Pick<CompatibilityIssue, "type" | "path">> {
  return avroCompatibility.canRead(avro(reader), avro(writer)).map(({ type, path }) => ({ type, path }));
}

const record = (fields: unknown[], extra: Record<string, unknown> = {}) => ({
  type: "record",
  name: "R",
  fields,
  ...extra,
});
const field = (name: string, type: unknown, extra: Record<string, unknown> = {}) => ({ name, type, ...extra });

describe("primitives and promotions", () => {
  const primitives = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"] as const;
  // reader <- writers it reads besides itself, from the specification's promotion list.
  const reads: Record<string, string[]> = {
    long: ["int"],
    float: ["int", "long"],
    double: ["int", "long", "float"],
    bytes: ["string"],
    string: ["bytes"],
  };

  test.each(primitives.flatMap((reader) => primitives.map((writer) => [reader, writer] as const)))(
    "%s reading %s",
    (reader, writer) => {
      const compatible = reader === writer || (reads[reader] ?? []).includes(writer);
      expect(issues(reader, writer)).toEqual(compatible ? [] : [{ type: "TYPE_MISMATCH", path: "" }]);
    },
  );

  test("a mismatch says both types", () => {
    expect(avroCompatibility.canRead(avro("int"), avro("long"))[0]?.message).toBe(
      "reader type: int not compatible with writer type: long",
    );
  });
});

describe("records", () => {
  const v1 = record([field("name", "string")]);

  test(`a reader field the writer lacks needs a default (BACKWARD add), \
the other way round the writer's extra field is skipped`, () => {
    const withDefault = record([field("name", "string"), field("email", "string", { default: "" })]);
    const without = record([field("name", "string"), field("email", "string")]);
    expect(issues(withDefault, v1)).toEqual([]);
    expect(issues(without, v1)).toEqual([{ type: "READER_FIELD_MISSING_DEFAULT_VALUE", path: "/fields/1" }]);
    expect(issues(v1, without)).toEqual([]);
    expect(avroCompatibility.canRead(avro(without), avro(v1))[0]?.message).toContain("email");
  });

  test("a field's type is checked recursively, at /fields/N/type", () => {
    const nested = (type: string) =>
      record([
        field("id", "int"),
        field("inner", { type: "record", name: "Inner", fields: [field("a", "int"), field("b", type)] }),
      ]);
    expect(issues(record([field("name", "int")]), v1)).toEqual([{ type: "TYPE_MISMATCH", path: "/fields/0/type" }]);
    expect(issues(nested("long"), nested("int"))).toEqual([]);
    expect(issues(nested("int"), nested("long"))).toEqual([
      { type: "TYPE_MISMATCH", path: "/fields/1/type/fields/1/type" },
    ]);
  });

  test("every issue is reported, not only the first", () => {
    const reader = record([field("a", "int"), field("b", "string"), field("c", "boolean")]);
    const writer = record([field("a", "string"), field("b", "string")]);
    expect(issues(reader, writer)).toEqual([
      { type: "TYPE_MISMATCH", path: "/fields/0/type" },
      { type: "READER_FIELD_MISSING_DEFAULT_VALUE", path: "/fields/2" },
    ]);
  });

  test("records match by name; a reader alias naming the writer's full name renames", () => {
    expect(issues(record([field("name", "string")], { name: "Other" }), v1)).toEqual([
      { type: "NAME_MISMATCH", path: "/name" },
    ]);
    expect(issues(record([field("name", "string")], { name: "Other", aliases: ["R"] }), v1)).toEqual([]);
    // A reader alias without a dot is in the reader's namespace, as Java resolves it.
    const writer = { ...v1, namespace: "shop" };
    expect(
      issues(record([field("name", "string")], { name: "New", namespace: "shop", aliases: ["R"] }), writer),
    ).toEqual([]);
    expect(issues(record([field("name", "string")], { name: "New", aliases: ["shop.R"] }), writer)).toEqual([]);
    expect(
      issues(record([field("name", "string")], { name: "New", namespace: "other", aliases: ["R"] }), writer),
    ).toEqual([{ type: "NAME_MISMATCH", path: "/name" }]);
    // The writer's aliases play no part.
    expect(issues(v1, record([field("name", "string")], { name: "Other", aliases: ["R"] }))).toEqual([
      { type: "NAME_MISMATCH", path: "/name" },
    ]);
  });

  test(`names compare unqualified, as Avro Java (1.9+) and so Confluent do: \
a namespace move alone is compatible`, () => {
    expect(issues({ ...v1, namespace: "a.b" }, { ...v1, namespace: "c" })).toEqual([]);
    expect(issues({ ...v1, name: "x.R" }, v1)).toEqual([]);
  });

  test("a reader field matches a writer field by its aliases (a rename); more than one match is refused", () => {
    const renamed = record([field("full_name", "string", { aliases: ["name"] })]);
    expect(issues(renamed, v1)).toEqual([]);
    // The other way round the old name is unknown and has no default.
    expect(issues(v1, renamed)).toEqual([{ type: "READER_FIELD_MISSING_DEFAULT_VALUE", path: "/fields/0" }]);
    const ambiguous = record([field("name", "string", { aliases: ["nick"] })]);
    expect(issues(ambiguous, record([field("name", "string"), field("nick", "string")]))).toEqual([
      { type: "READER_FIELD_AMBIGUOUS", path: "/fields/0" },
    ]);
  });

  test("an error type resolves like a record", () => {
    expect(issues({ ...v1, type: "error" }, v1)).toEqual([]);
    expect(issues(v1, { ...v1, type: "error" })).toEqual([]);
  });
});

describe("enums", () => {
  const e = (symbols: string[], extra: Record<string, unknown> = {}) => ({
    type: "enum",
    name: "Status",
    symbols,
    ...extra,
  });

  test("the reader must know every writer symbol", () => {
    expect(issues(e(["A", "B", "C"]), e(["A", "B"]))).toEqual([]);
    expect(issues(e(["A", "B"]), e(["A", "B", "C", "D"]))).toEqual([
      { type: "MISSING_ENUM_SYMBOLS", path: "/symbols" },
    ]);
    expect(avroCompatibility.canRead(avro(e(["A"])), avro(e(["A", "C", "B"])))[0]?.message).toMatch(/^\[C, B\]/);
  });

  test("unless the reader has a default, which stands in for unknown symbols", () => {
    expect(issues(e(["UNKNOWN", "A"], { default: "UNKNOWN" }), e(["A", "B"]))).toEqual([]);
  });

  test("names must match; inside a record the path points there", () => {
    expect(issues(e(["A"], { name: "Other" }), e(["A"]))).toEqual([{ type: "NAME_MISMATCH", path: "/name" }]);
    expect(issues(record([field("s", e(["A"]))]), record([field("s", e(["A", "B"]))]))).toEqual([
      { type: "MISSING_ENUM_SYMBOLS", path: "/fields/0/type/symbols" },
    ]);
  });

  test("an enum and a string do not resolve, either way", () => {
    expect(issues(e(["A"]), "string")).toEqual([{ type: "TYPE_MISMATCH", path: "" }]);
    expect(issues("string", e(["A"]))).toEqual([{ type: "TYPE_MISMATCH", path: "" }]);
  });
});

describe("fixed", () => {
  const f = (size: number, name = "Hash") => ({ type: "fixed", name, size });

  test("size and name must match, both reported", () => {
    expect(issues(f(16), f(16))).toEqual([]);
    expect(issues(f(16), f(32))).toEqual([{ type: "FIXED_SIZE_MISMATCH", path: "/size" }]);
    expect(issues(f(32), f(16))).toEqual([{ type: "FIXED_SIZE_MISMATCH", path: "/size" }]);
    expect(issues(f(16, "Other"), f(16))).toEqual([{ type: "NAME_MISMATCH", path: "/name" }]);
    expect(issues(f(8, "Other"), f(16))).toEqual([
      { type: "NAME_MISMATCH", path: "/name" },
      { type: "FIXED_SIZE_MISMATCH", path: "/size" },
    ]);
    expect(avroCompatibility.canRead(avro(f(16)), avro(f(32)))[0]?.message).toMatch(/^expected: 32, found: 16/);
  });

  test("fixed and bytes do not resolve", () => {
    expect(issues(f(4), "bytes")).toEqual([{ type: "TYPE_MISMATCH", path: "" }]);
    expect(issues("bytes", f(4))).toEqual([{ type: "TYPE_MISMATCH", path: "" }]);
  });
});

describe("arrays and maps", () => {
  test("an array resolves by its items, a map by its values, with promotions", () => {
    expect(issues({ type: "array", items: "long" }, { type: "array", items: "int" })).toEqual([]);
    expect(issues({ type: "array", items: "int" }, { type: "array", items: "long" })).toEqual([
      { type: "TYPE_MISMATCH", path: "/items" },
    ]);
    expect(issues({ type: "map", values: "double" }, { type: "map", values: "float" })).toEqual([]);
    expect(issues({ type: "map", values: "float" }, { type: "map", values: "double" })).toEqual([
      { type: "TYPE_MISMATCH", path: "/values" },
    ]);
  });

  test("nested containers and records inside them", () => {
    const items = (type: string) =>
      record([
        field("xs", {
          type: "array",
          items: { type: "map", values: { type: "record", name: "P", fields: [field("v", type)] } },
        }),
      ]);
    expect(issues(items("string"), items("bytes"))).toEqual([]);
    expect(issues(items("int"), items("string"))).toEqual([
      { type: "TYPE_MISMATCH", path: "/fields/0/type/items/values/fields/0/type" },
    ]);
  });

  test("an array and a map do not resolve", () => {
    expect(issues({ type: "array", items: "int" }, { type: "map", values: "int" })).toEqual([
      { type: "TYPE_MISMATCH", path: "" },
    ]);
    expect(issues({ type: "map", values: "int" }, { type: "array", items: "int" })).toEqual([
      { type: "TYPE_MISMATCH", path: "" },
    ]);
  });
});

describe("unions", () => {
  test("every writer branch must be readable by some reader branch", () => {
    expect(issues(["null", "string", "int"], ["null", "string"])).toEqual([]);
    expect(issues(["null", "string"], ["null", "string", "int"])).toEqual([{ type: "MISSING_UNION_BRANCH", path: "" }]);
    // Promotions count: a long branch reads an int branch.
    expect(issues(["null", "long"], ["null", "int"])).toEqual([]);
    expect(issues(["null", "int"], ["null", "long"])).toEqual([{ type: "MISSING_UNION_BRANCH", path: "" }]);
    expect(avroCompatibility.canRead(avro(["null", "string"]), avro(["null", "string", "int"]))[0]?.message).toContain(
      "int (branch 2 of the writer's union)",
    );
  });

  test(`a reader union reads a non-union writer if some branch does \
(making a field optional is backward compatible)`, () => {
    const plain = record([field("a", "string")]);
    const optional = record([field("a", ["null", "string"], { default: null })]);
    expect(issues(optional, plain)).toEqual([]);
    expect(issues(["null", "long"], "int")).toEqual([]);
    expect(issues(["null", "string"], "int")).toEqual([{ type: "MISSING_UNION_BRANCH", path: "" }]);
    // The other way round: the writer may have written null, which a string cannot read.
    expect(issues(plain, optional)).toEqual([{ type: "TYPE_MISMATCH", path: "/fields/0/type" }]);
  });

  test("a non-union reader reads a union writer only if it reads every branch", () => {
    expect(issues("long", ["int", "long"])).toEqual([]);
    expect(issues("double", ["int", "long", "float"])).toEqual([]);
    expect(issues("string", ["null", "string", "int"])).toEqual([
      { type: "TYPE_MISMATCH", path: "" },
      { type: "TYPE_MISMATCH", path: "" },
    ]);
    expect(avroCompatibility.canRead(avro("string"), avro(["null", "string"]))[0]?.message).toContain(
      "(branch 0 of the writer's union)",
    );
  });

  test("named branches match by name, so a renamed record is a missing branch", () => {
    const a = { type: "record", name: "A", fields: [field("x", "int")] };
    const b = { type: "record", name: "B", fields: [field("x", "int")] };
    expect(issues(["null", a, b], ["null", a])).toEqual([]);
    expect(issues(["null", b], ["null", a])).toEqual([{ type: "MISSING_UNION_BRANCH", path: "" }]);
    expect(issues(record([field("u", ["null", a])]), record([field("u", ["null", b])]))).toEqual([
      { type: "MISSING_UNION_BRANCH", path: "/fields/0/type" },
    ]);
  });
});

describe("recursive named types", () => {
  const list = (extra: unknown[] = []) => ({
    type: "record",
    name: "Node",
    fields: [field("value", "int"), field("next", ["null", "Node"]), ...extra],
  });

  test("a self-referencing record is checked without looping, both ways", () => {
    expect(issues(list(), list())).toEqual([]);
    expect(issues(list([field("label", "string", { default: "" })]), list())).toEqual([]);
    expect(issues(list(), list([field("label", "string", { default: "" })]))).toEqual([]);
    expect(issues(list([field("label", "string")]), list())).toEqual([
      { type: "READER_FIELD_MISSING_DEFAULT_VALUE", path: "/fields/2" },
    ]);
  });

  test("mutual recursion through arrays and maps", () => {
    const tree = (leaf: string) => ({
      type: "record",
      name: "Tree",
      fields: [
        field("children", {
          type: "array",
          items: { type: "record", name: "Branch", fields: [field("sub", "Tree"), field("w", leaf)] },
        }),
        field("tags", { type: "map", values: "Tree" }),
      ],
    });
    expect(issues(tree("long"), tree("int"))).toEqual([]);
    expect(issues(tree("int"), tree("long"))).toEqual([
      { type: "TYPE_MISMATCH", path: "/fields/0/type/items/fields/1/type" },
    ]);
  });

  test("a named type used in many places is checked once per pair; issues stay bounded", () => {
    // L0 uses L1 twice, L1 uses L2 twice, ... down to L30: 2^30 paths, but 31 pairs. Each type
    // is defined in its own top-level field, so the text stays shallow.
    const levels = (leaf: string) =>
      record(
        Array.from({ length: 31 }, (_, k) => {
          const n = 30 - k;
          return field(
            `d${n}`,
            n === 30
              ? { type: "record", name: "L30", fields: [field("v", leaf)] }
              : { type: "record", name: `L${n}`, fields: [field("a", `L${n + 1}`), field("b", `L${n + 1}`)] },
          );
        }),
      );
    // No wall-clock bound (a busy machine is slow, not wrong): walking 2^30 paths instead of 31
    // pairs would not end within the test's timeout, which is what fails then.
    const found = issues(levels("int"), levels("string"));
    expect(found.length).toBeGreaterThan(30);
    expect(found.length).toBeLessThanOrEqual(100);
    expect(found[0]).toEqual({ type: "TYPE_MISMATCH", path: "/fields/0/type/fields/0/type" });
    expect(found[1]).toEqual({ type: "TYPE_MISMATCH", path: "/fields/1/type/fields/0/type/fields/0/type" });
  });
});

describe("logical types are ignored, only the underlying type counts", () => {
  test.each([
    [{ type: "long", logicalType: "timestamp-millis" }, "long", []],
    ["long", { type: "long", logicalType: "timestamp-micros" }, []],
    [{ type: "int", logicalType: "date" }, "int", []],
    [{ type: "long", logicalType: "timestamp-millis" }, { type: "int", logicalType: "date" }, []],
    [{ type: "string", logicalType: "uuid" }, "string", []],
    [
      { type: "bytes", logicalType: "decimal", precision: 10, scale: 2 },
      { type: "bytes", logicalType: "decimal", precision: 4, scale: 1 },
      [],
    ],
    [
      { type: "int", logicalType: "date" },
      { type: "long", logicalType: "timestamp-millis" },
      [{ type: "TYPE_MISMATCH", path: "" }],
    ],
  ])("%j reading %j", (reader, writer, expected) => {
    expect(issues(reader, writer)).toEqual(expected);
  });
});

test("another format is never compatible with Avro", () => {
  const json = validateSpecification("JSON", '{"type":"object"}');
  if (!json.ok) throw new Error("invalid JSON Schema");
  expect(avroCompatibility.canRead(json.parsed, avro("string"))).toMatchObject([{ type: "TYPE_MISMATCH", path: "" }]);
  expect(avroCompatibility.canRead(avro("string"), json.parsed)).toMatchObject([{ type: "TYPE_MISMATCH", path: "" }]);
});

describe("levels over a version chain", () => {
  // v1 -> v2 removes `a`; v2 -> v3 adds it back as an int with a default. Each step is backward
  // (and forward) compatible, but v3 cannot read v1's string `a`, nor v1 v3's int.
  const v1 = avro(record([field("id", "long"), field("a", "string")]));
  const v2 = avro(record([field("id", "long")]));
  const v3 = avro(record([field("id", "long"), field("a", "int", { default: 0 })]));
  const chain = [
    { version: 1, spec: v1 },
    { version: 2, spec: v2 },
  ];

  test.each([
    ["NONE", true],
    ["BACKWARD", true],
    ["FORWARD", true],
    ["FULL", true],
    ["BACKWARD_TRANSITIVE", false],
    ["FORWARD_TRANSITIVE", false],
    ["FULL_TRANSITIVE", false],
  ] as const)("%s: %s", (level, compatible) => {
    expect(checkCompatibility(avroCompatibility, level, v3, chain).isCompatible).toBe(compatible);
  });

  test("the transitive levels say which version and which direction broke, and where", () => {
    expect(checkCompatibility(avroCompatibility, "FULL_TRANSITIVE", v3, chain).issues).toMatchObject([
      { type: "TYPE_MISMATCH", path: "/fields/1/type", againstVersion: 1, direction: "backward" },
      { type: "TYPE_MISMATCH", path: "/fields/1/type", againstVersion: 1, direction: "forward" },
    ]);
    expect(checkCompatibility(avroCompatibility, "BACKWARD_TRANSITIVE", v3, chain).messages).toEqual([
      "{errorType:'TYPE_MISMATCH', description:'reader type: int not compatible with writer type: string', " +
        "location:'/fields/1/type', version: 1, direction: backward}",
    ]);
  });

  test("BACKWARD and FORWARD are mirror images: a new required field passes one and fails the other", () => {
    const added = avro(record([field("id", "long"), field("b", "string")]));
    expect(checkCompatibility(avroCompatibility, "BACKWARD", added, [{ version: 1, spec: v2 }]).issues).toMatchObject([
      { type: "READER_FIELD_MISSING_DEFAULT_VALUE", path: "/fields/1", direction: "backward" },
    ]);
    expect(checkCompatibility(avroCompatibility, "FORWARD", added, [{ version: 1, spec: v2 }]).isCompatible).toBe(true);
    // Removing a field without a default is the reverse.
    expect(checkCompatibility(avroCompatibility, "FORWARD", v2, [{ version: 1, spec: added }]).issues).toMatchObject([
      { type: "READER_FIELD_MISSING_DEFAULT_VALUE", path: "/fields/1", direction: "forward" },
    ]);
    expect(checkCompatibility(avroCompatibility, "BACKWARD", v2, [{ version: 1, spec: added }]).isCompatible).toBe(
      true,
    );
  });

  test("a 500-field record against 100 versions at FULL_TRANSITIVE is compatible", () => {
    const wide = (n: number) =>
      avro(
        record(
          Array.from({ length: n }, (_, i) =>
            field(`f${i}`, i % 2 ? "string" : ["null", "long"], i >= 400 ? { default: i % 2 ? "" : null } : {}),
          ),
        ),
      );
    const versions = Array.from({ length: 100 }, (_, i) => ({ version: i + 1, spec: wide(400 + i) }));
    const candidate = wide(500);
    // Its speed (about 40 ms warm on a quiet two-core machine) is measured by npm run bench:registry,
    // not asserted here: a test asserts behaviour, never timings.
    expect(checkCompatibility(avroCompatibility, "FULL_TRANSITIVE", candidate, versions).isCompatible).toBe(true);
  });
});

describe("confluent-bdd conformance features (Apache-2.0): every Avro compatibility scenario", () => {
  const files = [
    "compatibility_avro.feature",
    "avro_compatibility_exhaustive.feature",
    "compatibility_transitive.feature",
    "compatibility_transitive_chain.feature",
    "modeling_avro_compatibility.feature",
  ];
  const outcomes: ScenarioOutcome[] = files.flatMap((file) =>
    readScenarios(file).map((scenario) => runScenario(avroCompatibility, "AVRO", scenario)),
  );
  const run = outcomes.filter((o) => !o.skipped);

  test.each(run.map((o) => [`${o.scenario.file}: ${o.scenario.name}`, o] as const))("%s", (_, outcome) => {
    expect(outcome.failures).toEqual([]);
  });

  test("what is skipped is not an Avro compatibility question, and the counts hold", () => {
    const skipped = outcomes.filter((o) => o.skipped).map((o) => `${o.scenario.file}: ${o.skipped}`);
    // compatibility_transitive.feature also covers JSON Schema and Protobuf (their engines' tests run those).
    expect(new Set(skipped)).toEqual(
      new Set([
        'compatibility_avro.feature: step outside compatibility: "I set the global mode to "READONLY""',
        "compatibility_transitive.feature: a JSON schema",
        "compatibility_transitive.feature: a PROTOBUF schema",
      ]),
    );
    expect(skipped.filter((s) => s.includes("READONLY"))).toHaveLength(1);
    expect(run.length).toBe(148);
    expect(run.reduce((sum, o) => sum + o.cases, 0)).toBe(357);
  });
});

test(`avsc's resolver agrees on every same-named pair of Avro schemas from the features, \
except namespace-only differences`, () => {
  const files = [
    "compatibility_avro",
    "avro_compatibility_exhaustive",
    "compatibility_transitive",
    "compatibility_transitive_chain",
    "modeling_avro_compatibility",
  ];
  const texts = new Set(fixtures.avro.map((a) => a.schema));
  for (const file of files) {
    const parts = readFileSync(`${FEATURES_DIR}/${file}.feature`, "utf8").split('"""');
    for (let i = 1; i < parts.length; i += 2) texts.add(parts[i]!.trim());
  }
  const schemas = [...texts].flatMap((text) => {
    const result = validateSpecification("AVRO", text);
    if (!result.ok || result.parsed.format !== "AVRO") return [];
    const top = result.parsed.schema;
    return [{ text, parsed: result.parsed, key: `${top.type}:${"name" in top ? top.name.split(".").pop() : ""}` }];
  });
  // avsc matches named types by full name; Avro Java (and so Confluent, and this engine) by the
  // unqualified name. Without namespaces the two must agree.
  const unqualify = (node: unknown): unknown => {
    if (typeof node === "string") return node.split(".").pop(); // a type name
    if (Array.isArray(node)) return node.map(unqualify); // a union
    if (typeof node !== "object" || node === null) return node;
    const { namespace: _, ...rest } = node as Record<string, unknown>;
    const names = (value: unknown) => (value as string[]).map((name) => name.split(".").pop());
    // Fields, like types, have a name and a type; defaults and symbols stay as they are.
    return Object.fromEntries(
      Object.entries(rest).map(([k, v]) => [
        k,
        ["name", "type", "items", "values"].includes(k)
          ? unqualify(v)
          : k === "fields"
            ? (v as unknown[]).map(unqualify)
            : k === "aliases"
              ? names(v)
              : v,
      ]),
    );
  };
  const avscReads = (reader: unknown, writer: unknown) => {
    try {
      avsc.Type.forSchema(reader as avsc.Schema, { wrapUnions: true }).createResolver(
        avsc.Type.forSchema(writer as avsc.Schema, { wrapUnions: true }),
      );
      return true;
    } catch {
      return false;
    }
  };
  let pairs = 0;
  let namespaceOnly = 0;
  const disagreements: unknown[] = [];
  for (const reader of schemas) {
    for (const writer of schemas) {
      if (reader.key !== writer.key) continue;
      pairs++;
      const ours = avroCompatibility.canRead(reader.parsed, writer.parsed).length === 0;
      if (ours === avscReads(JSON.parse(reader.text), JSON.parse(writer.text))) continue;
      if (ours && avscReads(unqualify(JSON.parse(reader.text)), unqualify(JSON.parse(writer.text)))) namespaceOnly++;
      else disagreements.push({ reader: reader.text, writer: writer.text, ours });
    }
  }
  expect(disagreements).toEqual([]);
  expect(pairs).toBeGreaterThan(4000);
  expect(namespaceOnly).toBeLessThan(pairs / 50);
});
