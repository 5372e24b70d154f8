import { z } from "zod";
import type { ErrorDetail } from "../api-error.ts";
import type { Collection } from "../store/define-collection.ts";
import { DOCUMENT_ID } from "../../../contracts/document-id.ts";
import type { StoreQueryable } from "../store/store-db.ts";
import {
  CONFLUENT_TABLES,
  DEFAULT_HIERARCHY,
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
  PARENT_REFERENCES,
  type ConfluentTable,
} from "./export-format.ts";
import { schemaIdCache } from "../confluent/confluent-store.ts";

/** Why an import was refused; nothing was written in any of these cases. */
export type ImportRefusal =
  /** The document is not an export (wrong envelope or document fields): the request's fault, 400. */
  | { ok: false; kind: "invalid_envelope"; error: z.ZodError }
  /** Documents break the collections' rules (zod body, duplicate id, unique fields, missing parent): 422. */
  | { ok: false; kind: "invalid_documents"; details: ErrorDetail[] }
  /** The tenant holds data (beyond the untouched default hierarchy), or changed during the import: 409. */
  | { ok: false; kind: "not_empty"; counts: Record<string, number> };

export type ImportResult =
  | { ok: true; imported: Record<string, number>; replacedDefaultHierarchy: boolean }
  | ImportRefusal;

/** Details listed at most (the first problems are enough to fix a file; the rest would be noise). */
const MAX_DETAILS = 50;
/** Bytes of row data per INSERT statement: under D1's 2 MB limit for one bound value. */
const CHUNK_BYTES = 512 * 1024;

const exportedDocument = z.strictObject({
  id: z.string().regex(DOCUMENT_ID),
  _version: z.number().int().min(1),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  body: z.unknown(),
});

const text = z.string();
const nullableText = z.string().nullable();
const integer = z.number().int();
/** The rows of the Confluent tables (export-format.ts, CONFLUENT_TABLES), column by column. */
const confluentRows = z.strictObject({
  confluent_schema_ids: z
    .array(
      z.strictObject({
        id: integer.min(1),
        schema_type: z.enum(["AVRO", "JSON", "PROTOBUF"]),
        schema: text,
        hash: text,
        created_at: text,
        refs: nullableText,
        guid: nullableText,
      }),
    )
    .optional(),
  confluent_versions: z
    .array(
      z.strictObject({
        version_id: text,
        schema_id: text,
        version: integer.min(1),
        global_id: integer.min(1),
        metadata: nullableText,
        rule_set: nullableText,
      }),
    )
    .optional(),
  confluent_references: z
    .array(z.strictObject({ global_id: integer.min(1), name: text, subject: text, version: integer }))
    .optional(),
  confluent_settings: z.array(z.strictObject({ subject: text, config: nullableText, mode: nullableText })).optional(),
  confluent_context_ids: z
    .array(z.strictObject({ context: text, id: integer.min(1), schema_row: integer.min(1) }))
    .optional(),
});

function envelopeSchema(collections: readonly Collection[]) {
  const documents = Object.fromEntries(
    collections.map((collection) => [collection.name, z.array(exportedDocument).optional()]),
  );
  return z.strictObject({
    format: z.literal(EXPORT_FORMAT),
    formatVersion: z.literal(EXPORT_FORMAT_VERSION),
    collections: z.strictObject(documents),
    // Absent from exports made before the Confluent tables were exported: those still import.
    confluent: confluentRows.optional(),
  });
}

interface Row {
  id: string;
  json: string;
  created_at: string;
  updated_at: string;
  _version: number;
}

/**
 * Loads an export document (export-format.ts) into an empty registry, all or nothing:
 * 1. the envelope and every document's fields are checked (ids, versions, ISO timestamps);
 * 2. every body is parsed with its collection's zod schema, ids must be unique per collection,
 *    declared unique fields unique, and every child's parent present in the import;
 * 3. the tenant must be empty, except for the untouched default hierarchy of migration 0003
 *    (fixed ids, still at version 1, nothing else), which the import replaces;
 * 4. everything is written in ONE D1 batch (one transaction), led by a guard statement that
 *    aborts it if the tenant changed since step 3. Ids, versions and timestamps are kept as given.
 * Every problem found is reported with its path (`body/collections/<name>/<index>/...`).
 *
 * @example
 *   const result = await importRegistry(session, await c.req.json(), COLLECTIONS);
 *   if (!result.ok && result.kind === "not_empty") throw new ApiError(409, "registry_not_empty", "...");
 */
export async function importRegistry(
  session: StoreQueryable,
  input: unknown,
  collections: readonly Collection[],
): Promise<ImportResult> {
  const envelope = envelopeSchema(collections).safeParse(input);
  if (!envelope.success) return { ok: false, kind: "invalid_envelope", error: envelope.error };
  const given = envelope.data.collections as Record<string, z.output<typeof exportedDocument>[] | undefined>;

  const details: ErrorDetail[] = [];
  const report = (path: string, message: string) => {
    if (details.length < MAX_DETAILS) details.push({ path, message });
  };
  const rows = new Map<string, Row[]>();
  const ids = new Map<string, Set<string>>();
  for (const collection of collections) {
    const documents = given[collection.name] ?? [];
    const seen = new Set<string>();
    const uniques = collection.unique.map(() => new Set<string>());
    const collectionRows: Row[] = [];
    for (const [index, document] of documents.entries()) {
      const at = `body/collections/${collection.name}/${index}`;
      if (seen.has(document.id)) report(`${at}/id`, `duplicate id ${document.id}`);
      seen.add(document.id);
      const parsed = collection.body.safeParse(document.body);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          report([`${at}/body`, ...issue.path.map(String)].join("/"), issue.message);
        continue;
      }
      // The unique indexes, checked here so that the batch cannot fail half-way on one of them.
      for (const [u, fields] of collection.unique.entries()) {
        const values = fields.map((field) =>
          jsonPathValue(parsed.data, collection.indexes.find((candidate) => candidate.name === field)?.jsonPath ?? ""),
        );
        // SQLite treats NULLs as distinct in a unique index, so a tuple with an absent value never collides.
        if (values.some((value) => value === undefined || value === null)) continue;
        const key = JSON.stringify(values);
        if (uniques[u]!.has(key)) report(`${at}/body`, `duplicate ${fields.join(", ")} in ${collection.name}`);
        uniques[u]!.add(key);
      }
      collectionRows.push({
        id: document.id,
        json: JSON.stringify(parsed.data),
        created_at: document.created_at,
        updated_at: document.updated_at,
        _version: document._version,
      });
    }
    rows.set(collection.name, collectionRows);
    ids.set(collection.name, seen);
  }
  // Parents are checked against the import itself: the tenant is empty, so nothing else can be a parent.
  for (const collection of collections) {
    const reference = PARENT_REFERENCES[collection.name];
    if (!reference) continue;
    const parents = ids.get(reference.parent) ?? new Set<string>();
    for (const [index, document] of (given[collection.name] ?? []).entries()) {
      const parentId = (document.body as Record<string, unknown> | null)?.[reference.field];
      if (typeof parentId === "string" && !parents.has(parentId)) {
        report(
          `body/collections/${collection.name}/${index}/body/${reference.field}`,
          `no ${reference.parent} document with id ${parentId} in the import`,
        );
      }
    }
  }
  const confluent = envelope.data.confluent;
  if (confluent) {
    // Every Confluent version names a version document and its schema from the import; ids once.
    const versionIds = ids.get("schema_versions") ?? new Set<string>();
    const schemaIds = ids.get("schemas") ?? new Set<string>();
    for (const [index, row] of (confluent.confluent_versions ?? []).entries()) {
      if (!versionIds.has(row.version_id))
        report(
          `body/confluent/confluent_versions/${index}/version_id`,
          `no schema_versions document with id ${row.version_id} in the import`,
        );
      if (!schemaIds.has(row.schema_id))
        report(
          `body/confluent/confluent_versions/${index}/schema_id`,
          `no schemas document with id ${row.schema_id} in the import`,
        );
    }
    const globalIds = new Set<number>();
    for (const [index, row] of (confluent.confluent_schema_ids ?? []).entries()) {
      if (globalIds.has(row.id)) report(`body/confluent/confluent_schema_ids/${index}/id`, `duplicate id ${row.id}`);
      globalIds.add(row.id);
    }
    const contextIds = new Set<string>();
    for (const [index, row] of (confluent.confluent_context_ids ?? []).entries()) {
      const key = `${row.context}\u0000${row.id}`;
      if (contextIds.has(key))
        report(`body/confluent/confluent_context_ids/${index}/id`, `duplicate id ${row.id} in context ${row.context}`);
      contextIds.add(key);
      if (!globalIds.has(row.schema_row))
        report(
          `body/confluent/confluent_context_ids/${index}/schema_row`,
          `no confluent_schema_ids row with id ${row.schema_row} in the import`,
        );
    }
    for (const [index, row] of (confluent.confluent_versions ?? []).entries()) {
      if (!globalIds.has(row.global_id))
        report(
          `body/confluent/confluent_versions/${index}/global_id`,
          `no confluent_schema_ids row with id ${row.global_id} in the import`,
        );
    }
  }
  if (details.length > 0) return { ok: false, kind: "invalid_documents", details };

  const state = await tenantState(session, collections);
  if (!state.empty) return { ok: false, kind: "not_empty", counts: state.counts };

  const statements: D1PreparedStatement[] = [guardStatement(session, collections, state)];
  if (state.defaultHierarchy) {
    // Children first, although nothing enforces foreign keys: the order a reader would expect.
    for (const table of Object.keys(DEFAULT_HIERARCHY).reverse()) {
      statements.push(
        session.prepare(`DELETE FROM ${table} WHERE id = ? AND _version = 1`).bind(DEFAULT_HIERARCHY[table]!),
      );
    }
  }
  const imported: Record<string, number> = {};
  for (const collection of collections) {
    const collectionRows = rows.get(collection.name) ?? [];
    imported[collection.name] = collectionRows.length;
    for (const chunk of chunks(collectionRows)) {
      // One bound JSON array per statement, unpacked by json_each: D1 allows 100 bound parameters
      // per statement, and this way a chunk of many rows is one statement of the batch.
      statements.push(
        session
          .prepare(
            `INSERT INTO ${collection.name} (id, body, created_at, updated_at, _version) ` +
              "SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]' " +
              "FROM json_each(?) ORDER BY key",
          )
          .bind(chunk),
      );
    }
  }
  if (confluent) {
    // The import brings the Confluent numbering with it: whatever an empty registry held there
    // (ids of schemas long deleted) gives way to it, in the same transaction.
    for (const table of Object.keys(CONFLUENT_TABLES) as ConfluentTable[])
      statements.push(session.prepare(`DELETE FROM ${table}`));
    for (const table of Object.keys(CONFLUENT_TABLES) as ConfluentTable[]) {
      const columns: readonly string[] = CONFLUENT_TABLES[table];
      const tableRows = (confluent[table] ?? []) as Record<string, unknown>[];
      imported[table] = tableRows.length;
      for (const chunk of rawChunks(
        tableRows.map((row) => JSON.stringify(columns.map((column) => row[column] ?? null))),
      )) {
        statements.push(
          session
            .prepare(
              `INSERT INTO ${table} (${columns.join(", ")}) ` +
                `SELECT ${columns.map((_, i) => `value ->> '$[${i}]'`).join(", ")} FROM json_each(?) ORDER BY key`,
            )
            .bind(chunk),
        );
      }
    }
  }
  if (confluent && confluent.confluent_context_ids === undefined) {
    // An export from before ids were numbered per context: each id keeps its number where it was
    // found then (every context), as migration 0008 numbered the tenants it migrated.
    statements.push(
      session.prepare(
        "INSERT INTO confluent_context_ids (context, id, schema_row) SELECT '.', id, id FROM confluent_schema_ids",
      ),
      session
        .prepare(
          `INSERT OR IGNORE INTO confluent_context_ids (context, id, schema_row)
           SELECT DISTINCT c.name, v.global_id, v.global_id
             FROM confluent_versions v JOIN schemas s ON s.id = v.schema_id JOIN contexts c ON c.id = s.context_id
            WHERE c.id != ? AND c.domain_id = ?`,
        )
        .bind(DEFAULT_HIERARCHY.contexts, DEFAULT_HIERARCHY.domains),
    );
  }
  try {
    await session.batch(statements);
    // The import replaces the Confluent numbering: ids this isolate cached may now mean other schemas.
    schemaIdCache.clear();
  } catch (error) {
    // The guard aborts the batch with "malformed JSON" when the tenant changed under the import.
    const after = await tenantState(session, collections);
    if (!after.empty || after.defaultHierarchy !== state.defaultHierarchy)
      return { ok: false, kind: "not_empty", counts: after.counts };
    throw error;
  }
  return { ok: true, imported, replacedDefaultHierarchy: state.defaultHierarchy };
}

function* chunks(rows: readonly Row[]): Generator<string> {
  let part: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    const text = JSON.stringify([row.id, row.json, row.created_at, row.updated_at, row._version]);
    if (part.length > 0 && bytes + text.length > CHUNK_BYTES) {
      yield `[${part.join(",")}]`;
      part = [];
      bytes = 0;
    }
    part.push(text);
    bytes += text.length;
  }
  if (part.length > 0) yield `[${part.join(",")}]`;
}

/** JSON arrays of already-serialised rows, each under CHUNK_BYTES. */
function* rawChunks(rows: readonly string[]): Generator<string> {
  let part: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (part.length > 0 && bytes + row.length > CHUNK_BYTES) {
      yield `[${part.join(",")}]`;
      part = [];
      bytes = 0;
    }
    part.push(row);
    bytes += row.length;
  }
  if (part.length > 0) yield `[${part.join(",")}]`;
}

interface TenantState {
  empty: boolean;
  defaultHierarchy: boolean;
  counts: Record<string, number>;
}

/** Counts every collection and tells whether what is there is only the untouched default hierarchy. */
async function tenantState(session: StoreQueryable, collections: readonly Collection[]): Promise<TenantState> {
  const counts = collections.map((collection) => `(SELECT count(*) FROM ${collection.name}) AS "${collection.name}"`);
  const defaults = Object.entries(DEFAULT_HIERARCHY).map(
    ([table], index) =>
      `(SELECT count(*) FROM ${table} WHERE id = ?${index + 1} AND _version = 1) AS "default_${table}"`,
  );
  const row =
    (await session
      .prepare(`SELECT ${[...counts, ...defaults].join(", ")}`)
      .bind(...Object.values(DEFAULT_HIERARCHY))
      .first<Record<string, number>>()) ?? {};
  const countOf = Object.fromEntries(collections.map((collection) => [collection.name, row[collection.name] ?? 0]));
  const total = Object.values(countOf).reduce((sum, count) => sum + count, 0);
  const defaultHierarchy =
    total > 0 &&
    collections.every(
      (collection) => (countOf[collection.name] ?? 0) === (collection.name in DEFAULT_HIERARCHY ? 1 : 0),
    ) &&
    Object.keys(DEFAULT_HIERARCHY).every((table) => row[`default_${table}`] === 1);
  return { empty: total === 0 || defaultHierarchy, defaultHierarchy, counts: countOf };
}

/**
 * The batch's first statement: it fails (json('changed') is malformed JSON, which aborts and rolls
 * back the whole batch) unless every collection still has the count the emptiness check saw and,
 * when the default hierarchy is being replaced, its documents are still untouched (version 1).
 */
function guardStatement(
  session: StoreQueryable,
  collections: readonly Collection[],
  state: TenantState,
): D1PreparedStatement {
  const checks = collections.map((collection) => `(SELECT count(*) FROM ${collection.name}) = ?`);
  const values: (string | number)[] = collections.map((collection) => state.counts[collection.name] ?? 0);
  if (state.defaultHierarchy) {
    for (const [table, id] of Object.entries(DEFAULT_HIERARCHY)) {
      checks.push(`EXISTS (SELECT 1 FROM ${table} WHERE id = ? AND _version = 1)`);
      values.push(id);
    }
  }
  return session
    .prepare(`SELECT json(CASE WHEN ${checks.join(" AND ")} THEN '1' ELSE 'changed' END) AS guard`)
    .bind(...values);
}

/** The value at a declared index path (`$.a.b`, `$.list[0]`: the only forms defineCollection allows). */
function jsonPathValue(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const [, key, index] of path.slice(1).matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g)) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key ?? Number(index)];
  }
  return current;
}
