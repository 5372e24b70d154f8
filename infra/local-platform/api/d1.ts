import { randomUUID } from "node:crypto";
/** D1 databases: create (with jurisdiction / location hint), list, get, delete, query and raw. */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { badRequest, conflict, jsonBody, notFound, ok, paginate } from "../cloudflare-envelope.ts";
import { requireAccount, type PlatformContext } from "../platform-context.ts";
import type { D1Record } from "../platform-state.ts";
import { nowIso } from "../platform-state.ts";
import { splitSqlStatements } from "../sql-statements.ts";

const LOCATION_HINTS = ["wnam", "enam", "weur", "eeur", "apac", "oc"] as const;

/**
 * The region a query's `meta.served_by_region` names: one of Cloudflare's location hints in upper
 * case (the only values its D1 docs allow), the primary's hint, WEUR for an EU database and WNAM
 * when neither says (nothing here is really placed anywhere).
 */
function servedByRegion(record: D1Record): Uppercase<(typeof LOCATION_HINTS)[number]> {
  const hint = LOCATION_HINTS.find((h) => h === record.primaryLocationHint);
  if (hint !== undefined) return hint.toUpperCase() as Uppercase<typeof hint>;
  return record.jurisdiction === "eu" ? "WEUR" : "WNAM";
}
const Param = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const Query = z.object({ sql: z.string().min(1, "sql must not be empty"), params: z.array(Param).optional() });
const QueryBody = z.union([Query.strict(), z.object({ batch: z.array(Query).min(1) }).strict()]);

export function d1Routes(ctx: PlatformContext): Hono {
  const app = new Hono();
  const { state } = ctx;
  const base = "/accounts/:account_id/d1/database";

  const requireDatabase = (c: Context): D1Record => {
    requireAccount(ctx, c);
    const idOrName = c.req.param("database_id")!;
    // Cloudflare also takes the database's name in place of its id (wrangler relies on it).
    const record = state.data.d1[idOrName] ?? Object.values(state.data.d1).find((d) => d.name === idOrName);
    if (record === undefined) throw notFound(7404, "The database could not be found");
    return record;
  };
  /** A list item, as Cloudflare's "List D1 Databases" answers it (the SDK's DatabaseListResponse). */
  const listItem = (record: D1Record) => ({
    uuid: record.uuid,
    name: record.name,
    created_at: record.createdAt,
    version: "production",
    ...(record.jurisdiction === undefined ? {} : { jurisdiction: record.jurisdiction }),
  });
  /** One database's details (the SDK's D1): the list item's fields and its read replication. */
  const view = (record: D1Record, extra: Record<string, unknown> = {}) => ({
    ...listItem(record),
    read_replication: { mode: record.readReplicationMode },
    ...extra,
  });

  app.post(base, async (c) => {
    requireAccount(ctx, c);
    const body = await jsonBody(
      c,
      z.object({
        name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lower-case letters, digits, - and _, at most 64"),
        primary_location_hint: z.enum(LOCATION_HINTS).optional(),
        jurisdiction: z.enum(["eu", "fedramp", "us"]).optional(),
        read_replication: z.object({ mode: z.enum(["auto", "disabled"]) }).optional(),
      }),
    );
    if (Object.values(state.data.d1).some((d) => d.name === body.name))
      throw conflict(7502, "A database with that name already exists");
    if (Object.keys(state.data.d1).length >= ctx.limits.d1Databases) {
      throw badRequest(7406, "Your account has reached the maximum number of databases allowed");
    }
    const record: D1Record = {
      uuid: randomUUID(),
      name: body.name,
      createdAt: nowIso(),
      // A jurisdiction overrides the location hint, as on Cloudflare.
      ...(body.jurisdiction === undefined ? {} : { jurisdiction: body.jurisdiction }),
      ...(body.jurisdiction === undefined && body.primary_location_hint !== undefined
        ? { primaryLocationHint: body.primary_location_hint }
        : {}),
      readReplicationMode: body.read_replication?.mode ?? "disabled",
    };
    state.data.d1[record.uuid] = record;
    state.save();
    // No need to restart workerd now: the first query or script upload that needs it will.
    return ok(c, view(record, { num_tables: 0, file_size: 0 }));
  });

  app.get(base, (c) => {
    requireAccount(ctx, c);
    const name = c.req.query("name");
    const all = Object.values(state.data.d1)
      .filter((d) => name === undefined || d.name.includes(name))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const { page, info } = paginate(
      c,
      all.map((d) => listItem(d)),
      1000,
      10000,
    );
    return ok(c, page, info);
  });

  app.get(`${base}/:database_id`, async (c) => {
    const record = requireDatabase(c);
    // D1 refuses pragma functions; every result's meta carries the database's size instead.
    const [tables] = await ctx.runtime.queryD1(record.uuid, [
      {
        sql:
          "SELECT count(*) AS n FROM sqlite_master " +
          "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
        params: [],
      },
    ]);
    const count = (tables?.results?.[0] as { n?: number } | undefined)?.n ?? 0;
    return ok(c, view(record, { num_tables: count, file_size: tables?.meta?.size_after ?? 0 }));
  });

  app.patch(`${base}/:database_id`, async (c) => {
    const record = requireDatabase(c);
    const body = await jsonBody(
      c,
      z.object({ read_replication: z.object({ mode: z.enum(["auto", "disabled"]) }) }).strict(),
    );
    record.readReplicationMode = body.read_replication.mode;
    state.save();
    return ok(c, view(record));
  });

  const emptyDatabase = async (uuid: string) => {
    try {
      const [objects] = await ctx.runtime.queryD1(uuid, [
        {
          sql:
            "SELECT type, name FROM sqlite_master " +
            "WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
          params: [],
        },
      ]);
      const drops = ((objects?.results ?? []) as { type: string; name: string }[]).map((o) => ({
        sql: `DROP ${o.type === "view" ? "VIEW" : "TABLE"} IF EXISTS "${o.name.replaceAll('"', '""')}"`,
        params: [],
      }));
      if (drops.length > 0) await ctx.runtime.queryD1(uuid, drops);
    } catch {
      // Best effort: the record goes regardless, and with it every way to reach the data.
    }
  };

  app.delete(`${base}/:database_id`, async (c) => {
    const record = requireDatabase(c);
    // Empty the database (and its read replica) first so nothing of the tenant's data stays on disk.
    for (const storageId of ctx.runtime.storageIds(record.uuid)) await emptyDatabase(storageId);
    delete state.data.d1[record.uuid];
    state.save();
    // No restart: the admin Worker's binding to it is dropped with the next one, and nothing
    // else can reach it (uploads that bind a deleted id are refused).
    return ok(c, null);
  });

  const runQueries = async (c: Context, raw: boolean) => {
    const record = requireDatabase(c);
    const body = await jsonBody(c, QueryBody);
    const queries = "batch" in body ? body.batch : [body];
    const statements: { sql: string; params: z.output<typeof Param>[] }[] = [];
    for (const query of queries) {
      const parts = splitSqlStatements(query.sql);
      if (parts.length === 0) throw badRequest(7500, "No SQL statements to execute");
      if (parts.length > 1 && (query.params?.length ?? 0) > 0) {
        throw badRequest(
          7500,
          "Parameters can only be bound to a single SQL statement; send several statements in `batch`",
        );
      }
      for (const sql of parts) statements.push({ sql, params: parts.length === 1 ? (query.params ?? []) : [] });
    }
    const started = performance.now();
    try {
      const results = await ctx.runtime.queryD1(record.uuid, statements);
      const duration = performance.now() - started;
      return ok(
        c,
        results.map((result) => {
          const rows = result.results ?? [];
          const meta = {
            served_by_region: servedByRegion(record),
            served_by_primary: true,
            duration: result.meta?.duration ?? duration,
            changes: result.meta?.changes ?? 0,
            last_row_id: result.meta?.last_row_id ?? 0,
            changed_db: result.meta?.changed_db ?? false,
            size_after: result.meta?.size_after ?? 0,
            rows_read: result.meta?.rows_read ?? 0,
            rows_written: result.meta?.rows_written ?? 0,
          };
          if (!raw) return { results: rows, success: true, meta };
          const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
          return { results: { columns, rows: rows.map((row) => columns.map((col) => row[col])) }, success: true, meta };
        }),
      );
    } catch (error) {
      const message = String((error as Error)?.message ?? error).replace(/^D1_ERROR: /, "");
      throw badRequest(7500, message.includes("SQLITE_") ? message : `${message}: SQLITE_ERROR`);
    }
  };
  app.post(`${base}/:database_id/query`, (c) => runQueries(c, false));
  app.post(`${base}/:database_id/raw`, (c) => runQueries(c, true));

  return app;
}
