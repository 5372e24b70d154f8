/**
 * The Confluent API's request schemas (tenant-template/src/confluent/confluent-input.ts) answer
 * each problem with the `error_code` and message Confluent's clients get (docs/confluent-api.md,
 * "Endpoints"), through the route layer's hook (confluent-route.ts `confluentHook`): the first
 * problem wins, in the order the checks read the request. The expected answers are written out
 * here, from the docs and the hand-written checks these schemas replaced. The schemas run in
 * workerd, built as the template is (confluent-input.worker.ts).
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKER_BUILD_OPTIONS } from "../../../contracts/worker-build-options.ts";

const ENTRY = fileURLToPath(new URL("./confluent-input.worker.ts", import.meta.url));
let mf: Miniflare | undefined;

beforeAll(async () => {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [ENTRY] });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error("esbuild produced no bundle");
  mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-06-01" });
});
afterAll(async () => {
  await mf?.dispose();
});

/** What the API answers for `value` read as `schema`: `{error_code, message}`, or `{valid}`, the value as validated. */
async function answer(schema: string, value: unknown): Promise<unknown> {
  const res = await mf!.dispatchFetch("http://input/", { method: "POST", body: JSON.stringify([{ schema, value }]) });
  return ((await res.json()) as unknown[])[0];
}

const AVRO = '{"type":"string"}';
const rules = (group: string, ...list: unknown[]) => ({ schema: AVRO, ruleSet: { [group]: list } });

describe("a schema body (register, compatibility)", () => {
  it.each([
    [{}, 42201, "Empty schema: send the schema text in `schema`."],
    [{ schema: "  " }, 42201, "Empty schema: send the schema text in `schema`."],
    [{ schema: 5 }, 42201, "Empty schema: send the schema text in `schema`."],
    [{ schema: AVRO, schemaType: "avro" }, 42201, 'Invalid schema type "avro": expected one of AVRO, JSON, PROTOBUF.'],
    // The type is read before the text.
    [{ schema: "", schemaType: 7 }, 42201, "Invalid schema type 7: expected one of AVRO, JSON, PROTOBUF."],
    [{ schema: "x".repeat(262_145) }, 42209, "Schema is 262145 bytes, over the limit of 262144 bytes."],
    [{ schema: AVRO, references: {} }, 42201, "Invalid schema: `references` must be an array."],
    [
      {
        schema: AVRO,
        references: Array.from({ length: 101 }, (_, i) => ({ name: `n${i}`, subject: "s", version: 1 })),
      },
      42201,
      "Invalid schema: more than 100 references.",
    ],
    [
      { schema: AVRO, references: [{ name: "a", version: 1 }] },
      42201,
      "Invalid schema: each reference needs a name, a subject and a version.",
    ],
    [
      { schema: AVRO, references: ["a"] },
      42201,
      "Invalid schema: each reference needs a name, a subject and a version.",
    ],
    [
      { schema: AVRO, references: [{ name: "a", subject: "s", version: 0 }] },
      42201,
      'Invalid schema: reference "a" has an invalid version.',
    ],
    [
      { schema: AVRO, references: [{ name: "a", subject: "s", version: "2" }] },
      42201,
      'Invalid schema: reference "a" has an invalid version.',
    ],
    [{ schema: AVRO, metadata: [] }, 42201, "Invalid schema: `metadata` must be an object."],
    [{ schema: AVRO, ruleSet: "x" }, 42201, "Invalid schema: `ruleSet` must be an object."],
    [rules("domainRules", {}), 42201, "Invalid rule set: every rule of domainRules needs a name."],
    [{ schema: AVRO, ruleSet: { domainRules: {} } }, 42201, "Invalid rule set: domainRules must be an array."],
    [rules("domainRules", { name: "r" }, { name: "r" }), 42201, 'Invalid rule set: duplicate rule name "r".'],
    [rules("domainRules", { name: "r", kind: "X" }), 42201, 'Invalid rule "r": kind must be TRANSFORM or CONDITION.'],
    [
      rules("domainRules", { name: "r", mode: "UPGRADE" }),
      42201,
      'Invalid rule "r": mode "UPGRADE" is not one of WRITE, READ, WRITEREAD for domainRules.',
    ],
    [
      rules("migrationRules", { name: "r", mode: "WRITE" }),
      42201,
      'Invalid rule "r": mode "WRITE" is not one of UPGRADE, DOWNGRADE, UPDOWN for migrationRules.',
    ],
    [
      rules("encodingRules", { name: "r", onFailure: "RETRY" }),
      42201,
      'Invalid rule "r": onFailure "RETRY" is not NONE, DLQ or ERROR.',
    ],
    [rules("domainRules", { name: "r", type: "" }), 42201, 'Invalid rule "r": type must be a non-empty string.'],
    [{ schema: AVRO, id: -1 }, 42201, "Invalid id -1."],
    [{ schema: AVRO, id: 1.5 }, 42201, "Invalid id 1.5."],
    [{ schema: AVRO, id: "3" }, 42201, 'Invalid id "3".'],
    [{ schema: AVRO, version: 2 ** 31 }, 42201, "Invalid version 2147483648."],
  ])("%j is %d: %s", async (body, code, message) => {
    expect(await answer("schemaBody", body)).toEqual({ error_code: code, message });
  });

  it("reads a valid body: AVRO by default, references with `latest` as -1, an id of 0 as none", async () => {
    expect(
      await answer("schemaBody", {
        schema: AVRO,
        references: [
          { name: "a", subject: "s", version: "latest" },
          { name: "b", subject: "t" },
          { name: "c", subject: "u", version: 3 },
        ],
        id: 0,
        metadata: null,
        ruleSet: { domainRules: [{ name: "r", kind: "CONDITION", mode: "WRITEREAD", onFailure: "DLQ,ERROR" }] },
      }),
    ).toEqual({
      valid: {
        schemaType: "AVRO",
        schema: AVRO,
        references: [
          { name: "a", subject: "s", version: -1 },
          { name: "b", subject: "t", version: -1 },
          { name: "c", subject: "u", version: 3 },
        ],
        metadata: null,
        ruleSet: { domainRules: [{ name: "r", kind: "CONDITION", mode: "WRITEREAD", onFailure: "DLQ,ERROR" }] },
      },
    });
  });
});

describe("a lookup body", () => {
  it("looks up no schema at all as a schema not found (40403); a huge one is still 42209", async () => {
    expect(await answer("lookupBody", { schema: "" })).toEqual({ error_code: 40403, message: "Schema not found" });
    expect(await answer("lookupBody", {})).toEqual({ error_code: 40403, message: "Schema not found" });
    expect(await answer("lookupBody", { schema: "x".repeat(262_145) })).toMatchObject({ error_code: 42209 });
    expect(await answer("lookupBody", { schema: AVRO, schemaType: "XML" })).toMatchObject({ error_code: 42201 });
  });
});

describe("a config body", () => {
  const invalidLevel =
    "Invalid compatibility level. Valid values are none, backward, forward, full, " +
    "backward_transitive, forward_transitive, and full_transitive";
  it.each([
    [{ compatibility: "SIDEWAYS" }, 42203, invalidLevel],
    [{ compatibility: 5 }, 42203, invalidLevel],
    [{ compatibilityLevel: "nope" }, 42203, invalidLevel],
    [{ defaultRuleSet: 5 }, 42201, "Invalid schema: `ruleSet` must be an object."],
    [
      { overrideRuleSet: { domainRules: [{ name: "r", kind: "BAD" }] } },
      42201,
      'Invalid rule "r": kind must be TRANSFORM or CONDITION.',
    ],
  ])("%j is %d: %s", async (body, code, message) => {
    expect(await answer("configBody", body)).toEqual({ error_code: code, message });
  });

  it("takes any case, compatibilityLevel too, and leaves the other fields as sent (null removes one)", async () => {
    expect(await answer("configBody", { compatibility: "full_transitive", alias: "", defaultMetadata: null })).toEqual({
      valid: { compatibility: "full_transitive", alias: "", defaultMetadata: null },
    });
    expect(await answer("configBody", { compatibilityLevel: "none", compatibility: null })).toEqual({
      valid: { compatibilityLevel: "none", compatibility: null },
    });
  });
});

describe("a mode body", () => {
  const valid = "Valid values are: READWRITE, READONLY, READONLY_OVERRIDE, IMPORT";
  it.each([
    [{ mode: "sideways" }, `Invalid mode "sideways". ${valid}`],
    [{ mode: null }, `Invalid mode null. ${valid}`],
    [{ mode: 5 }, `Invalid mode 5. ${valid}`],
  ])("%j is 42204", async (body, message) => {
    expect(await answer("modeBody", body)).toEqual({ error_code: 42204, message });
  });
  it("takes any case, and no mode at all", async () => {
    expect(await answer("modeBody", { mode: "readOnly" })).toEqual({ valid: { mode: "readOnly" } });
    expect(await answer("modeBody", {})).toEqual({ valid: {} });
  });
});

describe("path parameters", () => {
  const invalidVersion = (raw: string) =>
    `The specified version '${raw}' is not a valid version id. ` +
    `Allowed values are between [1, 2^31-1] and the string "latest"`;
  const atRoot = "subjectVersionParams at the root";
  const inContext = "subjectParams in a context";

  it.each([
    [
      atRoot,
      { subject: "a\u0000b", version: "x" },
      42208,
      "The specified subject contains the control character U+0000.",
    ],
    ["subjectParams at the root", { subject: "__GLOBAL" }, 42208, "The specified subject is reserved."],
    [atRoot, { subject: "orders", version: "0" }, 42202, invalidVersion("0")],
    [atRoot, { subject: "orders", version: "2147483648" }, 42202, invalidVersion("2147483648")],
    [atRoot, { subject: ":.bad!:x", version: "1" }, 42210, "Invalid context name 'bad!'."],
    [
      atRoot,
      { subject: ":.__GLOBAL:x", version: "nope" },
      400,
      "The __GLOBAL context holds only config and mode: it has no subjects or schemas.",
    ],
    [
      inContext,
      { context: ".bad!", subject: "x" },
      42210,
      "Invalid context name '.bad!': use letters, digits, '.', '_' and '-'.",
    ],
    // The subject is read before the URL's context.
    [inContext, { context: ".bad!", subject: "" }, 42208, "The specified subject must not be empty."],
    [
      inContext,
      { context: ".__GLOBAL", subject: "x" },
      400,
      "The __GLOBAL context holds only config and mode: it has no subjects or schemas.",
    ],
    ["settingsParams in a context", { context: ".", subject: ":.bad!:" }, 42210, "Invalid context name 'bad!'."],
    [
      "settingsParams in a context",
      { context: "bad!", subject: ":.ok:" },
      42210,
      "Invalid context name 'bad!': use letters, digits, '.', '_' and '-'.",
    ],
    ["idParams in a context", { context: ".", id: "abc" }, 40403, "Schema not found"],
    ["idParams in a context", { context: ".", id: "12345678901" }, 40403, "Schema not found"],
  ])("%s: %j is %d", async (schema, params, code, message) => {
    expect(await answer(schema, params)).toEqual({ error_code: code, message });
  });

  it("accepts what names a subject, a version, a level or an id", async () => {
    expect(await answer(atRoot, { subject: "orders-value", version: "latest" })).toHaveProperty("valid");
    expect(await answer(atRoot, { subject: ":.ctx:orders", version: "-1" })).toHaveProperty("valid");
    expect(await answer(inContext, { context: ":.:", subject: "orders" })).toEqual({
      valid: { context: ":.:", subject: "orders" },
    });
    expect(await answer("settingsParams in a context", { context: ".team", subject: ":.__GLOBAL:" })).toHaveProperty(
      "valid",
    );
    expect(await answer("idParams in a context", { context: ".team", id: "42" })).toEqual({
      valid: { context: ".team", id: "42" },
    });
  });
});
