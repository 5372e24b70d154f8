/**
 * D1 read replicas for the local platform: every database with read replication on gets a replica
 * that lags its primary by a set delay, and the Sessions API is honoured as D1 documents it
 * (developers.cloudflare.com/d1/best-practices/read-replication/):
 *
 * - no session (a plain `env.DB.prepare()`) and `first-primary`: the primary answers;
 * - `first-unconstrained`: the replica answers reads, as stale as the lag makes it;
 * - a bookmark: the replica answers once it has caught up to that bookmark (here it catches up at
 *   once rather than making the query wait);
 * - writes always go to the primary; `meta.served_by_primary` says who answered.
 *
 * The tenant host Worker (tenant-host.ts) puts this between workerd's own D1 client and the
 * database's storage, so what arrives is D1's wire protocol: POST /query or /execute with
 * `{sql, params}` (or a batch of them), the session's constraint or bookmark in
 * `x-cf-d1-session-commit-token`. The primary and the replica are two real D1 databases; requests
 * are forwarded to them unchanged.
 *
 * Replication replays the primary's successful write requests on the replica, in commit order,
 * once they are older than the lag. Bookmarks are the primary's: the replica answers with the
 * primary bookmark it has caught up to, so a session never goes back in time. The write log lives
 * in this isolate; after a workerd restart the replica first copies the primary whole. SQL that
 * reads the clock or `random()` would replay differently: the product passes such values as
 * parameters.
 */

/** The id of the D1 database that holds a database's replica. */
export const replicaDatabaseId = (databaseId: string) => `${databaseId}-replica`;

/** D1's header for a session's constraint or bookmark, both ways. */
const SESSION_HEADER = "x-cf-d1-session-commit-token";
/** Miniflare's statement that returns a database as SQL (what `wrangler d1 export` uses locally). */
const EXPORT_PRAGMA = "PRAGMA miniflare_d1_export(?,?,?);";

/** Where a database's D1 wire requests go (its storage object). */
export interface WireFetcher {
  fetch(input: string, init: RequestInit): Promise<Response>;
}

interface D1Query {
  sql: string;
  params?: unknown[] | null;
}

interface D1Result {
  success: boolean;
  results?: unknown;
  meta?: Record<string, unknown>;
  error?: string;
}

interface LoggedWrite {
  /** The primary's bookmark once the write committed. */
  bookmark: string;
  at: number;
  path: string;
  body: string;
}

const laterOf = (a: string, b: string) => (a.localeCompare(b) < 0 ? b : a);

/**
 * Whether every statement of a request only reads. Reads may go to the replica; anything else
 * (including PRAGMA, which can write) goes to the primary, as D1 routes writes.
 */
function readsOnly(queries: D1Query[]): boolean {
  return queries.every((query) => {
    const sql = query.sql
      .replace(/^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/))*/u, "")
      .trim()
      .toUpperCase();
    if (/^(SELECT|VALUES|EXPLAIN)\b/u.test(sql)) return true;
    return /^WITH\b/u.test(sql) && !/\b(INSERT|UPDATE|DELETE|REPLACE)\b/u.test(sql);
  });
}

/** One replicated database: its primary and its replica, each reached by D1's wire protocol. */
export class ReplicatedDatabase {
  private log: LoggedWrite[] = [];
  /** The primary bookmark the replica has caught up to; null until the first copy. */
  private position: string | null = null;
  /** The newest bookmark the primary has answered. */
  private latest: string | null = null;
  /** One request at a time, as D1 runs them, so the log is in commit order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly primary: WireFetcher,
    private readonly replica: WireFetcher,
  ) {}

  /** Answers one D1 wire request, from the primary or the replica (which trails by `lagMs`). */
  handle(request: Request, lagMs: number): Promise<Response> {
    const run = async () => {
      const path = new URL(request.url);
      const body = await request.text();
      const parsed = JSON.parse(body) as D1Query | D1Query[];
      const queries = Array.isArray(parsed) ? parsed : [parsed];
      const constraint = request.headers.get(SESSION_HEADER);
      const toReplica = constraint !== null && constraint !== "first-primary" && readsOnly(queries);
      if (toReplica && (await this.catchUp(constraint, lagMs))) {
        return this.answer(await this.forward(this.replica, path, body, null), false, this.position!);
      }
      const reply = await this.forward(this.primary, path, body, constraint);
      const bookmark = reply.headers.get(SESSION_HEADER);
      if (bookmark !== null) this.latest = this.latest === null ? bookmark : laterOf(this.latest, bookmark);
      const succeeded = reply.results.every((result) => result.success);
      if (succeeded && bookmark !== null && !readsOnly(queries) && this.position !== null) {
        this.log.push({ bookmark, at: Date.now(), path: path.pathname + path.search, body });
      }
      return this.answer(reply, true, bookmark);
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Brings the replica forward: every write older than the lag, and every write up to the
   * session's bookmark. False when the bookmark is one the primary never gave (the primary
   * answers then, which is what D1 does with a bookmark no replica can reach yet).
   */
  private async catchUp(constraint: string, lagMs: number): Promise<boolean> {
    if (this.position === null) await this.copyPrimary();
    const bookmark = constraint === "first-unconstrained" ? null : constraint;
    if (bookmark !== null && this.latest !== null && bookmark.localeCompare(this.latest) > 0) return false;
    const due = Date.now() - lagMs;
    while (this.log.length > 0) {
      const next = this.log[0]!;
      if (next.at > due && (bookmark === null || next.bookmark.localeCompare(bookmark) > 0)) break;
      const reply = await this.forward(this.replica, new URL(next.path, "http://d1"), next.body, null);
      if (!reply.results.every((result) => result.success)) {
        throw new Error(`the replica could not apply a write the primary took: ${JSON.stringify(reply.results)}`);
      }
      this.position = laterOf(this.position!, next.bookmark);
      this.log.shift();
    }
    if (bookmark !== null) this.position = laterOf(this.position!, bookmark);
    return true;
  }

  /** Makes the replica a copy of the primary as it is now (first use since workerd started). */
  private async copyPrimary(): Promise<void> {
    const probe = await this.forward(this.primary, new URL("http://d1/query"), '{"sql":"SELECT 1","params":[]}', null);
    const bookmark = probe.headers.get(SESSION_HEADER);
    if (bookmark === null) throw new Error("the primary answered no bookmark");
    const dump = await this.forward(
      this.primary,
      new URL("http://d1/query"),
      JSON.stringify({ sql: EXPORT_PRAGMA, params: [0, 0] }),
      null,
    );
    const statements = ((dump.results[0]?.results as string[][] | undefined)?.[0] ?? []).map((sql) => ({ sql }));
    const existing = await this.forward(
      this.replica,
      new URL("http://d1/query"),
      JSON.stringify({
        sql:
          "SELECT type, name FROM sqlite_master WHERE type IN ('table','view') " +
          "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
        params: [],
      }),
      null,
    );
    const drops = ((existing.results[0]?.results ?? []) as { type: string; name: string }[]).map((o) => ({
      sql: `DROP ${o.type === "view" ? "VIEW" : "TABLE"} IF EXISTS "${o.name.replaceAll('"', '""')}"`,
    }));
    const batch = [{ sql: "PRAGMA defer_foreign_keys=TRUE" }, ...drops, ...statements];
    if (batch.length > 1) {
      const copied = await this.forward(this.replica, new URL("http://d1/execute"), JSON.stringify(batch), null);
      if (!copied.results.every((result) => result.success)) {
        throw new Error(`the replica could not copy the primary: ${JSON.stringify(copied.results)}`);
      }
    }
    this.position = bookmark;
    this.latest = this.latest === null ? bookmark : laterOf(this.latest, bookmark);
  }

  private async forward(
    target: WireFetcher,
    url: URL,
    body: string,
    constraint: string | null,
  ): Promise<{ status: number; headers: Headers; results: D1Result[]; single: boolean }> {
    const response = await target.fetch(url.href, {
      method: "POST",
      headers: { "content-type": "application/json", ...(constraint === null ? {} : { [SESSION_HEADER]: constraint }) },
      body,
    });
    const json = (await response.json()) as D1Result | D1Result[];
    return {
      status: response.status,
      headers: response.headers,
      results: Array.isArray(json) ? json : [json],
      single: !Array.isArray(json),
    };
  }

  private answer(
    reply: { status: number; results: D1Result[]; single: boolean },
    servedByPrimary: boolean,
    bookmark: string | null,
  ): Response {
    const results = reply.results.map((result) =>
      result.meta === undefined
        ? result
        : { ...result, meta: { ...result.meta, served_by_region: "local", served_by_primary: servedByPrimary } },
    );
    return Response.json(reply.single ? results[0] : results, {
      status: reply.status,
      headers: bookmark === null ? {} : { [SESSION_HEADER]: bookmark },
    });
  }
}
