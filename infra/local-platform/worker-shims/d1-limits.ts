/**
 * D1's per-statement limits, as Cloudflare documents them (developers.cloudflare.com/d1/platform/limits/):
 * at most 100 bound parameters per query and 100,000 bytes of SQL per statement. workerd's SQLite
 * allows far more, so without this a query that D1 refuses would pass every local test; the
 * tenant host checks each D1 wire request against them before it reaches the database.
 */

export const D1_MAX_BOUND_PARAMETERS = 100;
export const D1_MAX_STATEMENT_BYTES = 100_000;

interface WireQuery {
  sql?: unknown;
  params?: unknown;
}

/**
 * Why D1 would refuse a wire request's body (`{sql, params}` or an array of them), or null. The
 * reason reads as D1's SQLite errors do, so the D1 client throws `D1_ERROR: <reason>`.
 *
 * @example
 *   d1LimitRefusal(JSON.stringify({ sql: "SELECT ?", params: Array(101).fill(1) }))
 *   // "too many SQL variables: 101 bound parameters, D1 allows 100 per query: SQLITE_ERROR"
 */
export function d1LimitRefusal(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null; // not ours to judge: the database answers a malformed request as it does
  }
  for (const query of (Array.isArray(parsed) ? parsed : [parsed]) as WireQuery[]) {
    const count = Array.isArray(query?.params) ? query.params.length : 0;
    if (count > D1_MAX_BOUND_PARAMETERS) {
      const allowed = `D1 allows ${D1_MAX_BOUND_PARAMETERS} per query`;
      return `too many SQL variables: ${count} bound parameters, ${allowed}: SQLITE_ERROR`;
    }
    const bytes = typeof query?.sql === "string" ? new TextEncoder().encode(query.sql).byteLength : 0;
    if (bytes > D1_MAX_STATEMENT_BYTES)
      return `statement too long: ${bytes} bytes of SQL, D1 allows ${D1_MAX_STATEMENT_BYTES}: SQLITE_TOOBIG`;
  }
  return null;
}
