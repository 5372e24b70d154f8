/**
 * JSON Schema specifications: the document must be valid against its draft's meta-schema (ajv's
 * own meta-schema validators, compiled ahead of time because workerd forbids `new Function`), its
 * regular expressions must compile and its local `$ref`s must resolve. The compiled form is an
 * @cfworker/json-schema Validator: an interpreter, so it can validate data inside workerd.
 */
import { Validator, type Schema } from "@cfworker/json-schema";
import {
  validateDraft07,
  validateDraft201909,
  validateDraft202012,
  type MetaSchemaError,
  type MetaSchemaValidator,
} from "./generated/json-schema-meta-validators.js";
import { checkSpecLimits, parseJson, pointer } from "./spec-limits.ts";
import type { SpecError, SpecResult } from "./spec-types.ts";

export type JsonSchemaDraft = "draft-07" | "2019-09" | "2020-12";

export interface ParsedJsonSchemaSpec {
  format: "JSON";
  draft: JsonSchemaDraft;
  /** The schema document as parsed (an object or a boolean). */
  schema: Record<string, unknown> | boolean;
  /** Validates data against the schema, inside workerd (no code generation). */
  validator: Validator;
  /** `$ref`s to other documents: Confluent schema references, resolved later (issue 4). */
  externalRefs: string[];
}

const DRAFTS: Record<JsonSchemaDraft, { meta: MetaSchemaValidator; cfworker: "7" | "2019-09" | "2020-12" }> = {
  "draft-07": { meta: validateDraft07, cfworker: "7" },
  "2019-09": { meta: validateDraft201909, cfworker: "2019-09" },
  "2020-12": { meta: validateDraft202012, cfworker: "2020-12" },
};

// Keys are $schema URIs without the trailing "#" (both spellings occur in the wild).
const SCHEMA_URIS: Record<string, JsonSchemaDraft> = {
  "http://json-schema.org/draft-07/schema": "draft-07",
  "https://json-schema.org/draft-07/schema": "draft-07",
  "https://json-schema.org/draft/2019-09/schema": "2019-09",
  "https://json-schema.org/draft/2020-12/schema": "2020-12",
};

// Values under these keywords are data, not subschemas: a "pattern" or "$ref" inside them means nothing.
const DATA_KEYWORDS = new Set(["const", "enum", "default", "examples"]);

/**
 * Validates a JSON Schema specification. With no `$schema` the draft is draft-07, as Confluent
 * assumes.
 *
 * @example
 *   validateJsonSchemaSpec('{"type":"object","properties":{"a":{"type":"strin"}}}');
 *   // { ok: false, errors: [{
 *   //   path: "/properties/a/type",
 *   //   message: "must be equal to one of the allowed values: array, boolean, integer, null, number, object, string",
 *   // }] }
 */
export function validateJsonSchemaSpec(text: string): SpecResult<ParsedJsonSchemaSpec> {
  const limits = checkSpecLimits(text, "json");
  if (limits.length > 0) return { ok: false, errors: limits };
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const schema = parsed.value;
  if (typeof schema !== "boolean" && !isObject(schema)) {
    return { ok: false, errors: [{ path: "", message: "a JSON Schema must be an object or a boolean" }] };
  }

  let draft: JsonSchemaDraft = "draft-07";
  if (isObject(schema) && schema.$schema !== undefined) {
    const uri = typeof schema.$schema === "string" ? schema.$schema.replace(/#$/, "") : undefined;
    const known = uri === undefined ? undefined : SCHEMA_URIS[uri];
    if (!known) {
      return {
        ok: false,
        errors: [
          {
            path: "/$schema",
            message: `unsupported $schema ${JSON.stringify(schema.$schema)}: use draft-07, 2019-09 or 2020-12`,
          },
        ],
      };
    }
    draft = known;
  }

  const { meta, cfworker } = DRAFTS[draft];
  if (!meta(schema)) return { ok: false, errors: metaErrors(meta.errors ?? []) };

  const externalRefs: string[] = [];
  const errors = typeof schema === "boolean" ? [] : checkCompilable(schema, externalRefs);
  if (errors.length > 0) return { ok: false, errors };

  let validator: Validator;
  try {
    validator = new Validator(schema as Schema | boolean as Schema, cfworker, false);
  } catch (error) {
    return {
      ok: false,
      errors: [{ path: "", message: `cannot compile: ${error instanceof Error ? error.message : String(error)}` }],
    };
  }
  return { ok: true, parsed: { format: "JSON", draft, schema, validator, externalRefs } };
}

/**
 * ajv reports every failed branch (with allErrors, a bad `type` gives "must be equal to one of
 * the allowed values", "must be array" and "must match a schema in anyOf"). One message per
 * location, the first and most specific, is what a person can act on.
 */
function metaErrors(errors: readonly MetaSchemaError[]): SpecError[] {
  const byPath = new Map<string, SpecError>();
  for (const error of errors) {
    if (byPath.has(error.instancePath)) continue;
    const allowed = Array.isArray(error.params.allowedValues) ? `: ${error.params.allowedValues.join(", ")}` : "";
    byPath.set(error.instancePath, {
      path: error.instancePath,
      message: `${error.message ?? error.keyword}${allowed}`,
    });
  }
  return [...byPath.values()];
}

/**
 * What ajv's compile step would refuse beyond the meta-schema: regexes that do not compile, local
 * `$ref`s that point nowhere.
 */
function checkCompilable(root: Record<string, unknown>, externalRefs: string[]): SpecError[] {
  const errors: SpecError[] = [];
  const anchors = new Set<string>();
  const refs: Array<{ ref: string; path: string }> = [];

  const walk = (node: unknown, path: Array<string | number>, rebased: boolean): void => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => {
        walk(item, [...path, index], rebased);
      });
      return;
    }
    if (!isObject(node)) return;
    // A nested $id starts a new base URI: its local refs are relative to it, which the simple
    // pointer check below does not model, so they are left to the validator.
    const nestedId = path.length > 0 && typeof node.$id === "string" && !node.$id.startsWith("#");
    const base = rebased || nestedId;
    if (typeof node.$anchor === "string") anchors.add(node.$anchor);
    if (typeof node.$id === "string" && node.$id.startsWith("#")) anchors.add(node.$id.slice(1));
    if (typeof node.$ref === "string") {
      if (!node.$ref.startsWith("#")) externalRefs.push(node.$ref);
      else if (!base) refs.push({ ref: node.$ref, path: pointer([...path, "$ref"]) });
    }
    if (typeof node.pattern === "string") checkRegex(node.pattern, pointer([...path, "pattern"]), errors);
    if (isObject(node.patternProperties)) {
      for (const key of Object.keys(node.patternProperties))
        checkRegex(key, pointer([...path, "patternProperties", key]), errors);
    }
    for (const [key, value] of Object.entries(node)) {
      if (!DATA_KEYWORDS.has(key)) walk(value, [...path, key], base);
    }
  };
  walk(root, [], false);

  for (const { ref, path } of refs) {
    const fragment = decodeURIComponent(ref.slice(1));
    const found =
      fragment === "" ||
      (fragment.startsWith("/") ? resolvePointer(root, fragment) !== undefined : anchors.has(fragment));
    if (!found) errors.push({ path, message: `cannot resolve $ref ${JSON.stringify(ref)}` });
  }
  return errors;
}

function checkRegex(source: string, path: string, errors: SpecError[]): void {
  try {
    // The "u" flag: JSON Schema regexes are ECMA-262 with Unicode, as ajv compiles them.
    new RegExp(source, "u");
  } catch (error) {
    errors.push({
      path,
      message: `invalid regular expression: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

function resolvePointer(root: unknown, fragment: string): unknown {
  let node: unknown = root;
  for (const raw of fragment.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObject(node)) node = Object.hasOwn(node, key) ? node[key] : undefined;
    else return undefined;
  }
  return node;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
