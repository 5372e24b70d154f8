import { describe, expect, it } from "vitest";
import { splitSqlStatements } from "../../infra/local-platform/sql-statements.ts";

describe("splitSqlStatements", () => {
  it("splits at top-level semicolons and drops empty statements", () => {
    expect(splitSqlStatements("CREATE TABLE a(x);\n\nINSERT INTO a VALUES (1);;  ")).toEqual([
      "CREATE TABLE a(x);",
      "INSERT INTO a VALUES (1);",
    ]);
  });

  it("keeps semicolons inside strings, identifiers and comments", () => {
    const sql = `INSERT INTO a VALUES ('x;y', 'it''s;'); -- a; comment\nSELECT "we;ird" FROM [b;c] /* ; */ ;`;
    expect(splitSqlStatements(sql)).toEqual([
      `INSERT INTO a VALUES ('x;y', 'it''s;');`,
      `-- a; comment\nSELECT "we;ird" FROM [b;c] /* ; */ ;`,
    ]);
  });

  it("keeps a trigger body whole", () => {
    const sql =
      "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = n + 1; " +
      "INSERT INTO c VALUES (CASE WHEN 1 THEN 2 END); END; SELECT 1;";
    expect(splitSqlStatements(sql)).toEqual([
      "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = n + 1; " +
        "INSERT INTO c VALUES (CASE WHEN 1 THEN 2 END); END;",
      "SELECT 1;",
    ]);
  });

  it("returns nothing for comments only", () => {
    expect(splitSqlStatements("-- nothing\n/* here */")).toEqual([]);
  });
});
