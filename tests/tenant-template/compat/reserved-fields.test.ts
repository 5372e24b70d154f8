import { describe, expect, it } from "vitest";
import { reservedFieldNames, reservedFieldProblems } from "../../../tenant-template/src/compat/reserved-fields.ts";

const reserving = (names: unknown) => ({ properties: { "confluent:reserved": names } });

describe("the confluent:reserved rule", () => {
  it("reads a comma-separated list, trimmed, ignoring empty names and non-string values", () => {
    expect([...reservedFieldNames(reserving(" ssn, ,email,"))]).toEqual(["ssn", "email"]);
    expect(reservedFieldNames(reserving(3)).size).toBe(0);
    expect(reservedFieldNames(null).size).toBe(0);
    expect(reservedFieldNames({ properties: null }).size).toBe(0);
  });

  it("refuses a field with a reserved name, then a name the previous version reserved and this one dropped", () => {
    expect(reservedFieldProblems(reserving("a, b"), reserving("b, ssn"), ["id", "ssn"])).toEqual([
      { type: "FIELD_CONFLICTS_WITH_RESERVED_FIELD", name: "ssn" },
      { type: "RESERVED_FIELD_REMOVED", name: "a" },
    ]);
  });

  it("finds nothing when the rule holds", () => {
    expect(reservedFieldProblems(reserving("a"), reserving("a, b"), ["id", "name"])).toEqual([]);
    expect(reservedFieldProblems(undefined, undefined, ["id"])).toEqual([]);
  });
});
