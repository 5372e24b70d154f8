/**
 * The Confluent view of the document store (docs/confluent-api.md): subjects are schemas,
 * subject versions are schema_versions documents, and the Confluent numbers (a version number per
 * subject, a global schema id per tenant), references, metadata, rule sets, configs and modes live
 * in the tables of migrations 0004 and 0006.
 */
import { type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from "kysely";
import { canonicalJson } from "../../../contracts/canonical-json.ts";
import { sha256Hex } from "../../../contracts/sha256-hex.ts";
import { contexts, schemas, schemaVersions, type SCHEMA_FORMATS } from "../store/collections.ts";
import type { BodyOf } from "../store/define-collection.ts";
import { documentRepository } from "../store/document-repository.ts";
import { newDocumentId } from "../store/new-document-id.ts";
import type { StoreDatabase } from "../store/collections.ts";
import { prepared, rowsOf, storeDb, type StoreQueryable } from "../store/store-db.ts";
import type { StoredDocument } from "../store/store-result.ts";
import { insertChild } from "../registry/insert-child.ts";
import { compareSemanticVersions, nextSemanticVersion, type VersionBump } from "../registry/semantic-version.ts";
import { CONFLUENT_ERRORS, ConfluentError } from "./confluent-error.ts";
import { SchemaIdCache } from "./schema-id-cache.ts";

export type SchemaType = (typeof SCHEMA_FORMATS)[number];

/** The default hierarchy of migration 0003: My Domain, and My Context (Confluent's `.`). */
const DEFAULT_DOMAIN_ID = "00000000-0000-7000-8000-000000000002";
const DEFAULT_CONTEXT_ID = "00000000-0000-7000-8000-000000000003";
/** What a schema created through the Confluent API is filed as (Kafka records are events). */
const CONFLUENT_SCHEMA_CATEGORY = "Events";
const CONFLUENT_SCHEMA_SCOPE = "Public";

/** A subject name split into its Confluent context (`.` is the default) and its name in it. */
export interface SubjectName {
  context: string;
  name: string;
  /** The canonical spelling: `name` in the default context, `:.ctx:name` in another. */
  qualified: string;
}

// `:.ctx:name` (Confluent's qualified subject); `:.:name` is the default context spelled out.
const QUALIFIED = /^:\.([^:]*):(.*)$/s;

/** The settings key of a context's own level (`:.ctx:`), or the global one (`''`) for the default context. */
export function contextKey(context: string): string {
  return context === "." ? "" : `:.${context}:`;
}

/**
 * The context a `/contexts/{ctx}/...` URL names, not yet checked: `.`, `:.:` or empty is the
 * default context (`.`); `:.ctx:` and `.ctx` are `ctx`. The Confluent routes and the access checks
 * both read the URL with this, so a key's scope is judged on the subject the route acts on.
 *
 * @example
 *   contextOfUrl(":.:") // "."
 *   contextOfUrl(":.payments:") // "payments"
 *   contextOfUrl(".payments") // "payments"
 */
export function contextOfUrl(raw: string): string {
  if (raw === "." || raw === ":.:" || raw === "") return ".";
  return raw.startsWith(":.") && raw.endsWith(":") ? raw.slice(2, -1) : raw.startsWith(".") ? raw.slice(1) : raw;
}

/** How a context is written in answers and URLs: `.` for the default, `.ctx` for another. */
export function contextLabel(context: string): string {
  return context === "." ? "." : `.${context}`;
}

/**
 * `urlContext` is the `{ctx}` of a `/contexts/{ctx}/...` URL: a plain subject name is taken as
 * being in that context (a qualified one keeps its own).
 *
 * @example
 *   parseSubject(":.payments:orders-value");
 *   // { context: "payments", name: "orders-value", qualified: ":.payments:orders-value" }
 *   parseSubject("orders-value");
 *   // { context: ".", name: "orders-value", qualified: "orders-value" }
 *   parseSubject("orders-value", "payments");
 *   // { context: "payments", ... qualified: ":.payments:orders-value" }
 */
export function parseSubject(subject: string, urlContext = "."): SubjectName {
  const match = QUALIFIED.exec(subject);
  const context = match === null ? urlContext : match[1] === "" ? "." : match[1]!;
  const name = match === null ? subject : match[2]!;
  return { context, name, qualified: context === "." ? name : `:.${context}:${name}` };
}

type SchemaDocument = StoredDocument<BodyOf<typeof schemas>>;
type VersionDocument = StoredDocument<BodyOf<typeof schemaVersions>>;

/** A schema reference as Confluent sends it: the name the schema uses, and the version it means. */
export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** What a schema id stands for in a context. */
export interface SchemaRecord {
  /** The id, in `context`'s numbering. */
  id: number;
  /** The context the id is numbered in (`.` is the default one). */
  context: string;
  schemaType: SchemaType;
  /** The text as first registered under this id. */
  schema: string;
  references: SchemaReference[];
  guid: string;
}

/**
 * This isolate's cache of ids -> schemas (module state lives as long as the isolate and is never
 * shared with another); deletes below evict from it. See schema-id-cache.ts for why it is safe.
 */
export const schemaIdCache = new SchemaIdCache<SchemaRecord>();

/** One version of a subject as Confluent sees it. */
export interface SubjectVersion {
  document: VersionDocument;
  version: number;
  /** The schema id, in the subject's context. */
  globalId: number;
  /** The subject's context (`.` is the default one), which numbers `globalId`. */
  context: string;
  /** Soft-deleted: the version document's status is Removed. */
  deleted: boolean;
  references: SchemaReference[];
  metadata: Record<string, unknown> | null;
  ruleSet: Record<string, unknown> | null;
  guid: string | null;
}

type Db = Kysely<StoreDatabase>;

/** A document's stored columns, as the store's own reads take them. */
const DOCUMENT_COLUMNS = ["id", "body", "created_at", "updated_at", "_version"] as const;

interface DocumentRow {
  id: string;
  body: string;
  created_at: string;
  updated_at: string;
  _version: number;
}

function documentOf<Body>(row: DocumentRow): StoredDocument<Body> {
  return {
    id: row.id,
    body: JSON.parse(row.body) as Body,
    version: row._version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The hierarchy context a Confluent context maps to, as a query answering its id (no row: none):
 * My Context by its fixed id for `.`, else the oldest context of that name under My Domain.
 */
function contextIdQuery(db: Db, context: string) {
  const query = db.selectFrom("contexts").select("id");
  return context === "."
    ? query.where("id", "=", DEFAULT_CONTEXT_ID)
    : query.where("domain_id", "=", DEFAULT_DOMAIN_ID).where("name", "=", context).orderBy("id").limit(1);
}

/** The hierarchy context a Confluent context maps to, created when `create` is set. */
async function contextIdOf(session: StoreQueryable, context: string, create: boolean): Promise<string | null> {
  const db = storeDb(session);
  const found = await contextIdQuery(db, context).executeTakeFirst();
  if (found) return found.id;
  if (context === "." || !create) return null;
  const inserted = await insertChild(
    session,
    contexts,
    { table: "domains", id: DEFAULT_DOMAIN_ID },
    { domainId: DEFAULT_DOMAIN_ID, name: context },
  );
  if (inserted.ok) return inserted.document.id;
  // Another request created it first (unique violation): use theirs.
  const again = await contextIdQuery(db, context).executeTakeFirst();
  if (again) return again.id;
  throw new ConfluentError(
    CONFLUENT_ERRORS.storeError,
    `The default domain is missing: context '${context}' cannot be created.`,
  );
}

/**
 * The schema document a subject names, as a query: by name within its context. A name can exist
 * in several categories (the hierarchy's unique key is context + category + name): the Confluent
 * category wins, then the oldest.
 */
export function subjectSchemaQuery(db: Db, subject: SubjectName) {
  return db
    .selectFrom("schemas")
    .where("context_id", "=", contextIdQuery(db, subject.context))
    .where("name", "=", subject.name)
    .orderBy(sql`schema_type_category = ${CONFLUENT_SCHEMA_CATEGORY}`, "desc")
    .orderBy("created_at")
    .orderBy("id")
    .limit(1);
}

/** The schema document a subject names (see `subjectSchemaQuery`), in one query. */
export async function findSubject(session: StoreQueryable, subject: SubjectName): Promise<SchemaDocument | null> {
  const row = await subjectSchemaQuery(storeDb(session), subject).select(DOCUMENT_COLUMNS).executeTakeFirst();
  return row === undefined ? null : documentOf(row);
}

/**
 * The schema document of a subject found missing: created in its context (`contextId`, when
 * known; else looked up, and created when missing), or the one a concurrent request just made.
 */
export async function createSubject(
  session: StoreQueryable,
  subject: SubjectName,
  knownContextId: string | null,
): Promise<SchemaDocument> {
  const contextId = knownContextId ?? (await contextIdOf(session, subject.context, true));
  if (contextId === null)
    throw new ConfluentError(
      CONFLUENT_ERRORS.storeError,
      "The default context (My Context) was deleted: recreate it through /api.",
    );
  const body = {
    contextId,
    name: subject.name,
    schemaTypeCategory: CONFLUENT_SCHEMA_CATEGORY,
    scope: CONFLUENT_SCHEMA_SCOPE,
  } as const;
  const inserted = await insertChild(session, schemas, { table: "contexts", id: contextId }, body);
  if (inserted.ok) return inserted.document as SchemaDocument;
  const raced = await findSubject(session, subject);
  if (raced) return raced;
  throw new ConfluentError(CONFLUENT_ERRORS.storeError, `Subject '${subject.qualified}' could not be created.`);
}

/**
 * The form two registrations are compared in, as Confluent dedups: JSON (Avro, JSON Schema)
 * without insignificant whitespace; .proto text without comments and with whitespace only where
 * it separates words. The text itself is stored and returned as first registered.
 *
 * @example
 *   canonicalSchema("AVRO", '{ "type" : "string" }'); // '{"type":"string"}'
 */
export function canonicalSchema(schemaType: SchemaType, schema: string): string {
  if (schemaType === "PROTOBUF") {
    return schema
      .replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, " ")
      .replace(/\s+/g, " ")
      .replace(/\s*([{}()[\];=,<>])\s*/g, "$1")
      .trim();
  }
  try {
    const parsed: unknown = JSON.parse(schema);
    return canonicalJson(schemaType === "AVRO" ? avroFullNames(parsed, "", new Set()) : parsed);
  } catch {
    return schema;
  }
}

/** Attributes that document an Avro schema without changing what it reads or writes: left out of the comparison. */
const AVRO_DOCUMENTATION = new Set(["doc", "aliases", "order"]);

const AVRO_PRIMITIVES = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);

/**
 * An Avro schema with every named type written by its full name and no `namespace` keys, so an
 * inherited namespace and the same namespace spelled out compare equal (as Avro's own
 * Schema.toString() makes them, which Confluent compares).
 */
function avroFullNames(node: unknown, namespace: string, defined: Set<string>): unknown {
  if (typeof node === "string") {
    if (AVRO_PRIMITIVES.has(node) || node.includes(".")) return node;
    const qualified = namespace === "" ? node : `${namespace}.${node}`;
    return defined.has(qualified) || !defined.has(node) ? qualified : node;
  }
  if (Array.isArray(node)) return node.map((branch) => avroFullNames(branch, namespace, defined));
  if (typeof node !== "object" || node === null) return node;
  const object = node as Record<string, unknown>;
  const type = object.type;
  if (
    (type === "record" || type === "error" || type === "enum" || type === "fixed") &&
    typeof object.name === "string"
  ) {
    const fullName = object.name.includes(".")
      ? object.name
      : typeof object.namespace === "string" && object.namespace !== ""
        ? `${object.namespace}.${object.name}`
        : object.namespace === ""
          ? object.name
          : namespace === ""
            ? object.name
            : `${namespace}.${object.name}`;
    defined.add(fullName);
    const inner = fullName.includes(".") ? fullName.slice(0, fullName.lastIndexOf(".")) : "";
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(object)) {
      if (key === "namespace" || AVRO_DOCUMENTATION.has(key)) continue;
      if (key === "name") out.name = fullName;
      else if (key === "fields" && Array.isArray(value)) {
        out.fields = value.map((field) => {
          if (typeof field !== "object" || field === null) return field;
          const kept = Object.fromEntries(
            Object.entries(field as Record<string, unknown>).filter(([fieldKey]) => !AVRO_DOCUMENTATION.has(fieldKey)),
          );
          return { ...kept, type: avroFullNames((field as Record<string, unknown>).type, inner, defined) };
        });
      } else out[key] = value;
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (AVRO_DOCUMENTATION.has(key)) continue;
    out[key] = key === "type" || key === "items" || key === "values" ? avroFullNames(value, namespace, defined) : value;
  }
  return out;
}

/**
 * What makes two registrations the same schema id: type, canonical text and references (metadata
 * and rule sets belong to versions: the same schema with other metadata is a new version under
 * the same id, as in Confluent).
 */
export interface SchemaIdentity {
  schemaType: SchemaType;
  schema: string;
  references: readonly SchemaReference[];
  /** The referrer's context, which plain reference subjects are in (not part of the identity). */
  context?: string;
}

async function identityHash(identity: SchemaIdentity): Promise<string> {
  const references = identity.references.map(({ name, subject, version }) => ({ name, subject, version }));
  const context = identity.context ?? ".";
  // A named context has rows of its own (its plain reference subjects are its own); the default
  // context's hash is unchanged since before contexts numbered ids, so its schemas keep their rows.
  return sha256Hex(
    JSON.stringify([
      identity.schemaType,
      canonicalSchema(identity.schemaType, identity.schema),
      references,
      ...(context === "." ? [] : [context]),
    ]),
  );
}

function newGuid(): string {
  return crypto.randomUUID();
}

type SchemaRow = { id: number; schema_type: SchemaType; schema: string; refs: string | null; guid: string | null };

function recordOf(row: SchemaRow, context: string): SchemaRecord {
  return {
    id: row.id,
    context,
    schemaType: row.schema_type,
    schema: row.schema,
    references: row.refs === null ? [] : (JSON.parse(row.refs) as SchemaReference[]),
    guid: row.guid ?? "",
  };
}

/**
 * The statements that give a schema its row and its id in its context when it has none, then
 * answer both (`allocateSchemaId`). One batch is one transaction, so the same identity always gets
 * the same row and the same id: a concurrent registration of it finds them made.
 */
function allocationStatements(db: Db, identity: SchemaIdentity, hash: string, claimed?: number) {
  const context = identity.context ?? ".";
  const rowOfHash = sql<number>`(SELECT min(id) FROM confluent_schema_ids WHERE hash = ${hash})`;
  const references = identity.references.map(({ name, subject, version }) => ({ name, subject, version }));
  const insertRow = db
    .insertInto("confluent_schema_ids")
    .columns(["schema_type", "schema", "hash", "created_at", "refs", "guid"])
    .expression(
      db
        .selectNoFrom([
          sql<string>`${identity.schemaType}`.as("schema_type"),
          sql<string>`${identity.schema}`.as("schema"),
          sql<string>`${hash}`.as("hash"),
          sql<string>`${new Date().toISOString()}`.as("created_at"),
          sql<string | null>`${references.length === 0 ? null : JSON.stringify(references)}`.as("refs"),
          sql<string>`${newGuid()}`.as("guid"),
        ])
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom("confluent_schema_ids").select("id").where("hash", "=", hash))),
        ),
    );
  // One row per reference, naming its subject qualified (relative to the referrer's context).
  const insertReferences = identity.references.map((reference) =>
    db
      .insertInto("confluent_references")
      .columns(["global_id", "name", "subject", "version"])
      .expression(
        db.selectNoFrom([
          rowOfHash.as("global_id"),
          sql<string>`${reference.name}`.as("name"),
          sql<string>`${parseSubject(reference.subject, context).qualified}`.as("subject"),
          sql<number>`${reference.version}`.as("version"),
        ]),
      )
      .onConflict((conflict) => conflict.doNothing()),
  );
  // The id claimed (IMPORT), unless taken; else the next id of the context, unless the row has one there.
  const claim = db
    .insertInto("confluent_context_ids")
    .columns(["context", "id", "schema_row"])
    .expression(
      db.selectNoFrom([
        sql<string>`${context}`.as("context"),
        sql<number>`${claimed ?? 0}`.as("id"),
        rowOfHash.as("schema_row"),
      ]),
    )
    .onConflict((conflict) => conflict.doNothing());
  const next = db
    .insertInto("confluent_context_ids")
    .columns(["context", "id", "schema_row"])
    .expression(
      db
        .selectNoFrom([
          sql<string>`${context}`.as("context"),
          sql<number>`coalesce((SELECT max(id) FROM confluent_context_ids WHERE context = ${context}), 0) + 1`.as("id"),
          rowOfHash.as("schema_row"),
        ])
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("confluent_context_ids")
                .select("id")
                .where("context", "=", context)
                .where("schema_row", "=", rowOfHash),
            ),
          ),
        ),
    );
  const answer = db
    .selectFrom("confluent_context_ids")
    .select([sql<number>`min(id)`.as("id"), "schema_row"])
    .where("context", "=", context)
    .where("schema_row", "=", rowOfHash);
  return { writes: [insertRow, ...insertReferences, claimed === undefined ? next : claim], answer, rowOfHash };
}

/**
 * A schema's row (one per identity) and its id in its context (`identity.context`), allocated on
 * first sight, in one D1 round trip; the same identity always gets the same row and id.
 */
export async function allocateSchemaId(
  session: StoreQueryable,
  identity: SchemaIdentity,
): Promise<{ id: number; row: number }> {
  const { writes, answer } = allocationStatements(storeDb(session), identity, await identityHash(identity));
  const results = await session.batch([...writes, answer].map((query) => prepared(session, query)));
  const found = rowsOf(answer, results.at(-1))[0];
  if (found === undefined || found.id === null)
    throw new ConfluentError(CONFLUENT_ERRORS.storeError, "The schema id could not be allocated: retry.");
  return { id: found.id, row: found.schema_row };
}

/** The row a context's id stands for, or null. */
async function rowOfId(session: StoreQueryable, context: string, id: number): Promise<number | null> {
  const found = await storeDb(session)
    .selectFrom("confluent_context_ids")
    .select("schema_row")
    .where("context", "=", context)
    .where("id", "=", id)
    .executeTakeFirst();
  return found?.schema_row ?? null;
}

/**
 * IMPORT mode: the schema gets exactly `id` in its context. Answers false when `id` already
 * stands for a different schema there (the caller refuses the import); true when it was free or
 * is the same schema.
 */
export async function claimGlobalId(session: StoreQueryable, id: number, identity: SchemaIdentity): Promise<boolean> {
  const context = identity.context ?? ".";
  const hash = await identityHash(identity);
  const db = storeDb(session);
  const holder = db
    .selectFrom("confluent_context_ids as m")
    .innerJoin("confluent_schema_ids as i", "i.id", "m.schema_row")
    .select("i.hash")
    .where("m.context", "=", context)
    .where("m.id", "=", id);
  const existing = await holder.executeTakeFirst();
  if (existing) return existing.hash === hash;
  // The row (made when new) takes `id` unless another schema took it meanwhile: one batch.
  const { writes } = allocationStatements(db, identity, hash, id);
  const results = await session.batch([...writes, holder].map((query) => prepared(session, query)));
  return rowsOf(holder, results.at(-1))[0]?.hash === hash;
}

/** The highest id a context has handed out so far (0 when none). */
export async function maxGlobalId(session: StoreQueryable, context = "."): Promise<number> {
  const found = await storeDb(session)
    .selectFrom("confluent_context_ids")
    .select(sql<number | null>`max(id)`.as("id"))
    .where("context", "=", context)
    .executeTakeFirst();
  return found?.id ?? 0;
}

/** A schema row with the id a context gives it (`m`: confluent_context_ids, `i`: confluent_schema_ids). */
function contextSchemaQuery(db: Db) {
  return db
    .selectFrom("confluent_context_ids as m")
    .innerJoin("confluent_schema_ids as i", "i.id", "m.schema_row")
    .select(["m.id", "m.context", "i.schema_type", "i.schema", "i.refs", "i.guid"]);
}

/** A registered schema by its id in `context` (the default context unless named). */
export async function schemaById(session: StoreQueryable, id: number, context = "."): Promise<SchemaRecord | null> {
  const row = await contextSchemaQuery(storeDb(session))
    .where("m.context", "=", context)
    .where("m.id", "=", id)
    .executeTakeFirst();
  return row ? recordOf(row, context) : null;
}

/** A registered schema by its guid, with its id in `context`, else in the first context that numbers it. */
export async function schemaByGuid(session: StoreQueryable, guid: string, context = "."): Promise<SchemaRecord | null> {
  const row = await contextSchemaQuery(storeDb(session))
    .where("i.guid", "=", guid)
    .orderBy(sql`m.context != ${context}`)
    .orderBy("i.id")
    .orderBy("m.id")
    .limit(1)
    .executeTakeFirst();
  return row ? recordOf(row, row.context) : null;
}

function qualify(name: string, context: string, contextId: string): string {
  return contextId === DEFAULT_CONTEXT_ID ? name : `:.${context}:${name}`;
}

/** The Confluent context a hierarchy context is (`.` for My Context, else its name), in SQL over `c`. */
const CONFLUENT_CONTEXT_OF_C = sql<string>`(CASE WHEN c.id = ${DEFAULT_CONTEXT_ID} THEN '.' ELSE c.name END)`;

/** Every (subject, version) that uses an id of `context`, soft-deleted ones only when asked. */
export async function usesOf(
  session: StoreQueryable,
  id: number,
  includeDeleted: boolean,
  context = ".",
): Promise<{ subject: string; version: number }[]> {
  const rows = await storeDb(session)
    .selectFrom("confluent_context_ids as m")
    .innerJoin("confluent_versions as v", "v.global_id", "m.schema_row")
    .innerJoin("schema_versions as d", "d.id", "v.version_id")
    .innerJoin("schemas as s", "s.id", "v.schema_id")
    .innerJoin("contexts as c", "c.id", "s.context_id")
    .select(["s.name as name", "c.name as context", "c.id as context_id", "v.version", "d.status"])
    .where("m.context", "=", context)
    .where("m.id", "=", id)
    .orderBy("s.name")
    .orderBy("v.version")
    .execute();
  return rows
    .filter((row) => includeDeleted || row.status !== "Removed")
    .map((row) => ({ subject: qualify(row.name ?? "", row.context ?? "", row.context_id), version: row.version }));
}

/**
 * The ids of live schemas that reference version `version` of `subject` (qualified), each as the
 * context of a subject using it numbers it.
 */
export async function referencedBy(session: StoreQueryable, subject: string, version: number): Promise<number[]> {
  const rows = await storeDb(session)
    .selectFrom("confluent_references as r")
    .innerJoin("confluent_versions as v", "v.global_id", "r.global_id")
    .innerJoin("schema_versions as d", "d.id", "v.version_id")
    .innerJoin("schemas as s", "s.id", "v.schema_id")
    .innerJoin("contexts as c", "c.id", "s.context_id")
    .innerJoin("confluent_context_ids as m", (join) =>
      join.onRef("m.schema_row", "=", "r.global_id").on("m.context", "=", CONFLUENT_CONTEXT_OF_C),
    )
    .select("m.id")
    .distinct()
    .where("r.subject", "=", subject)
    .where("r.version", "=", version)
    .where("d.status", "!=", "Removed")
    .orderBy("m.id")
    .execute();
  return rows.map((row) => row.id);
}

/** A subject as the Confluent API reads it, in one D1 round trip (`readSubject`). */
export interface SubjectRead {
  /** Its schema document; null when the subject has none yet. */
  schema: SchemaDocument | null;
  /** Numbered, oldest first (see `subjectVersions`). */
  versions: SubjectVersion[];
  /** The semantic version of every version document of the schema, drafts included. */
  semanticVersions: string[];
}

/** What `readSubject` answers: the subject, its context's document id (null: none yet), and `also`'s results. */
export interface SubjectReadWith extends SubjectRead {
  contextId: string | null;
  /** True when this read numbered versions published through /api (itself a change). */
  numbered: boolean;
  also: D1Result[];
}

/** The two queries a subject's versions are read with: its version documents, and their Confluent numbers. */
function versionQueries(
  db: Db,
  schemaId: string | SelectQueryBuilder<StoreDatabase, "schemas", { id: string }>,
  context: string,
  /** Only the versions of this schema row (a registration's possible twins), not every version. */
  row?: number | RawBuilder<number>,
) {
  const numbered = db
    .selectFrom("confluent_versions")
    .select("version_id")
    .where("schema_id", "=", schemaId)
    .$if(row !== undefined, (query) => query.where("global_id", "=", row!));
  return {
    documents: db
      .selectFrom("schema_versions")
      .select(DOCUMENT_COLUMNS)
      .where("schema_id", "=", schemaId)
      .$if(row !== undefined, (query) => query.where("id", "in", numbered))
      .orderBy("id"),
    numbers: db
      .selectFrom("confluent_versions as v")
      .leftJoin("confluent_schema_ids as i", "i.id", "v.global_id")
      .select(["v.version_id", "v.version", "v.global_id", "i.refs", "v.metadata", "v.rule_set", "i.guid"])
      .select((eb) =>
        eb
          .selectFrom("confluent_context_ids as m")
          .select(sql<number | null>`min(m.id)`.as("id"))
          .whereRef("m.schema_row", "=", "v.global_id")
          .where("m.context", "=", context)
          .as("public_id"),
      )
      .where("v.schema_id", "=", schemaId)
      .$if(row !== undefined, (query) => query.where("v.global_id", "=", row!)),
  };
}

type VersionQueries = ReturnType<typeof versionQueries>;

/** The rows of `versionQueries` as versions, and the documents published through /api not numbered yet. */
function versionsOf(
  documentRows: readonly DocumentRow[],
  numberRows: ReturnType<typeof rowsOf<VersionQueries["numbers"]>>,
  context: string,
): { versions: SubjectVersion[]; unnumbered: VersionDocument[]; semanticVersions: string[] } {
  const documents = documentRows.map((row) => documentOf<BodyOf<typeof schemaVersions>>(row));
  const known = new Map(numberRows.map((row) => [row.version_id, row] as const));
  const versions = documents
    .flatMap((document) => {
      const row = known.get(document.id);
      if (!row) return [];
      return [
        {
          document,
          version: row.version,
          globalId: row.public_id ?? row.global_id,
          context,
          deleted: document.body.status === "Removed",
          references: row.refs === null ? [] : (JSON.parse(row.refs) as SchemaReference[]),
          metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
          ruleSet: row.rule_set === null ? null : (JSON.parse(row.rule_set) as Record<string, unknown>),
          guid: row.guid,
        },
      ];
    })
    .sort((a, b) => a.version - b.version);
  // A Draft is not in use yet, so Confluent clients do not see it (nor number it).
  const unnumbered = documents.filter((document) => !known.has(document.id) && document.body.status !== "Draft");
  return { versions, unnumbered, semanticVersions: documents.map((document) => document.body.semanticVersion) };
}

/**
 * A subject's schema document and versions in one D1 round trip (one batch, so one snapshot).
 * Versions published through /api and not numbered yet are numbered first (`subjectVersions`).
 *
 * @example
 *   const { schema, versions } = await readSubject(session, parseSubject("orders-value"));
 */
export async function readSubject(
  session: StoreQueryable,
  subject: SubjectName,
  also: readonly D1PreparedStatement[] = [],
): Promise<SubjectReadWith> {
  const db = storeDb(session);
  const contextQuery = contextIdQuery(db, subject.context);
  const schemaQuery = subjectSchemaQuery(db, subject).select(DOCUMENT_COLUMNS);
  const queries = versionQueries(db, subjectSchemaQuery(db, subject).select("id"), subject.context);
  const [contextResult, schemaResult, documentResult, numberResult, ...alsoResults] = await session.batch([
    prepared(session, contextQuery),
    prepared(session, schemaQuery),
    prepared(session, queries.documents),
    prepared(session, queries.numbers),
    ...also,
  ]);
  const contextId = rowsOf(contextQuery, contextResult)[0]?.id ?? null;
  const schemaRow = rowsOf(schemaQuery, schemaResult)[0];
  if (schemaRow === undefined)
    return { schema: null, versions: [], semanticVersions: [], contextId, numbered: false, also: alsoResults };
  const schema = documentOf<BodyOf<typeof schemas>>(schemaRow);
  const read = versionsOf(
    rowsOf(queries.documents, documentResult),
    rowsOf(queries.numbers, numberResult),
    subject.context,
  );
  const numbered = read.unnumbered.length === 0 ? read : await numberedVersions(session, schema, subject.context);
  return {
    schema,
    versions: numbered.versions,
    semanticVersions: numbered.semanticVersions,
    contextId,
    numbered: read.unnumbered.length > 0,
    also: alsoResults,
  };
}

/**
 * The versions of a subject, oldest first. Versions created through /api get their Confluent
 * number and id here, the first time the Confluent API sees them published (a Draft is not in use
 * yet, so Confluent clients do not see it). `context` is the schema's (read when not given).
 */
export async function subjectVersions(
  session: StoreQueryable,
  schema: SchemaDocument,
  context?: string,
): Promise<SubjectVersion[]> {
  return (await numberedVersions(session, schema, context ?? (await contextOfSchema(session, schema)))).versions;
}

async function numberedVersions(
  session: StoreQueryable,
  schema: SchemaDocument,
  context: string,
): Promise<Omit<SubjectRead, "schema">> {
  const queries = versionQueries(storeDb(session), schema.id, context);
  const read = async () => {
    const [documents, numbers] = await session.batch([
      prepared(session, queries.documents),
      prepared(session, queries.numbers),
    ]);
    return versionsOf(rowsOf(queries.documents, documents), rowsOf(queries.numbers, numbers), context);
  };
  const first = await read();
  if (first.unnumbered.length === 0) return first;
  // In semantic version order, which is publication order (registry/publication-rules.ts), so a
  // version published through /api is numbered as it was published even when Confluent reads late.
  const unnumbered = [...first.unnumbered].sort(
    (a, b) =>
      compareSemanticVersions(a.body.semanticVersion, b.body.semanticVersion) ||
      a.createdAt.localeCompare(b.createdAt) ||
      a.id.localeCompare(b.id),
  );
  let next = Math.max(0, ...first.versions.map((version) => version.version)) + 1;
  for (const document of unnumbered) {
    const identity = { schemaType: document.body.format, schema: document.body.specification, references: [], context };
    const { row } = await allocateSchemaId(session, identity);
    // DO NOTHING: a concurrent reader numbering the same version first wins; re-read below.
    await storeDb(session)
      .insertInto("confluent_versions")
      .values({ version_id: document.id, schema_id: schema.id, version: next++, global_id: row })
      .onConflict((conflict) => conflict.doNothing())
      .execute();
  }
  return await read();
}

/** A version to add to a subject (`insertSubjectVersion`). */
export interface NewVersion {
  schemaType: SchemaType;
  text: string;
  /**
   * The schema's id: one already allocated (IMPORT claims it first), or the identity to allocate
   * it for, in the write's own batch (`allocateSchemaId`'s statements).
   */
  id: number | { identity: SchemaIdentity };
  /** The number to take (IMPORT), else the next one. */
  version?: number;
  /** The version's own metadata and rule set. */
  metadata?: Record<string, unknown> | null;
  ruleSet?: Record<string, unknown> | null;
  /**
   * How the /api semantic version moves from the latest published one: a backward compatible
   * change is a minor bump, else a major one. Without it (IMPORT) version N is N.0.0.
   */
  bump?: VersionBump;
  /** The subject's context (read from the schema when not given). */
  context?: string;
  /** The subject as the caller read it: the first attempt trusts it (a unique index refuses a stale one). */
  known?: Omit<SubjectRead, "schema">;
  /** Statements run at the end of the write's batch (e.g. the audit log's after state); their results are answered. */
  alsoRead?: readonly D1PreparedStatement[];
}

/** A version as written: its number and id, its possible twins just after, and `alsoRead`'s results. */
export interface WrittenVersion {
  version: number;
  id: number;
  /** The subject's versions with the new one's schema row (its identity), the new one included. */
  sameRow: SubjectVersion[];
  alsoRead: D1Result[];
}

/**
 * Adds a version to a subject in one D1 batch (one round trip, one transaction): the schema's id
 * when new, the schema_versions document (Published) and its Confluent numbers, so neither exists
 * without the other, then the subject's versions with the same schema row read back (the caller's
 * concurrent-twin check) and `alsoRead`. Retries when a concurrent registration took the version number.
 */
export async function insertSubjectVersion(
  session: StoreQueryable,
  schema: SchemaDocument,
  input: NewVersion,
): Promise<WrittenVersion> {
  const { version } = input;
  const context = input.context ?? (await contextOfSchema(session, schema));
  const db = storeDb(session);
  const allocation =
    typeof input.id === "number"
      ? null
      : allocationStatements(db, input.id.identity, await identityHash(input.id.identity));
  const row = allocation?.rowOfHash ?? (await rowOfId(session, context, input.id as number));
  if (row === null) throw new ConfluentError(CONFLUENT_ERRORS.storeError, `Schema id ${input.id} is not allocated.`);
  // The twin check needs only the versions sharing the new one's schema row (same identity).
  const readBack = versionQueries(db, schema.id, context, row);
  let known = input.known;
  // Concurrent writers of one subject race for the next number: the loser reads again and retries.
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = known ?? (await numberedVersions(session, schema, context));
    known = undefined;
    const number = version ?? Math.max(0, ...current.versions.map((each) => each.version)) + 1;
    const latest =
      current.versions
        .map((each) => each.document.body.semanticVersion)
        .sort(compareSemanticVersions)
        .at(-1) ?? null;
    const semanticVersion =
      input.bump !== undefined
        ? nextSemanticVersion(latest, input.bump, current.semanticVersions)
        : // Confluent version N is semantic version N.0.0, unless /api already used that string.
          current.semanticVersions.includes(`${number}.0.0`)
          ? `${number}.0.0+confluent`
          : `${number}.0.0`;
    const body = schemaVersions.body.parse({
      schemaId: schema.id,
      semanticVersion,
      format: input.schemaType,
      specification: input.text,
      status: "Published",
    });
    const id = newDocumentId();
    const now = new Date().toISOString();
    const allocating = allocation === null ? [] : [...allocation.writes, allocation.answer];
    try {
      const results = await session.batch([
        ...allocating.map((query) => prepared(session, query)),
        prepared(
          session,
          db
            .insertInto("schema_versions")
            .values({ id, body: JSON.stringify(body), created_at: now, updated_at: now, _version: 1 }),
        ),
        prepared(
          session,
          db.insertInto("confluent_versions").values({
            version_id: id,
            schema_id: schema.id,
            version: number,
            global_id: row,
            metadata: input.metadata ? JSON.stringify(input.metadata) : null,
            rule_set: input.ruleSet ? JSON.stringify(input.ruleSet) : null,
          }),
        ),
        prepared(session, readBack.documents),
        prepared(session, readBack.numbers),
        ...(input.alsoRead ?? []),
      ]);
      const at = allocating.length + 2;
      const after = versionsOf(
        rowsOf(readBack.documents, results[at]),
        rowsOf(readBack.numbers, results[at + 1]),
        context,
      );
      const allocated = allocation === null ? null : rowsOf(allocation.answer, results[allocating.length - 1])[0];
      return {
        version: number,
        id: allocated?.id ?? (input.id as number),
        sameRow: after.versions,
        alsoRead: results.slice(at + 2),
      };
    } catch (error) {
      if (
        !/UNIQUE constraint failed/.test(
          String(error instanceof Error ? `${error.message} ${String(error.cause)}` : error),
        )
      )
        throw error;
      if (version !== undefined)
        throw new ConfluentError(
          CONFLUENT_ERRORS.invalidSchema,
          `Version ${version} of subject already exists with another schema.`,
        );
      // A little jitter, so the writers that lost together do not collide again at once.
      await new Promise((done) => setTimeout(done, Math.random() * 10 * (attempt + 1)));
    }
  }
  throw new ConfluentError(
    CONFLUENT_ERRORS.storeError,
    "The subject changed during the registration too often: retry.",
  );
}

/** A version's two rows (its document and its Confluent numbers), deleted together. */
function versionDeletes(session: StoreQueryable, version: SubjectVersion): D1PreparedStatement[] {
  const db = storeDb(session);
  return [
    prepared(session, db.deleteFrom("schema_versions").where("id", "=", version.document.id)),
    prepared(session, db.deleteFrom("confluent_versions").where("version_id", "=", version.document.id)),
  ];
}

/** Takes back a version just added (a concurrent twin of an earlier one): both rows go, in one batch. */
export async function dropVersion(session: StoreQueryable, version: SubjectVersion): Promise<void> {
  await session.batch(versionDeletes(session, version));
  // Its id may have had no other use (docs/confluent-api.md, the schema id cache).
  schemaIdCache.forget([[version.context, version.globalId]]);
}

/** Soft delete: the version document becomes Removed (the hierarchy's final status). */
export async function softDelete(session: StoreQueryable, version: SubjectVersion): Promise<void> {
  const result = await documentRepository(session, schemaVersions).update(
    version.document.id,
    { ...version.document.body, status: "Removed" },
    { expectedVersion: version.document.version },
  );
  if (!result.ok)
    throw new ConfluentError(CONFLUENT_ERRORS.storeError, "The version changed while it was being deleted: retry.");
}

/** Hard delete of soft-deleted versions; the schema document goes too when nothing is left under it. */
export async function hardDelete(
  session: StoreQueryable,
  schema: SchemaDocument,
  versions: readonly SubjectVersion[],
  settingsKey?: string,
): Promise<void> {
  const db = storeDb(session);
  const statements = versions.flatMap((version) => versionDeletes(session, version));
  // The schema document goes with its last version.
  statements.push(
    prepared(
      session,
      db
        .deleteFrom("schemas")
        .where("id", "=", schema.id)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom("schema_versions").select("id").where("schema_id", "=", schema.id))),
        ),
    ),
  );
  // A subject deleted for good takes its own config and mode with it (Confluent does the same).
  if (settingsKey !== undefined)
    statements.push(
      prepared(
        session,
        db
          .deleteFrom("confluent_settings")
          .where("subject", "=", settingsKey)
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom("schemas").select("id").where("id", "=", schema.id))),
          ),
      ),
    );
  // Before and after: an id may stop existing, and a read racing the batch must not cache it again.
  const ids = versions.map((version) => [version.context, version.globalId] as const);
  schemaIdCache.forget(ids);
  try {
    await session.batch(statements);
  } finally {
    schemaIdCache.forget(ids);
  }
}

/** A subject's state in one row of `listSubjects`. */
export interface SubjectSummary {
  subject: SubjectName;
  live: number;
  deleted: number;
}

/**
 * Every subject with at least one version Confluent sees, in one query: `context` limits it to
 * one context. Versions made through /api and not numbered yet count too (the first read of the
 * subject numbers them).
 */
export async function listSubjects(session: StoreQueryable, context?: string): Promise<SubjectSummary[]> {
  const results = await storeDb(session)
    .selectFrom("schemas as s")
    .innerJoin("contexts as c", "c.id", "s.context_id")
    .innerJoin("schema_versions as d", (join) => join.onRef("d.schema_id", "=", "s.id").on("d.status", "!=", "Draft"))
    .select([
      "s.name as name",
      "c.name as context",
      "c.id as context_id",
      sql<number>`sum(CASE WHEN d.status = 'Removed' THEN 0 ELSE 1 END)`.as("live"),
      sql<number>`sum(CASE WHEN d.status = 'Removed' THEN 1 ELSE 0 END)`.as("deleted"),
    ])
    .where((eb) => eb.or([eb("c.id", "=", DEFAULT_CONTEXT_ID), eb("c.domain_id", "=", DEFAULT_DOMAIN_ID)]))
    .groupBy("s.id")
    .execute();
  const merged = new Map<string, SubjectSummary>();
  for (const row of results) {
    const ctx = row.context_id === DEFAULT_CONTEXT_ID ? "." : (row.context ?? "");
    if (context !== undefined && ctx !== context) continue;
    const subject = parseSubject(qualify(row.name ?? "", row.context ?? "", row.context_id));
    const entry = merged.get(subject.qualified) ?? { subject, live: 0, deleted: 0 };
    entry.live += row.live;
    entry.deleted += row.deleted;
    merged.set(subject.qualified, entry);
  }
  return [...merged.values()].sort((a, b) =>
    a.subject.qualified < b.subject.qualified ? -1 : a.subject.qualified > b.subject.qualified ? 1 : 0,
  );
}

/** One numbered version of any subject, for `GET /schemas`. */
export interface ListedVersion {
  subject: SubjectName;
  version: number;
  globalId: number;
  deleted: boolean;
  schemaType: SchemaType;
  schema: string;
  record: SchemaRecord;
  metadata: Record<string, unknown> | null;
  ruleSet: Record<string, unknown> | null;
}

/** The first id `m`'s context gave `m`'s row (an import may have given it two). */
const FIRST_ID_OF_M = sql<number>`(SELECT min(id) FROM confluent_context_ids
  WHERE schema_row = m.schema_row AND context = m.context)`;

/**
 * The largest IN list a query binds: D1 allows 100 bound parameters per statement, and the
 * statements that take a list bind at most a few values besides it.
 */
const MAX_LIST_PARAMETERS = 90;

function chunksOf<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let at = 0; at < items.length; at += MAX_LIST_PARAMETERS) chunks.push(items.slice(at, at + MAX_LIST_PARAMETERS));
  return chunks;
}

/**
 * Every numbered version of every subject (or of the subjects whose schema documents are
 * `schemaIds`), ordered by subject then version: one query, or one per 90 schema ids.
 */
export async function listVersions(
  session: StoreQueryable,
  options: { schemaIds?: readonly string[] } = {},
): Promise<ListedVersion[]> {
  if (options.schemaIds !== undefined) {
    const lists = await Promise.all(chunksOf(options.schemaIds).map((ids) => listVersionsWhere(session, ids)));
    return lists.flat().sort(bySubjectThenVersion);
  }
  return (await listVersionsWhere(session, null)).sort(bySubjectThenVersion);
}

function bySubjectThenVersion(a: ListedVersion, b: ListedVersion): number {
  return a.subject.qualified < b.subject.qualified
    ? -1
    : a.subject.qualified > b.subject.qualified
      ? 1
      : a.version - b.version;
}

/**
 * The schema documents (subjects) with a version that references one of `subjects` (qualified),
 * through the references' index: what refers to them, without reading the registry.
 */
export async function referringSchemaIds(session: StoreQueryable, subjects: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const list of chunksOf([...new Set(subjects)])) {
    const rows = await storeDb(session)
      .selectFrom("confluent_references as r")
      .innerJoin("confluent_versions as v", "v.global_id", "r.global_id")
      .select("v.schema_id")
      .distinct()
      .where("r.subject", "in", list)
      .execute();
    for (const row of rows) found.add(row.schema_id);
  }
  return [...found].sort();
}

async function listVersionsWhere(
  session: StoreQueryable,
  schemaIds: readonly string[] | null,
): Promise<ListedVersion[]> {
  let query = storeDb(session)
    .selectFrom("confluent_versions as v")
    .innerJoin("schema_versions as d", "d.id", "v.version_id")
    .innerJoin("schemas as s", "s.id", "v.schema_id")
    .innerJoin("contexts as c", "c.id", "s.context_id")
    .innerJoin("confluent_schema_ids as i", "i.id", "v.global_id")
    // The id the subject's context gives the row (its first, when an import gave it two).
    .innerJoin("confluent_context_ids as m", (join) =>
      join
        .onRef("m.schema_row", "=", "v.global_id")
        .on("m.context", "=", CONFLUENT_CONTEXT_OF_C)
        .on("m.id", "=", FIRST_ID_OF_M),
    )
    .select([
      "s.name as name",
      "c.name as context",
      "c.id as context_id",
      "v.version",
      "m.id as global_id",
      "d.status",
      "d.body",
      "v.metadata",
      "v.rule_set",
      "m.id as id",
      "i.schema_type",
      "i.schema",
      "i.refs",
      "i.guid",
    ])
    .where("d.status", "!=", "Draft");
  if (schemaIds !== null) query = query.where("v.schema_id", "in", schemaIds);
  const results = await query.execute();
  return results.map((row) => {
    const body = JSON.parse(row.body) as { format: SchemaType; specification: string };
    const subject = parseSubject(qualify(row.name ?? "", row.context ?? "", row.context_id));
    return {
      subject,
      version: row.version,
      globalId: row.global_id,
      deleted: row.status === "Removed",
      schemaType: body.format,
      schema: body.specification,
      record: recordOf(row, subject.context),
      metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
      ruleSet: row.rule_set === null ? null : (JSON.parse(row.rule_set) as Record<string, unknown>),
    };
  });
}

/** Contexts holding at least one subject, plus the default one. */
export async function listContexts(session: StoreQueryable): Promise<string[]> {
  const names = new Set<string>(["."]);
  for (const summary of await listSubjects(session)) names.add(summary.subject.context);
  return [...names].sort();
}

/** Sets (null: clears) a level's config: '' global, ':.ctx:' a context, else a qualified subject. */
export async function setConfig(
  session: StoreQueryable,
  key: string,
  config: Record<string, unknown> | null,
): Promise<void> {
  const value = config === null ? null : JSON.stringify(config);
  await storeDb(session)
    .insertInto("confluent_settings")
    .values({ subject: key, config: value })
    .onConflict((conflict) => conflict.column("subject").doUpdateSet({ config: (eb) => eb.ref("excluded.config") }))
    .execute();
}

/** Sets (null: clears) a level's mode. */
export async function setMode(session: StoreQueryable, key: string, mode: string | null): Promise<void> {
  await storeDb(session)
    .insertInto("confluent_settings")
    .values({ subject: key, mode })
    .onConflict((conflict) => conflict.column("subject").doUpdateSet({ mode: (eb) => eb.ref("excluded.mode") }))
    .execute();
}

/** The Confluent context a schema document is in (`.` for My Context; a named one's name). */
async function contextOfSchema(session: StoreQueryable, schema: SchemaDocument): Promise<string> {
  if (schema.body.contextId === DEFAULT_CONTEXT_ID) return ".";
  return (await documentRepository(session, contexts).get(schema.body.contextId))?.body.name ?? ".";
}

/**
 * The Confluent subject a schema document is (its name in its context), or null for a schema
 * outside My Domain, which the Confluent API does not show.
 */
export async function subjectOfSchema(session: StoreQueryable, schema: SchemaDocument): Promise<SubjectName | null> {
  if (schema.body.contextId === DEFAULT_CONTEXT_ID) return parseSubject(schema.body.name);
  const context = await documentRepository(session, contexts).get(schema.body.contextId);
  if (context === null || context.body.domainId !== DEFAULT_DOMAIN_ID) return null;
  return parseSubject(`:.${context.body.name}:${schema.body.name}`);
}
