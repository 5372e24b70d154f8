/**
 * `/schemas...`: every version with its schema, schemas by global id (what a deserializer asks,
 * answered from the isolate's id cache when it can be: docs/confluent-api.md, "The schema id
 * cache") and by guid, the subjects and versions using an id, and the schema types.
 */
import { z } from "@hono/zod-openapi";
import { NONE, SCHEMA_ID, SCHEMA_ID_LIST, SUBJECTS, TENANT } from "../../auth/access-rule.ts";
import { BOOKMARK_HEADER } from "../../store/open-d1-session.ts";
import { SCHEMA_FORMATS } from "../../store/collections.ts";
import { schemaAnswer, schemaFields, subjectLabel, subjectVersionPair, versionAnswer } from "../confluent-answers.ts";
import { CONFLUENT_ERRORS } from "../confluent-error.ts";
import {
  deletedFlag,
  flag,
  guidParams,
  idParams,
  page,
  paging,
  subjectPrefixQuery,
  urlContextOf,
} from "../confluent-input.ts";
import {
  CONFLUENT_CONTENT_TYPE,
  ConfluentResource,
  errors,
  fail,
  ok,
  reply,
  type Ctx,
  type PathParams,
} from "../confluent-route.ts";
import {
  listVersions,
  maxGlobalId,
  parseSubject,
  schemaByGuid,
  schemaById,
  schemaIdCache,
  usesOf,
  type SchemaRecord,
} from "../confluent-store.ts";
import { visibleTo } from "../subject-lookup.ts";

/** Where an id read says whether the id cache answered: `hit`, `miss` or `bypass` (as /api's read cache does). */
const REGISTRY_CACHE_HEADER = "x-registry-cache";
const { schemaNotFound, invalidContext } = CONFLUENT_ERRORS;

/** A schema by id from D1, and the id cache brought up to date with what D1 said. */
async function loadSchema(c: Ctx, context: string, id: number): Promise<SchemaRecord | null> {
  const generation = schemaIdCache.generation;
  const found = await schemaById(c.var.session, id, context);
  // An id whose every version was deleted for good is gone, as in Confluent (never handed out again).
  const exists = found !== null && (await usesOf(c.var.session, id, true, context)).length > 0;
  if (exists) schemaIdCache.set(found, generation);
  else schemaIdCache.forget([[context, id]]);
  return exists ? found : null;
}

/**
 * The context an id is looked up in: Confluent numbers ids per context, and finds one in the
 * context of `?subject=` when given, else the URL's (`/contexts/{ctx}/...`), else the default.
 */
function idContext(params: PathParams, subject: string | undefined): string {
  if (subject !== undefined && subject !== "") return parseSubject(subject, urlContextOf(params)).context;
  return urlContextOf(params);
}

/** A schema by id in its context (idContext). */
async function requireSchema(c: Ctx, params: PathParams, subject: string | undefined): Promise<SchemaRecord> {
  const id = Number(params.id);
  const found = await loadSchema(c, idContext(params, subject), id);
  if (!found) fail(schemaNotFound, `Schema ${id} not found`);
  return found;
}

/**
 * `GET /schemas/ids/{id}[/schema]`: from this isolate's id cache when the answer depends on the id
 * alone, else from D1 (docs/confluent-api.md, "The schema id cache"). A client's bookmark asks for
 * read-your-writes, which only D1 can promise; `?subject` and `?fetchMaxId=true` read more than the id.
 */
async function schemaForIdRead(c: Ctx, params: PathParams, subject: string | undefined): Promise<SchemaRecord> {
  const query = new URL(c.req.url).searchParams;
  const onlyId = [...query].every(
    ([name, value]) => (name === "fetchMaxId" && value === "false") || (name === "subject" && value === ""),
  );
  const bookmarked = (c.req.header(BOOKMARK_HEADER) ?? "") !== "";
  if (onlyId && !bookmarked) {
    const cached = schemaIdCache.get(urlContextOf(params), Number(params.id));
    c.header(REGISTRY_CACHE_HEADER, cached ? "hit" : "miss");
    if (cached) return cached;
  } else {
    c.header(REGISTRY_CACHE_HEADER, "bypass");
  }
  return requireSchema(c, params, subject);
}

/**
 * The (subject, version) pairs using an id of its context; `?subject` keeps only that subject's,
 * and a key scoped to a subject prefix gets only those inside it.
 */
async function usesAsked(
  c: Ctx,
  params: PathParams,
  record: SchemaRecord,
  query: { deleted: boolean; subject?: string | undefined },
): Promise<{ subject: string; version: number }[]> {
  const visible = visibleTo(c);
  const used = await usesOf(c.var.session, record.id, query.deleted, record.context);
  const uses = used
    .filter((use) => visible(use.subject))
    .map((use) => ({
      ...use,
      subject: subjectLabel(params, parseSubject(use.subject)),
    }));
  const only = query.subject;
  if (only === undefined || only === "") return uses;
  const wanted = subjectLabel(params, parseSubject(only, urlContextOf(params)));
  return uses.filter((use) => use.subject === wanted);
}

const onlySubject = z
  .string()
  .optional()
  .openapi({
    description:
      "A subject (in the URL's context unless qualified): the id is looked up in its context, as ids are " +
      "numbered per context; the lists keep only its entries.",
  });

export const schemas = new ConfluentResource("Confluent: schemas");

schemas.route(
  {
    method: "get",
    path: "/schemas/types",
    summary: "The schema types this registry accepts",
    access: { role: "read", scope: NONE, action: "schema.types" },
    responses: { ...ok(z.array(z.string()), '["AVRO", "JSON", "PROTOBUF"]'), ...errors() },
  },
  (c) => reply(c, [...SCHEMA_FORMATS].sort()),
);

schemas.route(
  {
    method: "get",
    path: "/schemas",
    summary: "List subject versions with their schemas",
    access: { role: "read", scope: SUBJECTS, action: "schema.list" },
    query: z.object({
      subjectPrefix: subjectPrefixQuery,
      deleted: deletedFlag,
      latestOnly: flag("Only each subject's latest version."),
      ...paging,
    }),
    responses: { ...ok(z.array(versionAnswer), "Versions, by subject then version."), ...errors(invalidContext) },
  },
  async (c, { params, query }) => {
    const prefix = query.subjectPrefix ?? "";
    const context =
      params.context !== undefined
        ? urlContextOf(params)
        : prefix.startsWith(":*:") || prefix.startsWith(":.")
          ? undefined
          : ".";
    // A key scoped to a subject prefix is answered only the subjects inside it.
    const visible = visibleTo(c);
    let listed = (await listVersions(c.var.session)).filter(
      (entry) =>
        visible(entry.subject.qualified) &&
        (context === undefined || entry.subject.context === context) &&
        (query.deleted || !entry.deleted) &&
        (prefix === "" ||
          prefix.startsWith(":*:") ||
          entry.subject.qualified.startsWith(prefix) ||
          entry.subject.name.startsWith(prefix)),
    );
    if (query.latestOnly)
      listed = listed.filter((entry, i) => listed[i + 1]?.subject.qualified !== entry.subject.qualified);
    return reply(
      c,
      page(query, listed).map((entry) => ({
        subject: subjectLabel(params, entry.subject),
        version: entry.version,
        id: entry.globalId,
        guid: entry.record.guid,
        ...schemaFields(entry.schemaType, entry.schema, {
          references: entry.record.references,
          metadata: entry.metadata,
          ruleSet: entry.ruleSet,
        }),
      })),
    );
  },
);

schemas.route(
  {
    method: "get",
    path: "/schemas/ids/{id}",
    summary: "Get a schema by its global id (what a deserializer does)",
    access: { role: "read", scope: SCHEMA_ID, action: "schema.read" },
    params: idParams,
    query: z.object({ subject: onlySubject, fetchMaxId: flag("Add `maxId`, the highest id.") }),
    responses: { ...ok(schemaAnswer, "The schema, with its type and references."), ...errors(schemaNotFound) },
  },
  async (c, { params, query }) => {
    const record = await schemaForIdRead(c, params, query.subject);
    const maxId = query.fetchMaxId ? { maxId: await maxGlobalId(c.var.session, record.context) } : {};
    return reply(c, { ...schemaFields(record.schemaType, record.schema, record), ...maxId });
  },
);

schemas.route(
  {
    method: "get",
    path: "/schemas/ids/{id}/schema",
    summary: "Get a schema's text by its global id",
    access: { role: "read", scope: SCHEMA_ID, action: "schema.read" },
    params: idParams,
    query: z.object({ subject: onlySubject }),
    responses: { ...ok(z.string(), "The schema text itself."), ...errors(schemaNotFound) },
  },
  async (c, { params, query }) => {
    const { schema } = await schemaForIdRead(c, params, query.subject);
    return c.body(schema, 200, { "content-type": CONFLUENT_CONTENT_TYPE });
  },
);

const usesQuery = z.object({ deleted: deletedFlag, subject: onlySubject, ...paging });

schemas.route(
  {
    method: "get",
    path: "/schemas/ids/{id}/subjects",
    summary: "The subjects using a schema",
    access: { role: "read", scope: SCHEMA_ID_LIST, action: "schema.subjects" },
    params: idParams,
    query: usesQuery,
    responses: { ...ok(z.array(z.string()), "Subject names."), ...errors(schemaNotFound) },
  },
  async (c, { params, query }) => {
    const record = await requireSchema(c, params, query.subject);
    return reply(c, page(query, [...new Set((await usesAsked(c, params, record, query)).map((use) => use.subject))]));
  },
);

schemas.route(
  {
    method: "get",
    path: "/schemas/ids/{id}/versions",
    summary: "The subject versions using a schema",
    access: { role: "read", scope: SCHEMA_ID_LIST, action: "schema.versions" },
    params: idParams,
    query: usesQuery,
    responses: { ...ok(z.array(subjectVersionPair), "Subject and version pairs."), ...errors(schemaNotFound) },
  },
  async (c, { params, query }) => {
    const record = await requireSchema(c, params, query.subject);
    return reply(c, page(query, await usesAsked(c, params, record, query)));
  },
);

// A guid names a schema without a subject: a scoped key cannot be shown to be entitled to it.
schemas.route(
  {
    method: "get",
    path: "/schemas/guids/{guid}",
    summary: "Get a schema by its guid",
    access: { role: "read", scope: TENANT, action: "schema.read" },
    params: guidParams,
    responses: { ...ok(schemaAnswer, "The schema, with its id and guid."), ...errors(schemaNotFound) },
  },
  async (c, { params }) => {
    const record = await schemaByGuid(c.var.session, params.guid!, urlContextOf(params));
    if (!record) fail(schemaNotFound, "Schema not found");
    return reply(c, { ...schemaFields(record.schemaType, record.schema, record), id: record.id, guid: record.guid });
  },
);
