/**
 * Fast Node unit tests of the specification validators: every error path with where it points,
 * and the Avro parser's verdicts against avsc's (which Node can run: it allows `new Function`).
 * The same cases run inside workerd in spec-in-workerd.test.ts.
 */
import avro from "avsc";
import { describe, expect, test } from "vitest";
import { validateSpecification } from "../../../tenant-template/src/spec/validate-specification.ts";
import fixtures from "./fixtures/confluent-bdd.json" with { type: "json" };
import { invalidCases, validCases } from "./spec-cases.ts";

describe("invalid specifications say where they fail", () => {
  test.each(invalidCases)("$format: $name", ({ format, text, error }) => {
    const result = validateSpecification(format, text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject(error);
    expect(result.errors[0]?.message.length).toBeGreaterThan(0);
  });
});

describe("valid specifications parse into a reusable form", () => {
  test.each(validCases)("$format: $name", ({ format, text }) => {
    const result = validateSpecification(format, text);
    expect(result.ok ? "ok" : result.errors).toBe("ok");
  });

  test("an Avro record's parsed graph keeps names, namespaces, defaults and recursion", () => {
    const result = validateSpecification(
      "AVRO",
      validCases.find((c) => c.name === "record with every kind of type")!.text,
    );
    if (!result.ok || result.parsed.format !== "AVRO") throw new Error("expected a parsed Avro spec");
    const { schema, namedTypes } = result.parsed;
    expect([...namedTypes.keys()]).toEqual(["shop.v1.Order", "shop.v1.Status", "shop.v1.Line", "shop.crypto.Digest"]);
    if (schema.type !== "record") throw new Error("expected a record");
    const parent = schema.fields.find((f) => f.name === "parent")!;
    // A reference is the definition itself, so compatibility checks can walk recursive types.
    expect(parent.type.type === "union" && parent.type.branches[1]).toBe(schema);
    expect(schema.fields.find((f) => f.name === "amount")!.type).toEqual({
      type: "bytes",
      logicalType: { name: "decimal", precision: 10, scale: 2 },
    });
    expect(schema.fields.find((f) => f.name === "note")).toMatchObject({ hasDefault: true, default: null });
  });

  test("a JSON Schema's compiled validator validates data", () => {
    const result = validateSpecification("JSON", validCases[0]!.text);
    if (!result.ok || result.parsed.format !== "JSON") throw new Error("expected a parsed JSON Schema");
    expect(result.parsed.validator.validate({ id: "abc" }).valid).toBe(true);
    expect(result.parsed.validator.validate({ id: "ABC" }).valid).toBe(false);
  });

  test("an unknown format is an error, not an exception", () => {
    expect(validateSpecification("XML" as "JSON", "<a/>")).toMatchObject({ ok: false });
  });
});

describe("real-world specifications (confluent-bdd conformance data)", () => {
  test("every JSON Schema of the draft-07 and 2020-12 diff vectors is valid", () => {
    const failures = [...fixtures.jsonSchemaDraft07, ...fixtures.jsonSchemaDraft2020].flatMap((text) => {
      const result = validateSpecification("JSON", text);
      return result.ok ? [] : [{ text, errors: result.errors }];
    });
    expect(failures).toEqual([]);
  });

  test("every Protobuf of the diff vectors is valid, except those importing files that need schema references", () => {
    const failures = fixtures.protobuf.flatMap((text) => {
      const result = validateSpecification("PROTOBUF", text);
      return result.ok ? [] : [{ text, errors: result.errors }];
    });
    expect(
      failures.every((f) => f.errors[0]?.message.includes("neither a well-known type nor a schema reference")),
    ).toBe(true);
    expect(failures.length).toBeLessThan(fixtures.protobuf.length / 5);
  });

  test("the Avro parser agrees with avsc on every Avro schema of the feature files and every hand-written case", () => {
    const avroCases = [
      ...fixtures.avro.map((a) => a.schema),
      ...validCases.filter((c) => c.format === "AVRO").map((c) => c.text),
      // The depth and size limits are ours, not avsc's: leave them out of the comparison.
      ...invalidCases.filter((c) => c.format === "AVRO" && !c.name.includes("limit")).map((c) => c.text),
    ];
    const disagreements = avroCases.flatMap((text) => {
      const ours = validateSpecification("AVRO", text).ok;
      let theirs = true;
      try {
        avro.Type.forSchema(JSON.parse(text));
      } catch {
        theirs = false;
      }
      return ours === theirs ? [] : [{ text, ours, avsc: theirs }];
    });
    expect(disagreements).toEqual([]);
  });
});
