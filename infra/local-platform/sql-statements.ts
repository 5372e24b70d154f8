/**
 * Splits SQL text into statements the way D1's query endpoint does before running them as one
 * batch: at top-level semicolons, but not inside strings, quoted identifiers, comments, or the
 * BEGIN ... END body of a CREATE TRIGGER.
 *
 * @example splitSqlStatements("CREATE TABLE a(x); INSERT INTO a VALUES (';');") // two statements
 */
export function splitSqlStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  let depth = 0; // BEGIN ... END nesting inside a trigger body
  const push = () => {
    const text = current.trim();
    if (stripComments(text).replaceAll(";", "").trim() !== "") statements.push(text);
    current = "";
    depth = 0;
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end < 0 ? sql.length : end + 1;
      current += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      current += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`" || ch === "[") {
      const close = ch === "[" ? "]" : ch;
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === close) {
          if (close !== "]" && sql[j + 1] === close) {
            j += 2; // doubled quote is an escaped quote
            continue;
          }
          break;
        }
        j += 1;
      }
      current += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(ch) && (i === 0 || !/[A-Za-z0-9_$]/.test(sql[i - 1]!))) {
      const match = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i, i + 64))!;
      const word = match[0].toUpperCase();
      if (isTrigger(current)) {
        if (word === "BEGIN" || word === "CASE") depth += 1;
        else if (word === "END" && depth > 0) depth -= 1;
      }
      current += match[0];
      i += match[0].length;
      continue;
    }
    if (ch === ";" && depth === 0) {
      current += ch;
      push();
      i += 1;
      continue;
    }
    current += ch;
    i += 1;
  }
  push();
  return statements;
}

function isTrigger(statementSoFar: string): boolean {
  return /^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TRIGGER\b/i.test(stripComments(statementSoFar));
}

function stripComments(sql: string): string {
  return sql
    .replace(/--[^\n]*(\n|$)/g, " ")
    .replace(/\/\*[\s\S]*?(\*\/|$)/g, " ")
    .trim();
}
