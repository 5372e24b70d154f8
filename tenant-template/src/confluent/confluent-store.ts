/**
 * The Confluent view of the document store (docs/confluent-api.md): subjects are schemas,
 * subject versions are schema_versions documents, and the Confluent numbers (a version number per
 * subject, a global schema id per tenant) live in the tables of migration 0004.
 */
import { contexts, schemas, schemaVersions, type SCHEMA_FORMATS } from "../store/collections.ts";
import type { BodyOf } from "../store/define-collection.ts";
import { documentRepository } from "../store/document-repository.ts";
import { newDocumentId } from "../store/new-document-id.ts";
import type { StoreQueryable } from "../store/store-db.ts";
import type { StoredDocument } from "../store/store-result.ts";
import { insertChild } from "../registry/insert-child.ts";
import { CONFLUENT_ERRORS, ConfluentError } from "./confluent-error.ts";

export type SchemaType = (typeof SCHEMA_FORMATS)[number];

/** The default hierarchy of migration 0003: My Domain, and My Context (Confluent's `.`). */
export const DEFAULT_DOMAIN_ID = "00000000-0000-7000-8000-000000000002";
export const DEFAULT_CONTEXT_ID = "00000000-0000-7000-8000-000000000003";
/** What a schema created through the Confluent API is filed as (Kafka records are events). */
export const CONFLUENT_SCHEMA_CATEGORY = "Events";
export const CONFLUENT_SCHEMA_SCOPE = "Public";

/** A subject name split into its Confluent context (`.` is the default) and its name in it. */
export interface SubjectName {
  context: string;
  name: string;
  /** The canonical spelling: `name` in the default context, `:.ctx:name` in another. */
  qualified: string;
}

// `:.ctx:name` (Confluent's qualified subject); `:.:name` is the default context spelled out.
const QUALIFIED = /^:\.([^:]*):(.+)$/s;

/**
 * @example
 *   parseSubject(":.payments:orders-value"); // { context: "payments", name: "orders-value", qualified: ":.payments:orders-value" }
 *   parseSubject("orders-value");            // { context: ".", name: "orders-value", qualified: "orders-value" }
 */
export function parseSubject(subject: string): SubjectName {
  const match = QUALIFIED.exec(subject);
  const context = match === null || match[1] === "" ? "." : match[1]!;
  const name = match === null ? subject : match[2]!;
  return { context, name, qualified: context === "." ? name : `:.${context}:${name}` };
}

type SchemaDocument = StoredDocument<BodyOf<typeof schemas>>;
type VersionDocument = StoredDocument<BodyOf<typeof schemaVersions>>;

/** One version of a subject as Confluent sees it. */
export interface SubjectVersion {
  document: VersionDocument;
  version: number;
  globalId: number;
  /** Soft-deleted: the version document's status is Removed. */
  deleted: boolean;
}

/** The hierarchy context a Confluent context maps to, created when `create` is set. */
export async function contextIdOf(session: StoreQueryable, context: string, create: boolean): Promise<string | null> {
  const repo = documentRepository(session, contexts);
  if (context === ".") return (await repo.get(DEFAULT_CONTEXT_ID)) === null ? null : DEFAULT_CONTEXT_ID;
  const found = await repo.list({ where: { domain_id: DEFAULT_DOMAIN_ID, name: context }, limit: 1 });
  if (found.items[0]) return found.items[0].id;
  if (!create) return null;
  const inserted = await insertChild(session, contexts, { table: "domains", id: DEFAULT_DOMAIN_ID }, { domainId: DEFAULT_DOMAIN_ID, name: context });
  if (inserted.ok) return inserted.document.id;
  // Another request created it first (unique violation): use theirs.
  const again = await repo.list({ where: { domain_id: DEFAULT_DOMAIN_ID, name: context }, limit: 1 });
  if (again.items[0]) return again.items[0].id;
  throw new ConfluentError(CONFLUENT_ERRORS.storeError, `The default domain is missing: context '${context}' cannot be created.`);
}

/**
 * The schema document a subject names: by name within its context. A name can exist in several
 * categories (the hierarchy's unique key is context + category + name): the Confluent category
 * wins, then the oldest.
 */
export async function findSubject(session: StoreQueryable, subject: SubjectName): Promise<SchemaDocument | null> {
  const contextId = await contextIdOf(session, subject.context, false);
  if (contextId === null) return null;
  const { items } = await documentRepository(session, schemas).list({ where: { context_id: contextId, name: subject.name }, limit: 10 });
  return items.find((item) => item.body.schemaTypeCategory === CONFLUENT_SCHEMA_CATEGORY) ?? items.sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0] ?? null;
}

/** The schema document of a subject, created (with its context) when missing. */
export async function findOrCreateSubject(session: StoreQueryable, subject: SubjectName): Promise<SchemaDocument> {
  const existing = await findSubject(session, subject);
  if (existing) return existing;
  const contextId = await contextIdOf(session, subject.context, true);
  if (contextId === null) throw new ConfluentError(CONFLUENT_ERRORS.storeError, "The default context (My Context) was deleted: recreate it through /api.");
  const body = { contextId, name: subject.name, schemaTypeCategory: CONFLUENT_SCHEMA_CATEGORY, scope: CONFLUENT_SCHEMA_SCOPE } as const;
  const inserted = await insertChild(session, schemas, { table: "contexts", id: contextId }, body);
  if (inserted.ok) return inserted.document as SchemaDocument;
  const raced = await findSubject(session, subject);
  if (raced) return raced;
  throw new ConfluentError(CONFLUENT_ERRORS.storeError, `Subject '${subject.qualified}' could not be created.`);
}

/** sha-256 of what makes two registrations the same schema (Confluent dedups on the same). */
async function schemaHash(schemaType: SchemaType, schema: string, references: readonly unknown[]): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify([schemaType, schema, references]));
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The global id of a schema if it was ever registered, without allocating one. */
export async function existingGlobalId(session: StoreQueryable, schemaType: SchemaType, schema: string): Promise<number | null> {
  const row = await session.prepare("SELECT id FROM confluent_schema_ids WHERE hash = ?").bind(await schemaHash(schemaType, schema, [])).first<{ id: number }>();
  return row?.id ?? null;
}

/** The global id of a schema, allocated on first sight; the same text and type always get the same id. */
export async function globalIdOf(session: StoreQueryable, schemaType: SchemaType, schema: string): Promise<number> {
  const hash = await schemaHash(schemaType, schema, []);
  // ON CONFLICT DO NOTHING: a concurrent registration of the same schema keeps one id.
  await session
    .prepare("INSERT INTO confluent_schema_ids (schema_type, schema, hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING")
    .bind(schemaType, schema, hash, new Date().toISOString())
    .run();
  const row = await session.prepare("SELECT id FROM confluent_schema_ids WHERE hash = ?").bind(hash).first<{ id: number }>();
  if (!row) throw new ConfluentError(CONFLUENT_ERRORS.storeError, "The schema id could not be allocated.");
  return row.id;
}

/** A registered schema by its global id: its type and its text exactly as first registered. */
export async function schemaById(session: StoreQueryable, id: number): Promise<{ schemaType: SchemaType; schema: string } | null> {
  const row = await session.prepare("SELECT schema_type, schema FROM confluent_schema_ids WHERE id = ?").bind(id).first<{ schema_type: SchemaType; schema: string }>();
  return row ? { schemaType: row.schema_type, schema: row.schema } : null;
}

/** Every (subject, version) that uses a global id, soft-deleted ones only when asked. */
export async function usesOf(session: StoreQueryable, id: number, includeDeleted: boolean): Promise<{ subject: string; version: number }[]> {
  const { results } = await session
    .prepare(
      `SELECT s.name AS name, c.name AS context, c.id AS context_id, v.version AS version, d.status AS status
         FROM confluent_versions v JOIN schema_versions d ON d.id = v.version_id JOIN schemas s ON s.id = v.schema_id JOIN contexts c ON c.id = s.context_id
        WHERE v.global_id = ? ORDER BY s.name, v.version`,
    )
    .bind(id)
    .all<{ name: string; context: string; context_id: string; version: number; status: string }>();
  return results
    .filter((row) => includeDeleted || row.status !== "Removed")
    .map((row) => ({ subject: row.context_id === DEFAULT_CONTEXT_ID ? row.name : `:.${row.context}:${row.name}`, version: row.version }));
}

/**
 * The versions of a subject, oldest first. Versions created through /api get their Confluent
 * number and id here, the first time the Confluent API sees them published (a Draft is not in use
 * yet, so Confluent clients do not see it).
 */
export async function subjectVersions(session: StoreQueryable, schema: SchemaDocument): Promise<SubjectVersion[]> {
  const documents: VersionDocument[] = [];
  const repo = documentRepository(session, schemaVersions);
  for (let cursor: string | null = null; ; ) {
    const page = await repo.list({ where: { schema_id: schema.id }, limit: 500, cursor });
    documents.push(...page.items);
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  const numbers = async () =>
    new Map(
      (await session.prepare("SELECT version_id, version, global_id FROM confluent_versions WHERE schema_id = ?").bind(schema.id).all<{ version_id: string; version: number; global_id: number }>()).results.map(
        (row) => [row.version_id, row] as const,
      ),
    );
  let known = await numbers();
  const unnumbered = documents.filter((document) => !known.has(document.id) && document.body.status !== "Draft").sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  if (unnumbered.length > 0) {
    let next = Math.max(0, ...[...known.values()].map((row) => row.version)) + 1;
    for (const document of unnumbered) {
      const globalId = await globalIdOf(session, document.body.format, document.body.specification);
      // DO NOTHING: a concurrent reader numbering the same version first wins; re-read below.
      await session
        .prepare("INSERT INTO confluent_versions (version_id, schema_id, version, global_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
        .bind(document.id, schema.id, next++, globalId)
        .run();
    }
    known = await numbers();
  }
  return documents
    .flatMap((document) => {
      const row = known.get(document.id);
      return row ? [{ document, version: row.version, globalId: row.global_id, deleted: document.body.status === "Removed" }] : [];
    })
    .sort((a, b) => a.version - b.version);
}

/**
 * Adds a version to a subject: the schema_versions document (Published) and its Confluent numbers
 * in one D1 batch, so neither exists without the other. Retries when a concurrent registration
 * took the version number.
 */
export async function insertSubjectVersion(session: StoreQueryable, schema: SchemaDocument, schemaType: SchemaType, text: string, globalId: number): Promise<number> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const versions = await subjectVersions(session, schema);
    const version = Math.max(0, ...versions.map((each) => each.version)) + 1;
    const { results: taken } = await session.prepare("SELECT semantic_version FROM schema_versions WHERE schema_id = ?").bind(schema.id).all<{ semantic_version: string }>();
    // Confluent version N is semantic version N.0.0, unless /api already used that string.
    const semanticVersion = taken.some((row) => row.semantic_version === `${version}.0.0`) ? `${version}.0.0+confluent` : `${version}.0.0`;
    const body = schemaVersions.body.parse({ schemaId: schema.id, semanticVersion, format: schemaType, specification: text, status: "Published" });
    const id = newDocumentId();
    const now = new Date().toISOString();
    try {
      await session.batch([
        session.prepare("INSERT INTO schema_versions (id, body, created_at, updated_at, _version) VALUES (?, ?, ?, ?, 1)").bind(id, JSON.stringify(body), now, now),
        session.prepare("INSERT INTO confluent_versions (version_id, schema_id, version, global_id) VALUES (?, ?, ?, ?)").bind(id, schema.id, version, globalId),
      ]);
      return version;
    } catch (error) {
      if (!/UNIQUE constraint failed/.test(String(error instanceof Error ? `${error.message} ${String(error.cause)}` : error))) throw error;
    }
  }
  throw new ConfluentError(CONFLUENT_ERRORS.storeError, "The subject changed during the registration too often: retry.");
}

/** Soft delete: the version document becomes Removed (the hierarchy's final status). */
export async function softDelete(session: StoreQueryable, version: SubjectVersion): Promise<void> {
  const result = await documentRepository(session, schemaVersions).update(version.document.id, { ...version.document.body, status: "Removed" }, { expectedVersion: version.document.version });
  if (!result.ok) throw new ConfluentError(CONFLUENT_ERRORS.storeError, "The version changed while it was being deleted: retry.");
}

/** Hard delete of soft-deleted versions; the schema document goes too when nothing is left under it. */
export async function hardDelete(session: StoreQueryable, schema: SchemaDocument, versions: readonly SubjectVersion[]): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  for (const version of versions) {
    statements.push(session.prepare("DELETE FROM schema_versions WHERE id = ?").bind(version.document.id));
    statements.push(session.prepare("DELETE FROM confluent_versions WHERE version_id = ?").bind(version.document.id));
  }
  statements.push(session.prepare("DELETE FROM schemas WHERE id = ? AND NOT EXISTS (SELECT 1 FROM schema_versions WHERE schema_id = ?)").bind(schema.id, schema.id));
  await session.batch(statements);
}

/** Every subject with at least one version Confluent sees (soft-deleted ones only when asked). */
export async function listSubjects(session: StoreQueryable, includeDeleted: boolean): Promise<string[]> {
  const { results } = await session
    .prepare(
      `SELECT s.id AS id, s.name AS name, c.name AS context, c.id AS context_id
         FROM schemas s JOIN contexts c ON c.id = s.context_id
        WHERE c.id = ? OR c.domain_id = ?`,
    )
    .bind(DEFAULT_CONTEXT_ID, DEFAULT_DOMAIN_ID)
    .all<{ id: string; name: string; context: string; context_id: string }>();
  const subjects = new Set<string>();
  const schemaRepo = documentRepository(session, schemas);
  for (const row of results) {
    const schema = await schemaRepo.get(row.id);
    if (!schema) continue;
    const versions = await subjectVersions(session, schema);
    if (versions.some((version) => includeDeleted || !version.deleted)) subjects.add(row.context_id === DEFAULT_CONTEXT_ID ? row.name : `:.${row.context}:${row.name}`);
  }
  return [...subjects].sort();
}

/** A subject's compatibility level, or null when it has none of its own. */
export async function configOf(session: StoreQueryable, subject: string): Promise<string | null> {
  const row = await session.prepare("SELECT compatibility FROM confluent_config WHERE subject = ?").bind(subject).first<{ compatibility: string }>();
  return row?.compatibility ?? null;
}

export async function setConfig(session: StoreQueryable, subject: string, compatibility: string): Promise<void> {
  await session.prepare("INSERT INTO confluent_config (subject, compatibility) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET compatibility = excluded.compatibility").bind(subject, compatibility).run();
}

export async function deleteConfig(session: StoreQueryable, subject: string): Promise<void> {
  await session.prepare("DELETE FROM confluent_config WHERE subject = ?").bind(subject).run();
}
