/**
 * Loaded into every tenant Worker the local platform runs (worker-shims/tenant-host.ts), beside
 * the tenant's own unchanged modules: it gives the tenant's handler an `env` whose D1 bindings
 * behave as D1's do.
 *
 * A Worker loaded at run time cannot be given a D1 binding (workerd refuses to serialize one), so
 * the host passes an RPC stub per database, fixed to that database, and this module turns it into
 * D1's API: `prepare()` and `bind()` stay synchronous and local, as in production, and each
 * execution (`first`, `all`, `run`, `raw`, `batch`, `exec`) is one call to the host, which runs it
 * through workerd's own D1 client. Results, `meta`, type conversion and error messages are
 * therefore D1's. Sessions keep their bookmark here and send it with each call.
 *
 * KV bindings need nothing here: the stub the host passes already has KV's methods.
 *
 * @example
 *   // the generated entry module of a tenant Worker
 *   import * as tenant from "./index.js";
 *   export default withPlatformBindings(tenant.default);
 */

/** The env var (a JSON list of binding names) that says which bindings are D1 stubs. */
export const D1_BINDINGS_VAR = "__WFP_D1_BINDINGS";

type D1Kind = "first" | "all" | "run" | "raw";
interface WireStatement {
  sql: string;
  params: unknown[];
}
interface Executed {
  result: unknown;
  bookmark: string | null;
}
/** The host's per-database entrypoint (TenantD1 in tenant-host.ts). */
interface D1Host {
  statement(token: string | null, statement: WireStatement, kind: D1Kind, arg: unknown): Promise<Executed>;
  batch(token: string | null, statements: WireStatement[]): Promise<Executed>;
  exec(sql: string): Promise<unknown>;
}

const CONSTRAINTS = new Set(["first-primary", "first-unconstrained"]);

/** Where statements run: the database itself, or a session that carries its bookmark along. */
class Executor {
  private bookmark: string | null;

  constructor(
    private readonly host: D1Host,
    /** null: no session (D1 sends such queries to the primary). */
    private readonly constraint: string | null,
  ) {
    this.bookmark = constraint !== null && !CONSTRAINTS.has(constraint) ? constraint : null;
  }

  getBookmark(): string | null {
    return this.bookmark;
  }

  async statement(statement: WireStatement, kind: D1Kind, arg: unknown): Promise<unknown> {
    return this.took(await this.host.statement(this.token(), statement, kind, arg));
  }

  async batch(statements: PreparedStatement[]): Promise<unknown> {
    const wire = statements.map((s) => {
      if (!(s instanceof PreparedStatement)) throw new TypeError("batch() takes statements made by prepare()");
      return s.wire();
    });
    return this.took(await this.host.batch(this.token(), wire));
  }

  private token(): string | null {
    return this.constraint === null ? null : (this.bookmark ?? this.constraint);
  }

  private took(executed: Executed): unknown {
    if (this.constraint !== null && executed.bookmark !== null) this.bookmark = executed.bookmark;
    return executed.result;
  }
}

class PreparedStatement {
  constructor(
    private readonly executor: Executor,
    private readonly sql: string,
    private readonly params: unknown[] = [],
  ) {}

  bind(...params: unknown[]): PreparedStatement {
    return new PreparedStatement(this.executor, this.sql, params);
  }

  first(column?: string): Promise<unknown> {
    return this.executor.statement(this.wire(), "first", column);
  }

  all(): Promise<unknown> {
    return this.executor.statement(this.wire(), "all", undefined);
  }

  run(): Promise<unknown> {
    return this.executor.statement(this.wire(), "run", undefined);
  }

  raw(options?: { columnNames?: boolean }): Promise<unknown> {
    return this.executor.statement(this.wire(), "raw", options);
  }

  wire(): WireStatement {
    return { sql: this.sql, params: this.params };
  }
}

class D1DatabaseSession {
  constructor(private readonly executor: Executor) {}

  prepare(sql: string): PreparedStatement {
    return new PreparedStatement(this.executor, sql);
  }

  batch(statements: PreparedStatement[]): Promise<unknown> {
    return this.executor.batch(statements);
  }

  getBookmark(): string | null {
    return this.executor.getBookmark();
  }
}

class D1Database {
  private readonly executor: Executor;

  constructor(private readonly host: D1Host) {
    this.executor = new Executor(host, null);
  }

  prepare(sql: string): PreparedStatement {
    return new PreparedStatement(this.executor, sql);
  }

  batch(statements: PreparedStatement[]): Promise<unknown> {
    return this.executor.batch(statements);
  }

  exec(sql: string): Promise<unknown> {
    return this.host.exec(sql);
  }

  withSession(constraintOrBookmark: string = "first-unconstrained"): D1DatabaseSession {
    return new D1DatabaseSession(new Executor(this.host, constraintOrBookmark));
  }

  dump(): never {
    throw new Error("D1_DUMP_ERROR: dump() is deprecated and not supported; use `wrangler d1 export`");
  }
}

type Env = Record<string, unknown>;
const wrapped = new WeakMap<object, Env>();

function platformEnv(env: Env): Env {
  const known = wrapped.get(env);
  if (known !== undefined) return known;
  const d1 = new Set(JSON.parse(String(env[D1_BINDINGS_VAR] ?? "[]")) as string[]);
  const visible: Env = {};
  for (const [name, value] of Object.entries(env)) {
    if (name === D1_BINDINGS_VAR) continue;
    visible[name] = d1.has(name) ? new D1Database(value as D1Host) : value;
  }
  wrapped.set(env, visible);
  return visible;
}

type Handler = Record<string, unknown>;
/** The handlers workerd calls with (event, env, ctx). */
const HANDLERS = ["fetch", "scheduled", "queue", "tail", "trace", "email"];

/**
 * The tenant's default export with `env` replaced by {@link platformEnv} on each call. Only an
 * object default export (`export default { fetch }`) is supported: a class-based entrypoint
 * gets its env in its constructor, which this cannot reach.
 */
export function withPlatformBindings(handler: unknown): Handler {
  if (typeof handler !== "object" || handler === null) {
    throw new TypeError(
      "the local platform runs Workers whose default export is an object (export default { fetch }); " +
        `this one exports ${typeof handler === "function" ? "a class or function" : String(handler)}`,
    );
  }
  const source = handler as Handler;
  const out: Handler = {};
  for (const name of HANDLERS) {
    const method = source[name];
    if (typeof method !== "function") continue;
    out[name] = (event: unknown, env: Env, ctx: unknown) => method.call(source, event, platformEnv(env), ctx);
  }
  return out;
}
