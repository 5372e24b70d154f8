/**
 * The Confluent-compatible Schema Registry API, at the root of the tenant's domain as Confluent
 * serves it (docs/confluent-api.md), over the same store as /api. Requests and answers use
 * Confluent's shapes, content type and `{"error_code", "message"}` errors, so its clients work
 * unchanged.
 *
 * One sub-app per resource (routes/*.ts), each route declared once (confluent-route.ts): served at
 * the root and under `/contexts/{ctx}` (where plain subject names are in context `ctx`), validated
 * by its zod schemas (confluent-input.ts), described in the OpenAPI document (`confluentOpenApi`)
 * and given its access rule (`CONFLUENT_ACCESS_RULES`, which auth/access-policy.ts serves from).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import type { AccessRule } from "../auth/access-rule.ts";
import { d1Session } from "../store/d1-session.ts";
import { CONFLUENT_ERRORS, ConfluentError } from "./confluent-error.ts";
import { CONFLUENT_CONTENT_TYPE, fail, type ConfluentEnv, type ConfluentResource } from "./confluent-route.ts";
import { compatibility } from "./routes/compatibility.ts";
import { config } from "./routes/config.ts";
import { impact } from "./routes/impact.ts";
import { bulkImport } from "./routes/import.ts";
import { contexts } from "./routes/contexts.ts";
import { metadata } from "./routes/metadata.ts";
import { mode } from "./routes/mode.ts";
import { schemas } from "./routes/schemas.ts";
import { subjects } from "./routes/subjects.ts";
import { versions } from "./routes/versions.ts";

/** The resources, in the order the document lists them. */
const RESOURCES: readonly ConfluentResource[] = [
  subjects,
  versions,
  schemas,
  config,
  mode,
  compatibility,
  contexts,
  metadata,
  bulkImport,
  impact,
];

/** The access rule of every Confluent route, as declared beside it (one per method and path served). */
export const CONFLUENT_ACCESS_RULES: readonly AccessRule[] = RESOURCES.flatMap((resource) => resource.accessRules);

/**
 * @example
 *   app.route("/", confluentApi); // GET /subjects, POST /subjects/{s}/versions, ...
 */
export const confluentApi = new OpenAPIHono<ConfluentEnv>();

confluentApi.onError((error, c) => {
  if (error instanceof ConfluentError)
    return c.body(JSON.stringify({ error_code: error.errorCode, message: error.message }), error.status, {
      "content-type": CONFLUENT_CONTENT_TYPE,
    });
  // A request refused before a handler (e.g. a malformed x-d1-bookmark), in Confluent's shape.
  if (error instanceof HTTPException && error.status < 500)
    return c.body(JSON.stringify({ error_code: error.status, message: error.message }), error.status, {
      "content-type": CONFLUENT_CONTENT_TYPE,
    });
  console.error(
    JSON.stringify({ event: "unhandled_error", api: "confluent", requestId: c.var.requestId, error: String(error) }),
  );
  return c.body(
    JSON.stringify({ error_code: CONFLUENT_ERRORS.storeError, message: "Error in the backend data store" }),
    500,
    {
      "content-type": CONFLUENT_CONTENT_TYPE,
    },
  );
});
// Only on this API's own paths: mounted at the root, a bare `use()` would also run for /health and /api.
for (const path of [
  "/subjects",
  "/subjects/*",
  "/schemas",
  "/schemas/*",
  "/config",
  "/config/*",
  "/compatibility/*",
  "/mode",
  "/mode/*",
  "/contexts",
  "/contexts/*",
  "/import/*",
  "/impact/*",
])
  confluentApi.use(path, d1Session());

for (const resource of RESOURCES) confluentApi.route("/", resource.app);

// A path this API serves, asked with a method it does not: Confluent answers 405 in its own shape.
for (const path of new Set(CONFLUENT_ACCESS_RULES.map((rule) => rule.path)))
  confluentApi.all(path, () => fail(405, "HTTP 405 Method Not Allowed"));

/** The parts of an OpenAPI 3 document the Confluent API contributes to the tenant's (api-docs.ts). */
export interface OpenApiFragment {
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown> };
  tags?: { name: string; description?: string }[];
}

const TAGS: { name: ConfluentResource["tag"]; description: string }[] = [
  {
    name: "Confluent: subjects",
    description:
      "Confluent Schema Registry API at the tenant's root (docs/confluent-api.md): subjects. " +
      "Every route is also served under `/contexts/{context}`, where plain subject names are in that context.",
  },
  { name: "Confluent: versions", description: "Registering schemas under a subject, and its versions." },
  { name: "Confluent: schemas", description: "Schemas by global id or guid, and every version with its schema." },
  {
    name: "Confluent: config",
    description: "Compatibility levels and config fields, global, per context and per subject.",
  },
  { name: "Confluent: mode", description: "READWRITE, READONLY, READONLY_OVERRIDE or IMPORT, at each level." },
  { name: "Confluent: compatibility", description: "Compatibility checks without registering." },
  { name: "Confluent: contexts", description: "Contexts (`:.ctx:subject`)." },
  { name: "Confluent: metadata", description: "The server's own description." },
  {
    name: "Confluent: import",
    description: "Moving a registry here: many schemas in one request, each keeping its id and version.",
  },
];

/**
 * The Confluent API's paths and component schemas, generated from its route declarations.
 *
 * @example
 *   const { paths } = confluentOpenApi(); // paths["/subjects/{subject}/versions"].post
 */
export function confluentOpenApi(): OpenApiFragment {
  const document = confluentApi.getOpenAPIDocument({ openapi: "3.0.3", info: { title: "Confluent", version: "1" } });
  return {
    paths: (document.paths ?? {}) as OpenApiFragment["paths"],
    components: { schemas: (document.components?.schemas ?? {}) as Record<string, unknown> },
    tags: TAGS,
  };
}
