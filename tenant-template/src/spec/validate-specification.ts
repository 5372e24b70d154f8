/**
 * One entry point for every specification format a schema version may declare.
 */
import { validateAvroSpec } from "./avro-spec.ts";
import { validateJsonSchemaSpec } from "./json-schema-spec.ts";
import { validateProtobufSpec } from "./protobuf-spec.ts";
import type { SpecFormat, SpecResult } from "./spec-types.ts";

export type { ParsedSpec, SpecError, SpecFormat, SpecResult } from "./spec-types.ts";
export type { ParsedAvroSpec } from "./avro-spec.ts";
export type { ParsedJsonSchemaSpec } from "./json-schema-spec.ts";
export type { ParsedProtobufSpec } from "./protobuf-spec.ts";

/**
 * Validates `text` as the format it declares. Never throws: a library failure on hostile input is
 * reported as an error on the whole document, so a caller can always answer 422, never 500.
 * `protobufDependencies` resolves a .proto's imports (file name -> text), for schema references.
 *
 * @example
 *   const result = validateSpecification(
 *     "AVRO",
 *     '{"type":"record","name":"R","fields":[{"name":"a","type":"strng"}]}',
 *   );
 *   if (!result.ok) result.errors; // [{ path: "/fields/0/type", message: 'unknown type "strng"' }]
 *   else result.parsed.format;     // "AVRO", with the parsed schema for compatibility checks
 */
export function validateSpecification(
  format: SpecFormat,
  text: string,
  protobufDependencies?: ReadonlyMap<string, string>,
): SpecResult {
  try {
    switch (format) {
      case "JSON":
        return validateJsonSchemaSpec(text);
      case "AVRO":
        return validateAvroSpec(text);
      case "PROTOBUF":
        return validateProtobufSpec(text, protobufDependencies);
      default:
        return {
          ok: false,
          errors: [{ path: "", message: `unknown format ${JSON.stringify(format satisfies never)}` }],
        };
    }
  } catch (error) {
    // RangeError (stack) or a library bug: the input is refused, the Worker keeps serving.
    return {
      ok: false,
      errors: [
        {
          path: "",
          message: `specification could not be processed: ${error instanceof Error ? error.message : String(error)}`,
        },
      ],
    };
  }
}
