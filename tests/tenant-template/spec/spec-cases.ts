/**
 * Hand-written specifications with the error each must produce, shared by the workerd test and
 * the Node unit tests. Valid real-world ones come from fixtures/confluent-bdd.json.
 */
import type { SpecError, SpecFormat } from "../../../tenant-template/src/spec/validate-specification.ts";

export interface InvalidCase {
  name: string;
  format: SpecFormat;
  text: string;
  /** The first error, as a partial match. */
  error: Partial<SpecError>;
}

export interface ValidCase {
  name: string;
  format: SpecFormat;
  text: string;
}

const proto3 = `syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";
message Order {
  string id = 1;
  repeated Line lines = 2;
  map<string, string> labels = 3;
  oneof payment { string card = 4; string invoice = 5; }
  Status status = 6;
  google.protobuf.Timestamp placed_at = 7;
  message Line { string sku = 1; int32 quantity = 2; }
  enum Status { STATUS_UNSPECIFIED = 0; PLACED = 1; }
}
service Orders { rpc Get (Order) returns (Order); }
`;

const proto2 = `syntax = "proto2";
message Legacy {
  required string id = 1;
  optional int32 count = 2 [default = 5];
  extensions 100 to 200;
}
extend Legacy { optional string note = 100; }
`;

export const validCases: ValidCase[] = [
  {
    name: "draft-07 with definitions and $ref",
    format: "JSON",
    text: JSON.stringify({
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      definitions: { id: { type: "string", pattern: "^[a-z]+$" } },
      properties: { id: { $ref: "#/definitions/id" } },
      required: ["id"],
    }),
  },
  {
    name: "2020-12 with $defs, prefixItems and $anchor",
    format: "JSON",
    text: JSON.stringify({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $defs: { n: { $anchor: "num", type: "number" } },
      type: "object",
      properties: { t: { type: "array", prefixItems: [{ $ref: "#num" }] } },
    }),
  },
  { name: "boolean schema", format: "JSON", text: "true" },
  { name: "primitive", format: "AVRO", text: '"string"' },
  {
    name: "record with every kind of type",
    format: "AVRO",
    text: JSON.stringify({
      type: "record",
      name: "Order",
      namespace: "shop.v1",
      fields: [
        { name: "id", type: { type: "string", logicalType: "uuid" } },
        { name: "status", type: { type: "enum", name: "Status", symbols: ["PLACED", "PAID"], default: "PLACED" } },
        {
          name: "lines",
          type: { type: "array", items: { type: "record", name: "Line", fields: [{ name: "sku", type: "string" }] } },
        },
        { name: "labels", type: { type: "map", values: "string" }, default: {} },
        { name: "digest", type: { type: "fixed", name: "Digest", namespace: "shop.crypto", size: 16 } },
        { name: "amount", type: { type: "bytes", logicalType: "decimal", precision: 10, scale: 2 } },
        { name: "placed", type: { type: "long", logicalType: "timestamp-millis" } },
        { name: "note", type: ["null", "string"], default: null },
        { name: "again", type: ["null", "Status", "shop.crypto.Digest"] },
        { name: "parent", type: ["null", "Order"], default: null },
      ],
    }),
  },
  { name: "proto3 with nested types, map, oneof, well-known import and a service", format: "PROTOBUF", text: proto3 },
  { name: "proto2 with required, defaults and extensions", format: "PROTOBUF", text: proto2 },
];

export const invalidCases: InvalidCase[] = [
  {
    name: "malformed JSON Schema says line and column",
    format: "JSON",
    text: '{\n  "type": "object",\n  "properties": {\n    "a": { "type": "string", }\n  }\n}',
    error: { path: "", message: "malformed JSON: PropertyNameExpected", line: 4, column: 30 },
  },
  {
    name: "JSON Schema with an unknown type",
    format: "JSON",
    text: '{"type":"object","properties":{"a":{"type":"strin"}}}',
    error: { path: "/properties/a/type" },
  },
  {
    name: "2020-12 schema with a negative minLength",
    format: "JSON",
    text:
      '{"$schema":"https://json-schema.org/draft/2020-12/schema",' +
      '"properties":{"a":{"prefixItems":[{"minLength":-1}]}}}',
    error: { path: "/properties/a/prefixItems/0/minLength", message: "must be >= 0" },
  },
  {
    name: "JSON Schema with an unresolvable $ref",
    format: "JSON",
    text: '{"properties":{"a":{"$ref":"#/definitions/missing"}}}',
    error: { path: "/properties/a/$ref", message: 'cannot resolve $ref "#/definitions/missing"' },
  },
  {
    name: "JSON Schema with a bad regex",
    format: "JSON",
    text: '{"properties":{"a":{"type":"string","pattern":"(["}}}',
    error: { path: "/properties/a/pattern" },
  },
  {
    name: "JSON Schema with an unsupported $schema",
    format: "JSON",
    text: '{"$schema":"http://json-schema.org/draft-03/schema#"}',
    error: { path: "/$schema" },
  },
  {
    name: "JSON Schema that is an array",
    format: "JSON",
    text: "[]",
    error: { path: "", message: "a JSON Schema must be an object or a boolean" },
  },
  {
    name: "Avro field with an unknown type",
    format: "AVRO",
    text:
      '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},' +
      '{"name":"b","type":"int"},{"name":"c","type":"strng"}]}',
    error: { path: "/fields/2/type", message: 'unknown type "strng"' },
  },
  {
    name: "malformed Avro JSON says line and column",
    format: "AVRO",
    text: '{"type": "record",\n "name": "R" "fields": []}',
    error: { path: "", line: 2, column: 14 },
  },
  {
    name: "Avro record without fields",
    format: "AVRO",
    text: '{"type":"record","name":"R"}',
    error: { path: "/fields" },
  },
  {
    name: "Avro record with a bad name",
    format: "AVRO",
    text: '{"type":"record","name":"1R","fields":[]}',
    error: { path: "/name" },
  },
  {
    name: "Avro duplicate field",
    format: "AVRO",
    text: '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}',
    error: { path: "/fields/1/name", message: 'duplicate field "a"' },
  },
  {
    name: "Avro enum with a duplicate symbol",
    format: "AVRO",
    text: '{"type":"enum","name":"E","symbols":["A","A"]}',
    error: { path: "/symbols/1" },
  },
  { name: "Avro fixed without a size", format: "AVRO", text: '{"type":"fixed","name":"F"}', error: { path: "/size" } },
  { name: "Avro array without items", format: "AVRO", text: '{"type":"array"}', error: { path: "" } },
  { name: "Avro nested union", format: "AVRO", text: '["null",["int","string"]]', error: { path: "/1" } },
  {
    name: "Avro union with a duplicate type",
    format: "AVRO",
    text: '["null","string","string"]',
    error: { path: "/2" },
  },
  {
    name: "Avro redefined named type",
    format: "AVRO",
    text: '{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"enum","name":"R","symbols":["X"]}}]}',
    error: { path: "/fields/0/type/name", message: 'type "R" is already defined' },
  },
  {
    name: "Avro default of the wrong type",
    format: "AVRO",
    text: '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}',
    error: { path: "/fields/0/default" },
  },
  {
    name: "Avro reference outside its namespace",
    format: "AVRO",
    text:
      '{"type":"record","name":"R","namespace":"a",' +
      '"fields":[{"name":"e","type":{"type":"enum","name":"E","namespace":"b","symbols":["X"]}},' +
      '{"name":"f","type":"c.E"}]}',
    error: { path: "/fields/1/type", message: 'unknown type "c.E"' },
  },
  { name: "Avro not a schema", format: "AVRO", text: "42", error: { path: "" } },
  {
    name: ".proto syntax error says the line",
    format: "PROTOBUF",
    text: 'syntax = "proto3";\nmessage M {\n  string s = 1\n}\n',
    error: { path: "line 4", line: 4 },
  },
  {
    name: ".proto unknown field type",
    format: "PROTOBUF",
    text: 'syntax = "proto3";\nmessage M {\n  Missing m = 1;\n}\n',
    error: { path: "M" },
  },
  {
    name: ".proto duplicate field number",
    format: "PROTOBUF",
    text: 'syntax = "proto3";\nmessage M {\n  string a = 1;\n  string b = 1;\n}\n',
    error: { path: "M", message: "duplicate id 1 in Type M" },
  },
  {
    name: ".proto required in proto3",
    format: "PROTOBUF",
    text: 'syntax = "proto3";\nmessage M {\n  required string a = 1;\n}\n',
    error: { line: 3 },
  },
  {
    name: ".proto unknown syntax",
    format: "PROTOBUF",
    text: 'syntax = "proto4";\nmessage M {}\n',
    error: { path: "line 1", line: 1 },
  },
  {
    name: ".proto field number 0",
    format: "PROTOBUF",
    text: 'syntax = "proto3";\nmessage M { string a = 0; }\n',
    error: { path: "M.a" },
  },
  {
    name: ".proto proto3 enum not starting at 0",
    format: "PROTOBUF",
    text: 'syntax = "proto3";\nenum E { A = 1; }\n',
    error: { path: "E" },
  },
  {
    name: ".proto import of another file",
    format: "PROTOBUF",
    text: 'syntax = "proto3";\nimport "other.proto";\nmessage M { other.T t = 1; }\n',
    error: { path: "line 2", line: 2 },
  },
  {
    name: "spec over the size limit",
    format: "JSON",
    text: JSON.stringify({ description: "x".repeat(300 * 1024) }),
    error: { path: "", message: "specification is 307218 bytes, over the limit of 262144 bytes" },
  },
  {
    name: "JSON nested past the depth limit",
    format: "JSON",
    text: `${'{"not":'.repeat(100)}{}${"}".repeat(100)}`,
    error: { path: "", message: "nested deeper than 64 levels", line: 1 },
  },
  {
    name: "Avro nested past the depth limit",
    format: "AVRO",
    text: `${'{"type":"array","items":'.repeat(70)}"int"${"}".repeat(70)}`,
    error: { message: "nested deeper than 64 levels" },
  },
  {
    name: ".proto nested past the depth limit",
    format: "PROTOBUF",
    text: `syntax = "proto3";\n${"message M {".repeat(80)}${"}".repeat(80)}`,
    error: { message: "nested deeper than 64 levels", line: 2 },
  },
];
