/**
 * The local SQL API's translation of Analytics Engine's dialect (infra/local-platform/
 * analytics-engine-sql.ts): what it accepts becomes one parameterised SQLite statement, and what
 * it does not support is refused by name. Run end to end in tests/e2e/usage.test.ts.
 */
import { describe, expect, it } from "vitest";
import { SqlApiError, translateQuery } from "../../infra/local-platform/analytics-engine-sql.ts";

const NOW = Date.parse("2026-12-07T08:00:00Z");

describe("translateQuery", () => {
  it("keeps strings out of the SQL text (parameters) and reads times as ms", () => {
    const q = translateQuery(
      "SELECT blob1 AS t, count() FROM wfp_usage WHERE index1 = 'a''b' AND timestamp >= '2026-12-01 00:00:00' " +
        "AND timestamp > NOW() - INTERVAL '1' DAY GROUP BY t",
      NOW,
    );
    expect(q.sql).not.toContain("a'b");
    expect(q.params).toEqual(["wfp_usage", "a'b"]);
    expect(q.sql).toContain(String(Date.parse("2026-12-01T00:00:00Z")));
    expect(q.sql).toContain(`(${NOW} - 86400000)`);
    expect(q.columns).toEqual([
      { name: "t", type: "String" },
      { name: "count()", type: "UInt64" },
    ]);
  });

  it.each([
    ["DROP TABLE points", /expected SELECT/],
    ["SELECT uniq(blob1) FROM d", /uniq\(\) is not supported/],
    ["SELECT blob1 FROM d WHERE count() > 1", /aggregate functions are not allowed in WHERE/],
    ["SELECT blob1 FROM d; SELECT 1", /unexpected character ';'|unexpected/],
    ["SELECT x FROM d", /unknown column 'x'/],
    ["SELECT a AS b, b AS a FROM d", /unknown column/],
    ["SELECT blob1 FROM d FORMAT CSV", /FORMAT CSV is not supported/],
    ["SELECT quantileWeighted(2, double1, _sample_interval) FROM d", /level between 0 and 1/],
    ["SELECT blob1 FROM d WHERE timestamp > 'soon'", /cannot read 'soon' as a DateTime/],
  ])("refuses %s", (sql, message) => {
    expect(() => translateQuery(sql, NOW)).toThrow(SqlApiError);
    expect(() => translateQuery(sql, NOW)).toThrow(message);
  });
});
