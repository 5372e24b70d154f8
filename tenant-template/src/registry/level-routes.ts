/**
 * The routes of one level of the hierarchy, all derived from its `RegistryLevel`:
 *
 *   GET    /{parents}/{parentId}/{plural}      list (filters on indexed fields, cursor pagination)
 *   POST   /{parents}/{parentId}/{plural}      create (201, Location, ETag)
 *   GET    /{plural}/{id}                      read (ETag)
 *   PATCH  /{plural}/{id}                      update (If-Match -> 412 when it does not match)
 *   DELETE /{plural}/{id}                      delete with everything below (If-Match -> 412)
 *
 * Products have no parent (`/products`); versions keep their item URLs under the schema.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError } from "../api-error.ts";
import { DOCUMENT_ID } from "../../../contracts/document-id.ts";
import { noteChange } from "../audit/note-change.ts";
import { IfMatch } from "../http/if-match.ts";
import { pageSizeQuery, requirePlainPageSize } from "../http/page-size.ts";
import { validationHook } from "../http/request-input.ts";
import type { RequestIdVariables } from "../request-id.ts";
import type { D1SessionVariables } from "../store/d1-session.ts";
import { DEFAULT_PAGE_SIZE, documentRepository, InvalidCursorError } from "../store/document-repository.ts";
import type { StoredDocument, UniqueViolation } from "../store/store-result.ts";
import { cachedGet, type CachedDocument } from "../cache/cached-get.ts";
import { forgetCached } from "../cache/forget-cached.ts";
import { readCacheConfig } from "../cache/read-cache-config.ts";
import { newReadCacheStats, type ReadCacheStats } from "../cache/read-cache-stats.ts";
import { cascadeDelete } from "./cascade-delete.ts";
import { schemaIdCache } from "../confluent/confluent-store.ts";
import { entityTag } from "./entity-tag.ts";
import { insertChild } from "./insert-child.ts";
import { REGISTRY_LEVELS, versionLevel, type RegistryLevel } from "./registry-levels.ts";
import { checkPublication, type PublishedVersion } from "./publication-rules.ts";
import { checkVersionWrite, type VersionFacts } from "./version-rules.ts";

/**
 * What the registry routes need of the Worker: the database, the read cache's KV, mode and key
 * prefix (the provisioner sets CACHE_MODE from the tenant's residency, CACHE_PREFIX in the shared
 * KV mode), a request id and a D1 session.
 */
export type RegistryEnv = {
  Bindings: { DB: D1Database; CACHE?: KVNamespace; CACHE_MODE?: string; CACHE_PREFIX?: string; TENANT_ID?: string };
  Variables: RequestIdVariables & D1SessionVariables;
};

/** Says how the read cache answered an item read: `hit`, `miss` or `bypass` (cache off). */
const CACHE_HEADER = "x-registry-cache";

type Body = Record<string, unknown>;

/** Where the API is mounted, for Location headers. */
const API_BASE = "/api";

const documentId = z
  .string()
  .regex(DOCUMENT_ID, { message: "must be a document id (letters, digits, '.', '_', ':', '-'; at most 64)" });
const errorResponse = { description: "The API's error shape: `{ error: { code, message, requestId, details? } }`." };

/** The JSON a document is answered as: its body flattened beside its id and metadata. */
function present(document: StoredDocument<Body>): Body {
  return {
    id: document.id,
    ...document.body,
    version: document.version,
    createdAt: document.createdAt,
    updatedAt: document.updatedAt,
  };
}

/** The request's ExecutionContext, when there is one (Hono throws when asked outside a Worker). */
function executionContextOf(c: Context<RegistryEnv>): { waitUntil(promise: Promise<unknown>): void } | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

function itemPath(level: RegistryLevel, document: StoredDocument<Body>): string {
  if (level.nestedItem && level.parent)
    return `/${level.parent.level.plural}/${String(document.body[level.parent.field])}/${level.plural}/${document.id}`;
  return `/${level.plural}/${document.id}`;
}

function notFound(level: RegistryLevel, id: string, where: string): ApiError {
  return new ApiError(404, "not_found", `No ${level.singular} with id "${id}".`, {
    details: [{ path: where, message: `no such ${level.singular}` }],
  });
}

function conflictOf(level: RegistryLevel, violation: UniqueViolation, body: Body): ApiError {
  if (violation.fields.includes("semantic_version")) {
    return new ApiError(409, "conflict", `Version ${String(body.semanticVersion)} already exists for this schema.`, {
      details: [{ path: "body/semanticVersion", message: "already used by another version of this schema" }],
    });
  }
  const among =
    level.parent === null
      ? ""
      : violation.fields.includes("schema_type_category")
        ? ` among this ${level.parent.level.singular}'s ${String(body.schemaTypeCategory)}`
        : ` in this ${level.parent.level.singular}`;
  return new ApiError(409, "conflict", `A ${level.singular} named "${String(body.name)}" already exists${among}.`, {
    details: [{ path: "body/name", message: "already used by a sibling" }],
  });
}

/** The request's `If-Match` condition, `null` without the header; 400 when it is not `*` or entity tags. */
function ifMatchOf(c: Context<RegistryEnv>): IfMatch | null {
  const value = c.req.header("if-match");
  if (value === undefined) return null;
  const condition = IfMatch.parse(value);
  if (condition === null) {
    throw new ApiError(
      400,
      "invalid_request",
      'If-Match must be * or a list of entity tags as sent in ETag, e.g. "3".',
      {
        details: [
          { path: "header/if-match", message: 'expected * or quoted entity tags separated by commas, e.g. "3"' },
        ],
      },
    );
  }
  return condition;
}

function preconditionFailed(level: RegistryLevel, current: number): ApiError {
  return new ApiError(
    412,
    "precondition_failed",
    `The ${level.singular} is at version ${current}, which If-Match does not match: read it again and retry.`,
    {
      details: [{ path: "header/if-match", message: `current ETag is ${entityTag(current)}` }],
    },
  );
}

/**
 * What a write guarded by the version read answers when another write got there first: 412 when
 * If-Match does not match the version now current, else 409 (the client asked for no check, or for
 * `*`, or listed the new version too, but the write was computed from a version it no longer is).
 */
function lostRace(level: RegistryLevel, condition: IfMatch | null, current: number, doing: string): ApiError {
  if (condition !== null && !condition.matches(entityTag(current))) return preconditionFailed(level, current);
  return new ApiError(
    409,
    "concurrent_update",
    `The ${level.singular} changed while it was being ${doing}: read it again and retry.`,
  );
}

function invalidBody(
  level: RegistryLevel,
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): ApiError {
  return new ApiError(400, "invalid_request", `Invalid ${level.singular}.`, {
    details: issues.map((issue) => ({ path: ["body", ...issue.path.map(String)].join("/"), message: issue.message })),
  });
}

/** Parses a merged body with the collection's own schema; the route schemas already refused bad input. */
function storedBody(level: RegistryLevel, body: Body): Body {
  const parsed = level.collection.body.safeParse(body);
  if (!parsed.success) throw invalidBody(level, parsed.error.issues);
  return parsed.data;
}

async function checkRules(
  c: Context<RegistryEnv>,
  level: RegistryLevel,
  before: Body | null,
  after: Body,
): Promise<void> {
  if (level !== versionLevel) return;
  checkVersionWrite(before as VersionFacts | null, after as unknown as VersionFacts);
  await checkPublication(c.var.session, before as VersionFacts | null, after as unknown as PublishedVersion);
}

/**
 * The five routes of one level, as an OpenAPIHono sub-app to mount with `api.route("/", ...)`.
 *
 * @example
 *   api.route("/", levelRoutes(domainLevel));
 */
export function levelRoutes(level: RegistryLevel): OpenAPIHono<RegistryEnv> {
  const app = new OpenAPIHono<RegistryEnv>({ defaultHook: validationHook });
  const parent = level.parent;
  const tags = [level.plural];
  const collectionPath =
    parent === null ? `/${level.plural}` : `/${parent.level.plural}/{${parent.level.idParam}}/${level.plural}`;
  const parentParams = z.strictObject(parent === null ? {} : { [parent.level.idParam]: documentId });
  const itemRoute = level.nestedItem ? `${collectionPath}/{${level.idParam}}` : `/${level.plural}/{${level.idParam}}`;
  const itemParams = z.strictObject({ ...(level.nestedItem ? parentParams.shape : {}), [level.idParam]: documentId });
  const ifMatch = z.object({
    "if-match": z
      .string()
      .optional()
      .openapi({
        description:
          'The ETag read before, e.g. "3"; or a comma-separated list of entity tags (`"3", "4"`), ' +
          'or `*` (any version). Strong comparison: a weak tag (`W/"3"`) never matches. ' +
          "412 when no tag matches the current ETag, 400 when the value is not `*` or a list of entity tags.",
      }),
  });
  const listQuery = z.strictObject({
    limit: pageSizeQuery(DEFAULT_PAGE_SIZE),
    cursor: z.string().min(1).max(512).optional().openapi({ description: "`nextCursor` of the previous page." }),
    ...Object.fromEntries(Object.entries(level.filterShape).map(([key, schema]) => [key, schema.optional()])),
  });
  const page = z.object({ items: z.array(level.resource), nextCursor: z.string().nullable() });
  const json = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });
  const repo = (c: Context<RegistryEnv>) => documentRepository(c.var.session, level.collection);

  // The parent of a list or a create, 404 naming it when it does not exist.
  const requireParent = async (c: Context<RegistryEnv>, params: Record<string, string>): Promise<string | null> => {
    if (parent === null) return null;
    const parentId = params[parent.level.idParam]!;
    const found = await documentRepository(c.var.session, parent.level.collection).get(parentId);
    if (found === null) throw notFound(parent.level, parentId, `path/${parent.level.idParam}`);
    return parentId;
  };

  // The tenant's read cache for this request (off unless the residency allows it).
  const cacheOf = (c: Context<RegistryEnv>, stats?: ReadCacheStats) =>
    readCacheConfig(c.env, executionContextOf(c), stats);

  // One document by its item URL; a version asked for under another schema does not exist there.
  // Read through the cache: it answers only for the version D1 says is current in this request's
  // session (docs/read-cache.md), so it is as safe before a write as for a plain read.
  const load = async (c: Context<RegistryEnv>, params: Record<string, string>): Promise<CachedDocument<Body>> => {
    const id = params[level.idParam]!;
    const stats = newReadCacheStats();
    const found = (await cachedGet(
      c.var.session,
      level.collection,
      id,
      cacheOf(c, stats),
    )) as CachedDocument<Body> | null;
    c.header(CACHE_HEADER, stats.hits > 0 ? "hit" : stats.bypassed > 0 ? "bypass" : "miss");
    const misplaced =
      level.nestedItem &&
      parent !== null &&
      found !== null &&
      found.body[parent.field] !== params[parent.level.idParam];
    if (found === null || misplaced) throw notFound(level, id, `path/${level.idParam}`);
    return found;
  };

  app.openapi(
    createRoute({
      method: "get",
      path: collectionPath,
      tags,
      summary: `List ${level.plural}${parent === null ? "" : ` of a ${parent.level.singular}`}`,
      request: { params: parentParams, query: listQuery },
      responses: {
        200: { description: `A page of ${level.plural}, oldest first.`, ...json(page) },
        400: errorResponse,
        404: errorResponse,
      },
    }),
    async (c) => {
      const params = c.req.valid("param") as Record<string, string>;
      const { limit, cursor, ...filters } = c.req.valid("query") as { limit?: number; cursor?: string } & Record<
        string,
        string | undefined
      >;
      requirePlainPageSize(c.req.query("limit"));
      const parentId = await requireParent(c, params);
      const where: Record<string, string> = {};
      if (parent !== null && parentId !== null) where[parent.column] = parentId;
      for (const [key, value] of Object.entries(filters)) if (value !== undefined) where[level.filters[key]!] = value;
      try {
        const result = await repo(c).list({ where, limit: limit ?? DEFAULT_PAGE_SIZE, cursor: cursor ?? null });
        return c.json(
          { items: result.items.map((item) => present(item as StoredDocument<Body>)), nextCursor: result.nextCursor },
          200,
        );
      } catch (error) {
        if (error instanceof InvalidCursorError)
          throw new ApiError(400, "invalid_request", "The cursor is not one this API issued.", {
            details: [{ path: "query/cursor", message: "invalid cursor" }],
          });
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: collectionPath,
      tags,
      summary: `Create a ${level.singular}`,
      request: { params: parentParams, body: { required: true, ...json(level.create) } },
      responses: {
        201: {
          description: `The new ${level.singular}; Location is its URL, ETag its version.`,
          ...json(level.resource),
        },
        400: errorResponse,
        404: errorResponse,
        409: errorResponse,
        ...(level === versionLevel ? { 422: errorResponse } : {}),
      },
    }),
    async (c) => {
      const params = c.req.valid("param") as Record<string, string>;
      const input = c.req.valid("json") as Body;
      const defaults: Body = level === versionLevel ? { status: "Draft" } : {};
      const body = storedBody(level, {
        ...defaults,
        ...input,
        ...(parent === null ? {} : { [parent.field]: params[parent.level.idParam] }),
      });
      await checkRules(c, level, null, body);
      let document: StoredDocument<Body>;
      if (parent === null) {
        const result = await repo(c).insert(body);
        if (!result.ok)
          throw result.kind === "unique_violation"
            ? conflictOf(level, result, body)
            : invalidBody(level, result.issues);
        document = result.document as StoredDocument<Body>;
      } else {
        const parentId = params[parent.level.idParam]!;
        const result = await insertChild(
          c.var.session,
          level.collection,
          { table: parent.level.collection.name, id: parentId },
          body,
        );
        if (!result.ok)
          throw result.kind === "unique_violation"
            ? conflictOf(level, result, body)
            : notFound(parent.level, parentId, `path/${parent.level.idParam}`);
        document = result.document;
      }
      noteChange(c, null, present(document));
      c.header("Location", `${API_BASE}${itemPath(level, document)}`);
      c.header("ETag", entityTag(document.version));
      return c.json(present(document), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: itemRoute,
      tags,
      summary: `Read a ${level.singular}`,
      request: { params: itemParams },
      responses: {
        200: { description: `The ${level.singular}; ETag is its version.`, ...json(level.resource) },
        400: errorResponse,
        404: errorResponse,
      },
    }),
    async (c) => {
      const document = await load(c, c.req.valid("param") as Record<string, string>);
      c.header("ETag", entityTag(document.version));
      return c.json(present(document), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: itemRoute,
      tags,
      summary: `Update a ${level.singular} (only the fields sent change)`,
      request: { params: itemParams, headers: ifMatch, body: { required: true, ...json(level.patch) } },
      responses: {
        200: { description: `The updated ${level.singular}; ETag is its new version.`, ...json(level.resource) },
        400: errorResponse,
        404: errorResponse,
        409: errorResponse,
        412: errorResponse,
        ...(level === versionLevel ? { 422: errorResponse } : {}),
      },
    }),
    async (c) => {
      const condition = ifMatchOf(c);
      const current = await load(c, c.req.valid("param") as Record<string, string>);
      // Checked against the version read; the write below is guarded by that exact version.
      if (condition !== null && !condition.matches(entityTag(current.version)))
        throw preconditionFailed(level, current.version);
      const changes = Object.fromEntries(
        Object.entries(c.req.valid("json") as Body).filter(([, value]) => value !== undefined),
      );
      const body = storedBody(level, { ...current.body, ...changes });
      await checkRules(c, level, current.body, body);
      const result = await repo(c).update(current.id, body, { expectedVersion: current.version });
      if (!result.ok) {
        if (result.kind === "unique_violation") throw conflictOf(level, result, body);
        if (result.kind === "not_found") throw notFound(level, current.id, `path/${level.idParam}`);
        // Someone wrote between our read and our write: never overwrite a version the rules above
        // did not see, whatever If-Match allowed.
        if (result.kind === "version_conflict") throw lostRace(level, condition, result.currentVersion, "updated");
        throw invalidBody(level, result.issues);
      }
      noteChange(c, present(current), present(result.document as StoredDocument<Body>));
      // Tidying only: the old version's entry can never be served again once D1 moved on.
      await forgetCached(level.collection, current, cacheOf(c));
      c.header("ETag", entityTag(result.document.version));
      return c.json(present(result.document as StoredDocument<Body>), 200);
    },
  );

  const removed = z.object(
    Object.fromEntries(
      REGISTRY_LEVELS.slice(REGISTRY_LEVELS.indexOf(level)).map((each) => [each.plural, z.number().int()]),
    ),
  );
  app.openapi(
    createRoute({
      method: "delete",
      path: itemRoute,
      tags,
      summary: `Delete a ${level.singular} and everything below it, atomically`,
      request: { params: itemParams, headers: ifMatch },
      responses: {
        200: { description: "What was removed, per level.", ...json(z.object({ removed })) },
        400: errorResponse,
        404: errorResponse,
        409: errorResponse,
        412: errorResponse,
      },
    }),
    async (c) => {
      const condition = ifMatchOf(c);
      const current = await load(c, c.req.valid("param") as Record<string, string>);
      // Checked against the version read; the write below is guarded by that exact version.
      if (condition !== null && !condition.matches(entityTag(current.version)))
        throw preconditionFailed(level, current.version);
      const result = await cascadeDelete(c.var.session, REGISTRY_LEVELS, level, current.id, current.version);
      if (!result.ok) {
        if (result.kind === "not_found") throw notFound(level, current.id, `path/${level.idParam}`);
        throw lostRace(level, condition, result.currentVersion, "deleted");
      }
      // Versions may have gone with it, and with them the last use of a Confluent id.
      if (Object.values(result.removed).some((count) => count > 0)) schemaIdCache.clear();
      noteChange(c, present(current), null);
      await forgetCached(level.collection, current, cacheOf(c));
      return c.json({ removed: result.removed }, 200);
    },
  );

  return app;
}
