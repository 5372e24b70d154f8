/**
 * A wrapper Worker around the tenant template that counts the D1 round trips each request makes:
 * one per `first`, `all`, `run`, `raw` or `batch`, which is one call to D1 each, on the binding or
 * on any session opened from it. Each reply carries the count (`ROUND_TRIPS_HEADER`) and what each
 * trip ran (`ROUND_TRIPS_LOG_HEADER`, JSON: the statement's start, or `batch[n]`), so a test that
 * finds one too many says which, and how many rows D1 answered (`ROWS_RETURNED_HEADER`), so a test
 * can tell a request that reads what it needs from one that reads a whole table. Test-only: the
 * tenant runs unchanged, its `DB` binding is wrapped per request.
 */

/** The header each reply carries its request's count of D1 round trips in. */
export const ROUND_TRIPS_HEADER = "x-test-d1-round-trips";
/** The header each reply lists its round trips in (JSON array of strings). */
export const ROUND_TRIPS_LOG_HEADER = "x-test-d1-round-trips-log";
/** The header each reply carries the number of rows its D1 calls answered in. */
export const ROWS_RETURNED_HEADER = "x-test-d1-rows-returned";

/**
 * The wrapper's module source; it imports the tenant's bundle as `./tenant.js`.
 *
 * @example
 *   modules: [
 *     { type: "ESModule", path: "wrapper.js", contents: COUNTING_WRAPPER },
 *     { type: "ESModule", path: "tenant.js", contents: await bundleTenantTemplate() },
 *   ]
 */
export const COUNTING_WRAPPER = `
import tenant from "./tenant.js";
export * from "./tenant.js";
const CALLS = new Set(["first", "all", "run", "raw"]);
const rowsOf = (result) =>
  Array.isArray(result) ? result.length
    : Array.isArray(result?.results) ? result.results.length
    : result == null ? 0 : 1;
function counting(trips, rows) {
  const real = new WeakMap();
  const statement = (inner, text) => {
    const proxy = new Proxy(inner, {
      get(target, key) {
        if (key === "bind") return (...args) => statement(target.bind(...args), text);
        const value = Reflect.get(target, key);
        if (CALLS.has(key))
          return (...args) => {
            trips.push(key + ": " + text.replace(/\\s+/g, " ").slice(0, 120));
            return value.apply(target, args).then((result) => {
              // run() answers a meta object; first() a row or a column's value, or null.
              rows.count += key === "run" ? rowsOf(result?.results ?? []) : rowsOf(result);
              return result;
            });
          };
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    real.set(proxy, inner);
    return proxy;
  };
  const database = (inner) =>
    new Proxy(inner, {
      get(target, key) {
        if (key === "prepare") return (query) => statement(target.prepare(query), query);
        if (key === "batch")
          return (statements) => {
            trips.push("batch[" + statements.length + "]");
            return target.batch(statements.map((each) => real.get(each) ?? each)).then((results) => {
              for (const result of results) rows.count += rowsOf(result.results ?? []);
              return results;
            });
          };
        if (key === "withSession") return (...args) => database(target.withSession(...args));
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return database;
}
export default {
  async fetch(request, env, ctx) {
    const trips = [];
    const rows = { count: 0 };
    const response = await tenant.fetch(request, { ...env, DB: counting(trips, rows)(env.DB) }, ctx);
    const answer = new Response(response.body, response);
    answer.headers.set("${ROUND_TRIPS_HEADER}", String(trips.length));
    answer.headers.set("${ROUND_TRIPS_LOG_HEADER}", JSON.stringify(trips));
    answer.headers.set("${ROWS_RETURNED_HEADER}", String(rows.count));
    return answer;
  },
};
`;
