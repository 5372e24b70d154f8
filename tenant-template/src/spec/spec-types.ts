/** The result types shared by every specification format. */
import type { ParsedAvroSpec } from "./avro-spec.ts";
import type { ParsedJsonSchemaSpec } from "./json-schema-spec.ts";
import type { ParsedProtobufSpec } from "./protobuf-spec.ts";

/** The formats a schema version may declare, spelled as Confluent's `schemaType`. */
export type SpecFormat = "JSON" | "AVRO" | "PROTOBUF";

/** One reason a specification is invalid, and where. */
export interface SpecError {
  /** Where: a JSON pointer (JSON Schema, Avro), "" for the whole document, or a .proto line / message path. */
  path: string;
  message: string;
  /** 1-based, when the failure has a position in the text (malformed JSON, .proto syntax). */
  line?: number;
  column?: number;
}

/** A valid specification in its parsed form, kept for compatibility checks. */
export type ParsedSpec = ParsedJsonSchemaSpec | ParsedAvroSpec | ParsedProtobufSpec;

export type SpecResult<T = ParsedSpec> = { ok: true; parsed: T } | { ok: false; errors: SpecError[] };
