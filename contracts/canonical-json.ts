/**
 * JSON text in which equal values have equal text: object keys in one order, recursively (arrays
 * keep theirs, since their order carries meaning). Used to compare and to hash JSON values.
 */

/**
 * `JSON.stringify` of the value with every object's keys sorted. The text is what schema identity
 * hashes are computed over, so it must not change: keys are inserted in sorted order and then
 * written as JSON.stringify writes them (which puts integer-like keys first, in numeric order).
 *
 * @example
 *   canonicalJson({ b: 1, a: [2, { d: 0, c: 0 }] }) // '{"a":[2,{"c":0,"d":0}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? "null";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, sortKeys(object[key])]),
  );
}
