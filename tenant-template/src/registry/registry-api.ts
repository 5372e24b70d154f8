/**
 * The tenant's hierarchical registry API, mounted at `/api` (docs/registry-api.md). Every route is
 * an `@hono/zod-openapi` definition, so the OpenAPI document at `/api/openapi.json` (api-docs.ts) is derived from
 * the same zod schemas that validate the requests. Every request runs in one D1 session and
 * answers its bookmark in `x-d1-bookmark`.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { auditApi } from "../audit/audit-api.ts";
import { impactApi } from "./impact-api.ts";
import { keysApi } from "../auth/keys-api.ts";
import { usageApi } from "../usage/usage-api.ts";
import { whoamiApi } from "../auth/whoami-api.ts";
import { webhooksApi } from "../webhooks/webhooks-api.ts";
import { validationHook } from "../http/request-input.ts";
import { d1Session } from "../store/d1-session.ts";
import { TEMPLATE_VERSION } from "../../../contracts/template-version.ts";
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION } from "../backup/export-format.ts";
import { levelRoutes, type RegistryEnv } from "./level-routes.ts";
import { REGISTRY_LEVELS } from "./registry-levels.ts";

/** The hierarchical API's part of the served document (merged with the Confluent API's in api-docs.ts). */
export const REGISTRY_DOCUMENT_CONFIG = {
  openapi: "3.0.3",
  info: {
    title: "Schema registry",
    version: TEMPLATE_VERSION,
    description:
      "Products > domains > contexts > schemas > versions. " +
      "Writes answer an ETag (the document's version); " +
      "send it back in If-Match to update or delete only what you read. " +
      "Send the x-d1-bookmark of a response with the next request to read at least what it wrote.",
  },
  servers: [{ url: "/api" }],
};

const stats = z.object({
  counts: z.object(Object.fromEntries(REGISTRY_LEVELS.map((level) => [level.plural, z.number().int()]))),
  storage: z.object({
    databaseBytes: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The whole D1 database file (D1's size_after), tables and indexes included." }),
    documentBytes: z.number().int().openapi({ description: "The sum of the stored JSON bodies, in UTF-8 bytes." }),
  }),
});

/**
 * @example
 *   app.use("/api/*", requestInput());
 *   app.route("/api", registryApi);
 */
export const registryApi = new OpenAPIHono<RegistryEnv>({ defaultHook: validationHook });

registryApi.use(d1Session());
for (const level of REGISTRY_LEVELS) registryApi.route("/", levelRoutes(level));
// API keys, the audit log and the tenant settings (docs/security.md): admin only, see auth/access-policy.ts.
registryApi.route("/", keysApi);
registryApi.route("/", auditApi);
// The tenant's usage as the platform publishes it (docs/usage.md): admin only.
registryApi.route("/", usageApi);
// Impact analysis, the same report as Confluent's side gives (confluent/impact-analysis.ts).
registryApi.route("/", impactApi);
// What the presented key may do (any key): the console offers only that.
registryApi.route("/", whoamiApi);
// Webhooks and their delivery logs (docs/webhooks.md): admin only.
registryApi.route("/", webhooksApi);

registryApi.openapi(
  createRoute({
    method: "get",
    path: "/stats",
    tags: ["registry"],
    summary: "Documents per level and storage used",
    request: { query: z.strictObject({}) },
    responses: { 200: { description: "Counts and bytes.", content: { "application/json": { schema: stats } } } },
  }),
  async (c) => {
    const tables = REGISTRY_LEVELS.map((level) => level.collection.name);
    // One statement, so the counts are one consistent snapshot; names come from the declarations.
    const counts = REGISTRY_LEVELS.map(
      (level) => `(SELECT count(*) FROM ${level.collection.name}) AS "${level.plural}"`,
    );
    const bytes = tables
      .map((table) => `(SELECT coalesce(sum(length(CAST(body AS BLOB))), 0) FROM ${table})`)
      .join(" + ");
    const result = await c.var.session
      .prepare(`SELECT ${counts.join(", ")}, ${bytes} AS documentBytes`)
      .all<Record<string, number>>();
    const row = result.results[0] ?? {};
    const size = result.meta.size_after;
    return c.json(
      {
        counts: Object.fromEntries(REGISTRY_LEVELS.map((level) => [level.plural, row[level.plural] ?? 0])),
        storage: { databaseBytes: typeof size === "number" ? size : null, documentBytes: row.documentBytes ?? 0 },
      },
      200,
    );
  },
);

// Backup and restore are served by their own sub-app (backup/backup-api.ts, with its larger body
// limit); they are described here so the one document covers the whole API.
const exportedDocument = z.object({
  id: z.string(),
  _version: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  body: z.record(z.string(), z.unknown()),
});
const exportDocument = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    formatVersion: z.literal(EXPORT_FORMAT_VERSION),
    collections: z.object(
      Object.fromEntries(REGISTRY_LEVELS.map((level) => [level.collection.name, z.array(exportedDocument)])),
    ),
  })
  .openapi("RegistryExport");
const errorShape = { description: "The API's error shape: `{ error: { code, message, requestId, details? } }`." };
registryApi.openAPIRegistry.registerPath({
  method: "get",
  path: "/export",
  tags: ["backup"],
  summary: "The whole registry as one JSON document, streamed",
  responses: {
    200: {
      description: "Every document of every level, parents first; import it into an empty tenant to restore.",
      content: { "application/json": { schema: exportDocument } },
    },
  },
});
registryApi.openAPIRegistry.registerPath({
  method: "post",
  path: "/import",
  tags: ["backup"],
  summary: "Load an export into an empty registry, all or nothing",
  request: { body: { content: { "application/json": { schema: exportDocument } } } },
  responses: {
    201: { description: "Imported: counts per level." },
    400: errorShape,
    409: {
      description:
        "The registry is not empty (only an untouched default hierarchy may be replaced); nothing was imported.",
    },
    413: errorShape,
    422: { description: "Invalid documents, each with its path; nothing was imported." },
  },
});

// The document and the docs page are served by api-docs.ts, merged with the Confluent API's.
