/**
 * An Avro record schema text for tests: an `id` string and optional string fields. Each field
 * added is a backward (and forward) compatible step, so successive calls make a subject's
 * versions.
 *
 * @example
 *   avroRecord("Order")           // v1
 *   avroRecord("Order", ["note"]) // v2, compatible with v1
 */
export function avroRecord(name: string, optionalFields: readonly string[] = []): string {
  return JSON.stringify({
    type: "record",
    name,
    fields: [
      { name: "id", type: "string" },
      ...optionalFields.map((field) => ({ name: field, type: ["null", "string"], default: null })),
    ],
  });
}
