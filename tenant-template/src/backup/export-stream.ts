import type { Collection } from "../store/define-collection.ts";
import type { StoreQueryable } from "../store/store-db.ts";
import { CONFLUENT_TABLES, EXPORT_FORMAT, EXPORT_FORMAT_VERSION } from "./export-format.ts";

/** Documents per D1 query and per chunk of the stream. */
const EXPORT_PAGE_SIZE = 500;

interface Row {
  id: string;
  body: string;
  _version: number;
  created_at: string;
  updated_at: string;
}

/**
 * The whole registry as one JSON document (see export-format.ts), produced as a stream: one chunk
 * per page of `pageSize` documents, each page read from D1 only when the reader asks for more
 * (pull), so a large registry never sits in memory whole and a slow client holds back the reads.
 * Bodies are copied as stored (they are JSON text, checked by `json_valid`), never re-serialised.
 * The first page is read before the stream is returned, so a failing database is an error the
 * caller can still answer with a status; a failure later errors the stream (the client gets a
 * truncated, invalid JSON document, never a silently partial one).
 *
 * @example
 *   const stream = await exportStream(c.var.session, COLLECTIONS);
 *   return new Response(stream, { headers: { "content-type": "application/json" } });
 */
export async function exportStream(
  session: StoreQueryable,
  collections: readonly Collection[],
  pageSize: number = EXPORT_PAGE_SIZE,
): Promise<ReadableStream<Uint8Array>> {
  const encoder = new TextEncoder();
  const pages = documentPages(session, collections, pageSize);
  const first = await pages.next();
  let pending: IteratorResult<string> | null = first;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = pending ?? (await pages.next());
        pending = null;
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await pages.return(undefined);
      },
    },
    // One page at a time: the next query runs only once the reader has taken the previous page.
    { highWaterMark: 0 },
  );
}

async function* documentPages(
  session: StoreQueryable,
  collections: readonly Collection[],
  pageSize: number,
): AsyncGenerator<string> {
  let text = `{"format":${JSON.stringify(EXPORT_FORMAT)},"formatVersion":${EXPORT_FORMAT_VERSION},"collections":{`;
  for (const [index, collection] of collections.entries()) {
    text += `${index === 0 ? "" : ","}\n${JSON.stringify(collection.name)}:[`;
    // Keyset pagination by id: every page is one indexed range read, however deep the export is.
    // Table names come from the declarations, never from input.
    const query = session.prepare(
      `SELECT id, body, _version, created_at, updated_at FROM ${collection.name} WHERE id > ? ORDER BY id LIMIT ?`,
    );
    let count = 0;
    for await (const rows of keysetPages<Row, string>(query, "", (row) => row.id, pageSize)) {
      for (const row of rows) {
        text +=
          `${count === 0 ? "" : ","}\n{"id":${JSON.stringify(row.id)},"_version":${row._version},` +
          `"created_at":${JSON.stringify(row.created_at)},"updated_at":${JSON.stringify(row.updated_at)},` +
          `"body":${row.body}}`;
        count += 1;
      }
      yield text;
      text = "";
    }
    text += "]";
  }
  text += `},"confluent":{`;
  for (const [index, [table, columns]] of Object.entries(CONFLUENT_TABLES).entries()) {
    text += `${index === 0 ? "" : ","}\n${JSON.stringify(table)}:[`;
    // Keyset by rowid (every one of these tables has one); names come from the constant, never input.
    const query = session.prepare(
      `SELECT rowid AS _rowid, ${columns.join(", ")} FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`,
    );
    let count = 0;
    type RowidRow = Record<string, unknown> & { _rowid: number };
    for await (const rows of keysetPages<RowidRow, number>(query, 0, (row) => row._rowid, pageSize)) {
      for (const row of rows) {
        text +=
          `${count === 0 ? "" : ","}\n` +
          `${JSON.stringify(Object.fromEntries(columns.map((column) => [column, row[column] ?? null])))}`;
        count += 1;
      }
      yield text;
      text = "";
    }
    text += "]";
  }
  yield `${text}}}\n`;
}

/**
 * The non-empty pages of a keyset query (`... WHERE key > ? ORDER BY key LIMIT ?`), read one at a
 * time: each page starts after the previous page's last key.
 */
async function* keysetPages<R, K>(
  query: D1PreparedStatement,
  start: K,
  keyOf: (row: R) => K,
  pageSize: number,
): AsyncGenerator<R[]> {
  let after = start;
  for (;;) {
    const { results } = await query.bind(after, pageSize).all<R>();
    const last = results.at(-1);
    if (last === undefined) return;
    yield results;
    if (results.length < pageSize) return;
    after = keyOf(last);
  }
}
