/**
 * The Protobuf compatibility engine against Confluent's own diff vectors
 * (../shared/conformance/confluent-bdd/testdata/protobuf-diff-schema-examples.json, from Confluent
 * Schema Registry 8.1.1's diff-schema-examples.json), the Protobuf scenarios of the same suite's
 * compatibility features played on an in-memory model of a registry, and checkCompatibility at
 * every level over a small version chain.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Enum, parse, Root, Type, type Namespace } from "protobufjs";
import { describe, expect, test } from "vitest";
import {
  checkCompatibility,
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
} from "../../../tenant-template/src/compat/compatibility.ts";
import {
  diffProtobufSchemas,
  protobufCompatibility,
} from "../../../tenant-template/src/compat/protobuf-compatibility.ts";
import type { ParsedProtobufSpec } from "../../../tenant-template/src/spec/protobuf-spec.ts";
import { validateSpecification } from "../../../tenant-template/src/spec/validate-specification.ts";

const BDD = fileURLToPath(new URL("../../../../shared/conformance/confluent-bdd/", import.meta.url));

interface Dependency {
  name: string;
  dependency: string;
}

interface Vector {
  description: string;
  original_schema: string;
  update_schema: string;
  original_dependencies?: Dependency[];
  update_dependencies?: Dependency[];
  original_metadata?: { properties?: Record<string, string> };
  update_metadata?: { properties?: Record<string, string> };
  changes: string[];
  compatible: boolean;
}

/** Vectors our engine answers differently from Confluent, each with the reason. None so far. */
const KNOWN_DIFFERENCES: ReadonlyMap<string, string> = new Map();

function parsed(text: string): ParsedProtobufSpec {
  const result = validateSpecification("PROTOBUF", text);
  if (!result.ok) throw new Error(`invalid .proto: ${JSON.stringify(result.errors)}`);
  if (result.parsed.format !== "PROTOBUF") throw new Error("not a PROTOBUF spec");
  return result.parsed;
}

/**
 * A schema with its references parsed into the same root, as the registry will do once references
 * exist (validateProtobufSpec refuses imports until then). Each dependency's types carry its
 * import name in protobufjs's `filename`, as Root.load would set it.
 */
function parsedWithDependencies(text: string, dependencies: readonly Dependency[]): ParsedProtobufSpec {
  if (dependencies.length === 0) return parsed(text);
  const root = new Root();
  for (const { name, dependency } of dependencies) {
    parse(dependency, root, { keepCase: true });
    tagFile(root, name);
  }
  const main = parse(text, root, { keepCase: true });
  root.resolveAll();
  return {
    format: "PROTOBUF",
    syntax: /syntax\s*=\s*"proto2"/.test(text) ? "proto2" : "proto3",
    ...(main.package ? { package: main.package } : {}),
    imports: main.imports ?? [],
    root,
  };
}

function tagFile(namespace: Namespace, filename: string): void {
  for (const nested of namespace.nestedArray) {
    if ((nested instanceof Type || nested instanceof Enum) && nested.filename == null) nested.filename = filename;
    if ("nestedArray" in nested) tagFile(nested as Namespace, filename);
  }
}

const vectorsFile = `${BDD}testdata/protobuf-diff-schema-examples.json`;
const vectors: Vector[] = existsSync(vectorsFile) ? (JSON.parse(readFileSync(vectorsFile, "utf8")) as Vector[]) : [];

describe("Confluent's Protobuf diff vectors", () => {
  test("are present (CI has ../shared beside the repository)", () => {
    expect(vectors.length).toBe(43);
  });

  vectors.forEach((vector, index) => {
    const title = `${String(index + 1).padStart(2, "0")} ${vector.description}`;
    const skip = KNOWN_DIFFERENCES.get(vector.description);
    (skip ? test.skip : test)(skip ? `${title} — skipped: ${skip}` : title, () => {
      const original = parsedWithDependencies(vector.original_schema, vector.original_dependencies ?? []);
      const update = parsedWithDependencies(vector.update_schema, vector.update_dependencies ?? []);
      const metadata =
        vector.original_metadata || vector.update_metadata
          ? { original: vector.original_metadata, update: vector.update_metadata }
          : undefined;
      const result = diffProtobufSchemas(original, update, metadata);
      const changes = result.differences.map((d) => `${d.type} ${d.path}`);
      // Confluent's order comes from Java hash sets; the set of changes is what the vector states.
      expect({ compatible: result.isCompatible, changes: [...changes].sort() }).toEqual({
        compatible: vector.compatible,
        changes: [...vector.changes].sort(),
      });
    });
  });
});

describe("metadata-reserved fields (confluent:reserved)", () => {
  const v1 = parsed('syntax = "proto3";\nmessage M { string id = 1; }');
  test("a reserved name used as a field of the first message is incompatible", () => {
    const v2 = parsed('syntax = "proto3";\nmessage M { string id = 1; int64 cost = 2; }');
    const reserved = { properties: { "confluent:reserved": "cost, status" } };
    const result = diffProtobufSchemas(v1, v2, { original: reserved, update: reserved });
    expect(result.incompatible).toEqual([{ type: "FIELD_CONFLICTS_WITH_RESERVED_FIELD", path: "#/M/2" }]);
  });
  test("a name reserved before may not be dropped from the metadata", () => {
    const result = diffProtobufSchemas(v1, v1, {
      original: { properties: { "confluent:reserved": "cost,status" } },
      update: { properties: { "confluent:reserved": "cost" } },
    });
    expect(result.incompatible).toEqual([{ type: "RESERVED_FIELD_REMOVED", path: "#/status" }]);
  });
});

describe("rules beyond the vectors", () => {
  const diff = (a: string, b: string) =>
    diffProtobufSchemas(parsed(`syntax = "proto3";\n${a}`), parsed(`syntax = "proto3";\n${b}`));

  test.each([
    ["int32", "uint64", true],
    ["int64", "bool", true],
    ["sint32", "sint64", true],
    ["fixed32", "sfixed32", true],
    ["fixed64", "sfixed64", true],
    ["string", "bytes", true],
    ["int32", "sint32", false],
    ["uint32", "fixed32", false],
    ["fixed32", "fixed64", false],
    ["float", "double", false],
    ["string", "int32", false],
  ])("scalar %s -> %s compatible: %s", (from, to, compatible) => {
    expect(diff(`message M { ${from} f = 1; }`, `message M { ${to} f = 1; }`).isCompatible).toBe(compatible);
  });

  test("a field moved into a new oneof with a changed type is caught (Confluent 8.1 skips it)", () => {
    const result = diff("message M { int32 a = 1; }", "message M { oneof o { string a = 1; } }");
    expect(result.incompatible).toEqual([{ type: "FIELD_SCALAR_KIND_CHANGED", path: "#/M/o/1" }]);
  });

  test("a recursive message is compared without looping", () => {
    const result = diff(
      "message Node { Node next = 1; int32 v = 2; }",
      "message Node { Node next = 1; string v = 2; }",
    );
    expect(result.incompatible).toEqual([{ type: "FIELD_SCALAR_KIND_CHANGED", path: "#/Node/2" }]);
  });

  test("a field's number reused with another type breaks, even under a new name", () => {
    const result = diff("message M { int32 code = 2; }", "message M { string label = 2; }");
    expect(result.differences.map((d) => d.type)).toEqual(["FIELD_NAME_CHANGED", "FIELD_SCALAR_KIND_CHANGED"]);
  });

  test("proto2 -> proto3 of the same fields is compatible; a proto2 required field is not optional", () => {
    const proto2 = parsed('syntax = "proto2";\nmessage M { optional string name = 1; required int32 n = 2; }');
    const proto3 = parsed('syntax = "proto3";\nmessage M { string name = 1; int32 n = 2; }');
    expect(diffProtobufSchemas(proto2, proto3).isCompatible).toBe(true);
    const dropped = parsed('syntax = "proto3";\nmessage M { string name = 1; }');
    expect(diffProtobufSchemas(proto2, dropped).incompatible).toEqual([
      { type: "REQUIRED_FIELD_REMOVED", path: "#/M/2" },
    ]);
  });

  test("well-known imports are not part of the file's own types", () => {
    const before = parsed(
      'syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\nmessage M { google.protobuf.Timestamp at = 1; }',
    );
    const after = parsed('syntax = "proto3";\nmessage M { string at = 1; }');
    expect(diffProtobufSchemas(before, after).differences).toEqual([{ type: "FIELD_KIND_CHANGED", path: "#/M/1" }]);
  });

  test("an engine asked about another format answers an issue, not an exception", () => {
    const avro = validateSpecification("AVRO", '"string"');
    if (!avro.ok) throw new Error("avro");
    expect(protobufCompatibility.canRead(parsed("message M {}"), avro.parsed)).toMatchObject([
      { type: "SCHEMA_TYPE_CHANGED" },
    ]);
  });
});

describe("checkCompatibility over a version chain", () => {
  // v1 -> v2 adds a field (compatible both ways); v3 reuses v1's field 2 with another type after v2 removed it.
  const v1 = parsed('syntax = "proto3";\nmessage Order { string id = 1; int32 code = 2; }');
  const v2 = parsed('syntax = "proto3";\nmessage Order { string id = 1; int64 amount = 3; }');
  const v3 = parsed('syntax = "proto3";\nmessage Order { string id = 1; string code = 2; int64 amount = 3; }');
  const existing = [
    { version: 1, spec: v1 },
    { version: 2, spec: v2 },
  ];
  const expected: Record<CompatibilityLevel, boolean> = {
    NONE: true,
    BACKWARD: true,
    FORWARD: true,
    FULL: true,
    // Only the transitive levels see v1, whose field 2 was an int32.
    BACKWARD_TRANSITIVE: false,
    FORWARD_TRANSITIVE: false,
    FULL_TRANSITIVE: false,
  };
  test.each(COMPATIBILITY_LEVELS.map((level) => [level, expected[level]] as const))(
    "v3 at %s: compatible %s",
    (level, compatible) => {
      const result = checkCompatibility(protobufCompatibility, level, v3, existing);
      expect(result.isCompatible).toBe(compatible);
      if (!compatible)
        expect(result.issues[0]).toMatchObject({
          type: "FIELD_SCALAR_KIND_CHANGED",
          path: "#/Order/2",
          againstVersion: 1,
        });
    },
  );

  test("FORWARD: the old schema must read new data, so a message the new schema adds is a removal", () => {
    const withExtra = parsed(
      'syntax = "proto3";\nmessage Order { string id = 1; int32 code = 2; }\nmessage Extra { int32 x = 1; }',
    );
    expect(
      checkCompatibility(protobufCompatibility, "BACKWARD", withExtra, [{ version: 1, spec: v1 }]).isCompatible,
    ).toBe(true);
    const forward = checkCompatibility(protobufCompatibility, "FORWARD", withExtra, [{ version: 1, spec: v1 }]);
    expect(forward.issues).toMatchObject([{ type: "MESSAGE_REMOVED", path: "#/Extra", direction: "forward" }]);
    expect(forward.messages[0]).toContain("MESSAGE_REMOVED");
  });
});

// ---------------------------------------------------------------------------------------------
// The Protobuf compatibility features of the conformance suite, on an in-memory registry model.

interface Step {
  text: string;
  doc?: string;
}

function scenarios(file: string): Array<{ name: string; steps: Step[] }> {
  const out: Array<{ name: string; steps: Step[] }> = [];
  let doc: string[] | undefined;
  for (const raw of readFileSync(`${BDD}features/${file}`, "utf8").split("\n")) {
    const line = raw.trim();
    const steps = out.at(-1)?.steps;
    if (doc) {
      if (line === '"""') {
        const last = steps?.at(-1);
        if (last) last.doc = doc.join("\n");
        doc = undefined;
      } else doc.push(line);
    } else if (line === '"""') doc = [];
    else if (line.startsWith("Scenario:")) out.push({ name: line.slice("Scenario:".length).trim(), steps: [] });
    else if (/^(Given|When|Then|And|But) /.test(line)) steps?.push({ text: line.replace(/^\w+ /, "") });
  }
  return out;
}

/** The steps the model below plays; a scenario with any other step is skipped with that step as the reason. */
const STEPS = {
  audit: /^the audit log should contain/,
  global: /^the global compatibility level is "([A-Z_]+)"$/,
  subjectLevel: /^(?:subject "([^"]+)" has compatibility level|I set the config for subject "([^"]+)" to) "([A-Z_]+)"$/,
  deleteLevel: /^I delete the config for subject "([^"]+)"$/,
  setup:
    /^subject "([^"]+)" has "PROTOBUF" schema(?: with reference "([^"]+)" from subject "([^"]+)" version (\d+))?:$/,
  register: /^I register a "PROTOBUF" schema under subject "([^"]+)":$/,
  check: new RegExp(
    `^I check compatibility of "PROTOBUF" schema` +
      String.raw`(?: with reference "([^"]+)" from subject "([^"]+)" version (\d+))? against subject "([^"]+)":$`,
  ),
  status: /^the response status should be (\d+)$/,
  errorCode: /^the response should have error code (\d+)$/,
  verdict: /^the compatibility check should be (compatible|incompatible)$/,
  // A registration's answer carries the schema id exactly when it succeeded.
  idField: /^the response should have field "id"$/,
} as const;

function unsupportedStep(steps: readonly Step[]): string | undefined {
  return steps.find((step) => !Object.values(STEPS).some((pattern) => pattern.test(step.text)))?.text;
}

/**
 * Plays one scenario: registrations are checked at the subject's level and kept when compatible
 * (an identical text is deduplicated first, as Confluent does; an invalid one answers 422);
 * answers are compared with what the scenario states. Returns the failures.
 */
function play(steps: readonly Step[]): string[] {
  let globalLevel: CompatibilityLevel = "BACKWARD";
  const levels = new Map<string, CompatibilityLevel>();
  const subjects = new Map<string, Array<{ version: number; text: string; spec: ParsedProtobufSpec }>>();
  const failures: string[] = [];
  let status = 0;
  let compatible: boolean | undefined;
  let last = "";
  type Reference = { name: string; subject: string; version: number };
  const level = (subject: string) => levels.get(subject) ?? globalLevel;
  const reference = (name?: string, subject?: string, version?: string): Reference | undefined =>
    name && subject ? { name, subject, version: Number(version) } : undefined;
  const specOf = (text: string, ref?: Reference) => {
    const dependency = ref && subjects.get(ref.subject)?.find((v) => v.version === ref.version)?.text;
    try {
      return parsedWithDependencies(text, ref && dependency ? [{ name: ref.name, dependency }] : []);
    } catch {
      return undefined;
    }
  };
  const register = (subject: string, text: string, ref?: Reference) => {
    const versions = subjects.get(subject) ?? [];
    if (versions.some((v) => v.text === text)) return 200;
    const spec = specOf(text, ref);
    if (!spec) return 422;
    const result = checkCompatibility(protobufCompatibility, level(subject), spec, versions);
    last = result.messages.join("; ");
    if (!result.isCompatible) return 409;
    subjects.set(subject, [...versions, { version: versions.length + 1, text, spec }]);
    return 200;
  };
  for (const { text, doc = "" } of steps) {
    const globalLevelStep = text.match(STEPS.global);
    if (globalLevelStep) {
      globalLevel = globalLevelStep[1] as CompatibilityLevel;
      continue;
    }
    const subjectLevel = text.match(STEPS.subjectLevel);
    if (subjectLevel) {
      levels.set((subjectLevel[1] ?? subjectLevel[2])!, subjectLevel[3] as CompatibilityLevel);
      continue;
    }
    const deleteLevel = text.match(STEPS.deleteLevel);
    if (deleteLevel) {
      levels.delete(deleteLevel[1]!);
      continue;
    }
    const setup = text.match(STEPS.setup);
    if (setup) {
      const got = register(setup[1]!, doc, reference(setup[2], setup[3], setup[4]));
      if (got !== 200) failures.push(`setup registration under ${setup[1]} answered ${got}: ${last}`);
      continue;
    }
    const registration = text.match(STEPS.register);
    if (registration) {
      status = register(registration[1]!, doc);
      continue;
    }
    const check = text.match(STEPS.check);
    if (check) {
      const subject = check[4]!;
      const candidate = specOf(doc, reference(check[1], check[2], check[3]));
      if (!candidate) {
        failures.push("the checked schema is invalid");
        continue;
      }
      // POST /compatibility/subjects/{s}/versions: against the versions the subject's level names.
      const result = checkCompatibility(protobufCompatibility, level(subject), candidate, subjects.get(subject) ?? []);
      compatible = result.isCompatible;
      last = result.messages.join("; ");
      continue;
    }
    const expectedStatus = text.match(STEPS.status);
    if (expectedStatus) {
      if (status !== Number(expectedStatus[1]))
        failures.push(`status ${status}, expected ${expectedStatus[1]} ${last}`);
      continue;
    }
    const errorCode = text.match(STEPS.errorCode);
    if (errorCode) {
      if (status !== Number(errorCode[1])) failures.push(`error code ${status}, expected ${errorCode[1]}`);
      continue;
    }
    if (STEPS.idField.test(text)) {
      if (status !== 200) failures.push(`no id: status ${status} ${last}`);
      continue;
    }
    const verdict = text.match(STEPS.verdict);
    if (verdict && compatible !== (verdict[1] === "compatible"))
      failures.push(`is_compatible ${String(compatible)}, expected ${verdict[1]} ${last}`);
  }
  return failures;
}

/** The features of the suite with Protobuf compatibility scenarios; in the others, only scenarios that use PROTOBUF. */
const FEATURES = [
  "compatibility_protobuf.feature",
  "compatibility_protobuf_diff.feature",
  "compatibility_transitive.feature",
  "compatibility_modes.feature",
  "compatibility_verbose.feature",
  "modeling_protobuf_compatibility.feature",
  "modeling_protobuf_conformance.feature",
  "modeling_protobuf_iot.feature",
  "modeling_protobuf_reference_evolution.feature",
];

for (const file of FEATURES) {
  describe.skipIf(!existsSync(`${BDD}features/${file}`))(file, () => {
    const all = existsSync(`${BDD}features/${file}`) ? scenarios(file) : [];
    for (const { name, steps } of all.filter((s) => s.steps.some((step) => step.text.includes('"PROTOBUF"')))) {
      const unsupported = unsupportedStep(steps);
      if (unsupported) test.skip(`${name} — skipped: a step outside this in-memory model: "${unsupported}"`, () => {});
      else test(name, () => expect(play(steps)).toEqual([]));
    }
  });
}
