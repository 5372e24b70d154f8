/**
 * The part of Workers Analytics Engine's SQL dialect the local platform answers, translated to
 * SQLite over the store (analytics-engine-schema.ts). Cloudflare's dialect is ClickHouse's
 * (developers.cloudflare.com/analytics/sql-api/sql-reference/); what is here is what the fleet's
 * usage queries need, and anything else is refused with a {@link SqlApiError} naming it:
 *
 *   SELECT <expr> [AS name], ... FROM <dataset>
 *   [WHERE <condition>] [GROUP BY <expr|name>, ...] [ORDER BY <expr|name> [ASC|DESC], ...]
 *   [LIMIT n] [FORMAT JSON]
 *
 * Columns `timestamp`, `index1`, `blob1..20`, `double1..20`, `_sample_interval`; operators
 * `= != <> < <= > >= + - * / AND OR NOT IN`; `NOW()`, `INTERVAL 'n' SECOND|MINUTE|HOUR|DAY|WEEK`,
 * `toDateTime('YYYY-MM-DD HH:MM:SS')` (UTC), a string compared with `timestamp` read as one;
 * aggregates `count()`, `sum`, `avg`, `min`, `max`, `countIf`, `sumIf`,
 * `quantileWeighted(level, expr, weight)` and `quantileExactWeighted(level)(expr, weight)`.
 */
import { BLOB_COLUMNS, DOUBLE_COLUMNS } from "./analytics-engine-schema.ts";

/** A query the local platform does not answer, or one that is wrong: Cloudflare answers 400/422. */
export class SqlApiError extends Error {}

type Node =
  | { k: "col"; name: string }
  | { k: "ident"; name: string }
  | { k: "num"; v: number }
  | { k: "str"; v: string }
  | { k: "ms"; v: number }
  | { k: "star" }
  | { k: "bin"; op: string; l: Node; r: Node }
  | { k: "not"; e: Node }
  | { k: "neg"; e: Node }
  | { k: "in"; e: Node; list: Node[]; not: boolean }
  | { k: "call"; name: string; params: Node[]; args: Node[] };

interface Token {
  t: "word" | "num" | "str" | "op";
  v: string;
}

const COLUMNS = new Set(["timestamp", "index1", "_sample_interval", ...BLOB_COLUMNS, ...DOUBLE_COLUMNS]);
const AGGREGATES = new Set(["count", "sum", "avg", "min", "max", "countif", "sumif", "quantileweighted"]);
const UNIT_MS: Record<string, number> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
};

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|([A-Za-z_][A-Za-z0-9_]*)|(\d+(?:\.\d+)?)|'((?:[^'\\]|\\.|'')*)'|(<=|>=|!=|<>|[(),*+\-/=<>])/y;
  let i = 0;
  while (i < sql.length) {
    pattern.lastIndex = i;
    const m = pattern.exec(sql);
    if (m === null) throw new SqlApiError(`unexpected character '${sql[i]}' at position ${i}`);
    i = pattern.lastIndex;
    if (m[1] !== undefined) tokens.push({ t: "word", v: m[1] });
    else if (m[2] !== undefined) tokens.push({ t: "num", v: m[2] });
    else if (m[3] !== undefined) tokens.push({ t: "str", v: m[3].replaceAll("''", "'").replace(/\\(.)/g, "$1") });
    else if (m[4] !== undefined) tokens.push({ t: "op", v: m[4] });
  }
  return tokens;
}

class Parser {
  i = 0;
  constructor(private readonly tokens: Token[]) {}

  peekWord(...words: string[]): boolean {
    const token = this.tokens[this.i];
    return token?.t === "word" && words.includes(token.v.toLowerCase());
  }
  peekOp(op: string): boolean {
    const token = this.tokens[this.i];
    return token?.t === "op" && token.v === op;
  }
  word(expected: string): void {
    if (!this.peekWord(expected)) throw new SqlApiError(`expected ${expected.toUpperCase()} ${this.where()}`);
    this.i++;
  }
  op(expected: string): void {
    if (!this.peekOp(expected)) throw new SqlApiError(`expected '${expected}' ${this.where()}`);
    this.i++;
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }
  where(): string {
    const token = this.tokens[this.i];
    return token === undefined ? "at the end of the query" : `near '${token.v}'`;
  }
  next(): Token {
    const token = this.tokens[this.i++];
    if (token === undefined) throw new SqlApiError("unexpected end of the query");
    return token;
  }
  identifier(): string {
    const token = this.next();
    if (token.t !== "word") throw new SqlApiError(`expected a name near '${token.v}'`);
    return token.v;
  }
  integer(): number {
    const token = this.next();
    if (token.t !== "num" || !/^\d+$/.test(token.v)) throw new SqlApiError(`expected a whole number near '${token.v}'`);
    return Number(token.v);
  }

  expr(): Node {
    let node = this.and();
    while (this.peekWord("or")) {
      this.i++;
      node = { k: "bin", op: "OR", l: node, r: this.and() };
    }
    return node;
  }
  and(): Node {
    let node = this.not();
    while (this.peekWord("and")) {
      this.i++;
      node = { k: "bin", op: "AND", l: node, r: this.not() };
    }
    return node;
  }
  not(): Node {
    if (this.peekWord("not")) {
      this.i++;
      return { k: "not", e: this.not() };
    }
    return this.comparison();
  }
  comparison(): Node {
    const left = this.additive();
    const negated = this.peekWord("not");
    if (negated) this.i++;
    if (this.peekWord("in")) {
      this.i++;
      this.op("(");
      const list = [this.additive()];
      while (this.peekOp(",")) {
        this.i++;
        list.push(this.additive());
      }
      this.op(")");
      return { k: "in", e: left, list, not: negated };
    }
    if (negated) throw new SqlApiError(`expected IN after NOT ${this.where()}`);
    for (const op of ["=", "!=", "<>", "<=", ">=", "<", ">"]) {
      if (this.peekOp(op)) {
        this.i++;
        return { k: "bin", op: op === "<>" ? "!=" : op, l: left, r: this.additive() };
      }
    }
    return left;
  }
  additive(): Node {
    let node = this.multiplicative();
    while (this.peekOp("+") || this.peekOp("-")) {
      const op = this.next().v;
      node = { k: "bin", op, l: node, r: this.multiplicative() };
    }
    return node;
  }
  multiplicative(): Node {
    let node = this.unary();
    while (this.peekOp("*") || this.peekOp("/")) {
      const op = this.next().v;
      node = { k: "bin", op, l: node, r: this.unary() };
    }
    return node;
  }
  unary(): Node {
    if (this.peekOp("-")) {
      this.i++;
      return { k: "neg", e: this.unary() };
    }
    return this.primary();
  }
  primary(): Node {
    const token = this.next();
    if (token.t === "num") return { k: "num", v: Number(token.v) };
    if (token.t === "str") return { k: "str", v: token.v };
    if (token.t === "op" && token.v === "(") {
      const inner = this.expr();
      this.op(")");
      return inner;
    }
    if (token.t === "op" && token.v === "*") return { k: "star" };
    if (token.t !== "word") throw new SqlApiError(`unexpected '${token.v}'`);
    const name = token.v;
    if (name.toLowerCase() === "interval") return this.interval();
    if (this.peekOp("(")) return this.call(name);
    return COLUMNS.has(name) ? { k: "col", name } : { k: "ident", name };
  }
  interval(): Node {
    const amount = this.next();
    const value = Number(amount.v);
    if ((amount.t !== "str" && amount.t !== "num") || !Number.isFinite(value))
      throw new SqlApiError(`expected INTERVAL '<number>' <unit> near '${amount.v}'`);
    const unit = this.identifier().toLowerCase().replace(/s$/, "");
    const ms = UNIT_MS[unit];
    if (ms === undefined) throw new SqlApiError(`unsupported INTERVAL unit '${unit}'`);
    return { k: "ms", v: value * ms };
  }
  call(name: string): Node {
    const list = (): Node[] => {
      this.op("(");
      const args: Node[] = [];
      if (!this.peekOp(")")) {
        args.push(this.expr());
        while (this.peekOp(",")) {
          this.i++;
          args.push(this.expr());
        }
      }
      this.op(")");
      return args;
    };
    const first = list();
    // ClickHouse's parametric form: quantileExactWeighted(0.5)(expr, weight).
    if (this.peekOp("(")) return { k: "call", name, params: first, args: list() };
    return { k: "call", name, params: [], args: first };
  }
}

/** A translated query: its SQLite text and parameters, and how to present each column. */
export interface TranslatedQuery {
  sql: string;
  params: (string | number)[];
  columns: { name: string; type: string }[];
}

interface Context {
  now: number;
  params: (string | number)[];
  /** The select list's aliases, for GROUP BY and ORDER BY. */
  aliases: Map<string, Node>;
  where: Node | undefined;
  groupBy: Node[];
  dataset: string;
  /** Aliases being expanded, to refuse a cycle. */
  resolving: Set<string>;
}

function isAggregate(node: Node): boolean {
  switch (node.k) {
    case "call":
      return AGGREGATES.has(normalisedName(node.name)) || node.args.some(isAggregate) || node.params.some(isAggregate);
    case "bin":
      return isAggregate(node.l) || isAggregate(node.r);
    case "not":
    case "neg":
      return isAggregate(node.e);
    case "in":
      return isAggregate(node.e);
    default:
      return false;
  }
}

function normalisedName(name: string): string {
  const lower = name.toLowerCase();
  return lower === "quantileexactweighted" ? "quantileweighted" : lower;
}

function parseDateTime(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?(?:Z)?$/.exec(text);
  if (m === null) throw new SqlApiError(`cannot read '${text}' as a DateTime (YYYY-MM-DD HH:MM:SS)`);
  const [, y, mo, d, h = "0", mi = "0", s = "0"] = m;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
}

function compile(node: Node, ctx: Context, q: string): string {
  const col = (name: string) => (q === "" ? name : `${q}.${name}`);
  switch (node.k) {
    case "col":
      return col(node.name);
    case "ident": {
      // An alias names another expression; a name that is its own alias (or a cycle) is no column.
      const aliased = ctx.aliases.get(node.name);
      if (aliased === undefined || ctx.resolving.has(node.name)) throw new SqlApiError(`unknown column '${node.name}'`);
      ctx.resolving.add(node.name);
      try {
        return compile(aliased, ctx, q);
      } finally {
        ctx.resolving.delete(node.name);
      }
    }
    case "num":
      return String(node.v);
    case "str":
      ctx.params.push(node.v);
      return "?";
    case "ms":
      return String(node.v);
    case "star":
      throw new SqlApiError("'*' is only allowed in count(*)");
    case "neg":
      return `(-${compile(node.e, ctx, q)})`;
    case "not":
      return `(NOT ${compile(node.e, ctx, q)})`;
    case "in": {
      const items = node.list.map((item) => compile(timeOperand(node.e, item), ctx, q));
      return `(${compile(node.e, ctx, q)} ${node.not ? "NOT IN" : "IN"} (${items.join(", ")}))`;
    }
    case "bin": {
      const l = compile(timeOperand(node.r, node.l), ctx, q);
      const r = compile(timeOperand(node.l, node.r), ctx, q);
      return `(${l} ${node.op} ${r})`;
    }
    case "call":
      return compileCall(node, ctx, q);
  }
}

/** A string compared with `timestamp` is a DateTime, as ClickHouse reads it. */
function timeOperand(other: Node, node: Node): Node {
  if (other.k === "col" && other.name === "timestamp" && node.k === "str") return { k: "ms", v: parseDateTime(node.v) };
  return node;
}

function compileCall(node: Extract<Node, { k: "call" }>, ctx: Context, q: string): string {
  const name = normalisedName(node.name);
  const arity = (n: number) => {
    if (node.args.length !== n) throw new SqlApiError(`${node.name}() takes ${n} argument(s)`);
  };
  const arg = (i: number) => compile(node.args[i]!, ctx, q);
  if (node.params.length > 0 && name !== "quantileweighted")
    throw new SqlApiError(`${node.name}() does not take parameters`);
  switch (name) {
    case "now":
      arity(0);
      return String(ctx.now);
    case "todatetime": {
      arity(1);
      const text = node.args[0]!;
      if (text.k !== "str") throw new SqlApiError("toDateTime() takes a string");
      return String(parseDateTime(text.v));
    }
    case "count":
      if (node.args.length === 1 && node.args[0]!.k === "star") return "COUNT(*)";
      arity(0);
      return "COUNT(*)";
    case "sum":
    case "avg":
    case "min":
    case "max":
      arity(1);
      return `${name.toUpperCase()}(${arg(0)})`;
    case "countif":
      arity(1);
      return `SUM(CASE WHEN ${arg(0)} THEN 1 ELSE 0 END)`;
    case "sumif":
      arity(2);
      return `SUM(CASE WHEN ${arg(1)} THEN ${arg(0)} ELSE 0 END)`;
    case "quantileweighted":
      return compileQuantile(node, ctx, q);
    default:
      throw new SqlApiError(`function ${node.name}() is not supported by the local platform's SQL API`);
  }
}

/**
 * A weighted quantile: the smallest value whose running weight reaches `level` of the group's
 * weight, read by a subquery over the group's rows (the outer query's WHERE and group keys).
 */
function compileQuantile(node: Extract<Node, { k: "call" }>, ctx: Context, q: string): string {
  const [levelNode, ...rest] = node.params.length > 0 ? [...node.params, ...node.args] : node.args;
  if (levelNode?.k !== "num" || levelNode.v < 0 || levelNode.v > 1 || rest.length !== 2)
    throw new SqlApiError(`${node.name}() takes a level between 0 and 1, an expression and a weight`);
  if (q === "") throw new SqlApiError(`${node.name}() is only allowed in the select list`);
  const inner = "qq";
  const before = ctx.params.length;
  const value = compile(rest[0]!, ctx, inner);
  const weight = compile(rest[1]!, ctx, inner);
  // Each is written twice below: strings (parameters) in them would be bound once.
  if (ctx.params.length !== before) throw new SqlApiError(`${node.name}() takes columns and numbers, not strings`);
  const conditions = [`${inner}.dataset = ?`];
  ctx.params.push(ctx.dataset);
  if (ctx.where !== undefined) conditions.push(compile(ctx.where, ctx, inner));
  for (const key of ctx.groupBy) conditions.push(`${compile(key, ctx, inner)} IS ${compile(key, ctx, q)}`);
  return (
    `(SELECT v FROM (SELECT ${value} AS v, SUM(${weight}) OVER (ORDER BY ${value} ROWS UNBOUNDED PRECEDING) AS cw, ` +
    `SUM(${weight}) OVER () AS tw FROM points AS ${inner} WHERE ${conditions.join(" AND ")}) ` +
    `WHERE cw >= ${levelNode.v} * tw ORDER BY v LIMIT 1)`
  );
}

function typeOf(node: Node, aliases: Map<string, Node>): string {
  switch (node.k) {
    case "col":
      if (node.name === "timestamp") return "DateTime";
      if (node.name === "_sample_interval") return "UInt32";
      return node.name.startsWith("double") ? "Float64" : "String";
    case "ident": {
      const aliased = aliases.get(node.name);
      return aliased === undefined || aliased === node ? "String" : typeOf(aliased, aliases);
    }
    case "str":
      return "String";
    case "call": {
      const name = normalisedName(node.name);
      if (name === "count" || name === "countif") return "UInt64";
      if (name === "sum" || name === "sumif") {
        const t = typeOf(node.args[0]!, aliases);
        return t.startsWith("UInt") ? "UInt64" : "Float64";
      }
      if (name === "min" || name === "max") return typeOf(node.args[0]!, aliases);
      if (name === "now" || name === "todatetime") return "DateTime";
      return "Float64";
    }
    case "bin":
      return ["AND", "OR", "=", "!=", "<", "<=", ">", ">="].includes(node.op) ? "UInt8" : "Float64";
    default:
      return "Float64";
  }
}

/**
 * Translates one query of the supported subset; throws {@link SqlApiError} for anything else.
 *
 * @example
 *   translateQuery("SELECT blob1 AS tenant, SUM(_sample_interval) AS n FROM wfp_usage GROUP BY tenant", Date.now())
 */
export function translateQuery(sqlText: string, now: number): TranslatedQuery {
  const text = sqlText.trim().replace(/;\s*$/, "");
  const tokens = tokenize(text);
  const parser = new Parser(tokens);
  parser.word("select");
  const items: { node: Node; name: string }[] = [];
  do {
    if (items.length > 0) parser.op(",");
    const startToken = parser.i;
    const node = parser.expr();
    const endToken = parser.i;
    let name: string;
    if (parser.peekWord("as")) {
      parser.word("as");
      name = parser.identifier();
    } else {
      name = tokens
        .slice(startToken, endToken)
        .map((t) => (t.t === "str" ? `'${t.v}'` : t.v))
        .join("")
        .replace(/,/g, ", ");
    }
    items.push({ node, name });
  } while (parser.peekOp(","));
  parser.word("from");
  const dataset = parser.identifier();
  let where: Node | undefined;
  if (parser.peekWord("where")) {
    parser.word("where");
    where = parser.expr();
  }
  const groupBy: Node[] = [];
  if (parser.peekWord("group")) {
    parser.word("group");
    parser.word("by");
    do {
      if (groupBy.length > 0) parser.op(",");
      groupBy.push(parser.expr());
    } while (parser.peekOp(","));
  }
  const orderBy: { node: Node; desc: boolean }[] = [];
  if (parser.peekWord("order")) {
    parser.word("order");
    parser.word("by");
    do {
      if (orderBy.length > 0) parser.op(",");
      const node = parser.expr();
      let desc = false;
      if (parser.peekWord("asc", "desc")) desc = parser.next().v.toLowerCase() === "desc";
      orderBy.push({ node, desc });
    } while (parser.peekOp(","));
  }
  let limit: number | undefined;
  if (parser.peekWord("limit")) {
    parser.word("limit");
    limit = parser.integer();
  }
  if (parser.peekWord("format")) {
    parser.word("format");
    const format = parser.identifier();
    if (format.toUpperCase() !== "JSON")
      throw new SqlApiError(`FORMAT ${format} is not supported by the local platform (only JSON)`);
  }
  if (!parser.done()) throw new SqlApiError(`unexpected ${parser.where()}`);
  if (where !== undefined && isAggregate(where)) throw new SqlApiError("aggregate functions are not allowed in WHERE");

  const aliases = new Map(items.map((item) => [item.name, item.node]));
  // GROUP BY a select alias means its expression.
  const keys = groupBy.map((key) => (key.k === "ident" ? (aliases.get(key.name) ?? key) : key));
  const ctx: Context = { now, params: [], aliases, where, groupBy: keys, dataset, resolving: new Set() };
  const grouped = keys.length > 0 || items.some((item) => isAggregate(item.node));
  const select = items.map((item) => {
    const compiled = compile(item.node, ctx, "p");
    return `${compiled} AS "${item.name.replaceAll('"', '""')}"`;
  });
  const selectParams = ctx.params.splice(0);
  const conditions = ["p.dataset = ?"];
  ctx.params.push(dataset);
  if (where !== undefined) conditions.push(compile(where, ctx, "p"));
  const whereParams = ctx.params.splice(0);
  const groupSql = keys.map((key) => compile(key, ctx, "p"));
  const groupParams = ctx.params.splice(0);
  const orderSql = orderBy.map(({ node, desc }) => {
    const ref = node.k === "ident" && aliases.has(node.name) ? `"${node.name.replaceAll('"', '""')}"` : undefined;
    return `${ref ?? compile(node, ctx, "p")} ${desc ? "DESC" : "ASC"}`;
  });
  const orderParams = ctx.params.splice(0);
  if (!grouped && items.some((item) => item.node.k === "call" && normalisedName(item.node.name) === "quantileweighted"))
    throw new SqlApiError("quantiles need an aggregate query");
  const sql = [
    `SELECT ${select.join(", ")} FROM points AS p WHERE ${conditions.join(" AND ")}`,
    groupSql.length > 0 ? `GROUP BY ${groupSql.join(", ")}` : "",
    orderSql.length > 0 ? `ORDER BY ${orderSql.join(", ")}` : "",
    limit === undefined ? "" : `LIMIT ${limit}`,
  ]
    .filter((part) => part !== "")
    .join(" ");
  return {
    sql,
    params: [...selectParams, ...whereParams, ...groupParams, ...orderParams],
    columns: items.map((item) => ({ name: item.name, type: typeOf(item.node, aliases) })),
  };
}

/**
 * A row as the SQL API's JSON format gives it: DateTime as `YYYY-MM-DD HH:MM:SS` (UTC).
 *
 * @example presentRow({ t: 0 }, [{ name: "t", type: "DateTime" }]) // { t: "1970-01-01 00:00:00" }
 */
export function presentRow(
  row: Record<string, unknown>,
  columns: readonly { name: string; type: string }[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { name, type } of columns) {
    const value = row[name];
    if (type === "DateTime" && typeof value === "number")
      out[name] = new Date(value).toISOString().slice(0, 19).replace("T", " ");
    else if (type.startsWith("Float") || type.startsWith("UInt")) out[name] = value === null ? 0 : Number(value);
    else out[name] = value ?? "";
  }
  return out;
}
