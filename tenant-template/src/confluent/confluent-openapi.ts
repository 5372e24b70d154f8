/**
 * The OpenAPI description of the Confluent-compatible API (docs/confluent-api.md), merged with the
 * hierarchical API's into the one document the tenant serves (tenant-template/src/api-docs.ts).
 * The Confluent routes are plain Hono handlers (they speak Confluent's content type and error
 * shape, not the /api validation layer), so they are described here, from zod schemas, one entry
 * per operation in CONFLUENT_OPERATIONS.
 *
 * To document a new route: add one entry to CONFLUENT_OPERATIONS (path in OpenAPI form,
 * `{subject}` for Hono's `:subject`), reusing the parameters and bodies below.
 * tests/tenant-template/confluent-openapi.test.ts fails, naming the method and path, for any
 * Confluent route the app serves that is not listed here (and for any listed that it does not serve).
 */
import { OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import { COMPATIBILITY_LEVELS } from "../compat/compatibility.ts";
import { SCHEMA_FORMATS } from "../store/collections.ts";
import { CONFLUENT_ERRORS } from "./confluent-error.ts";

/** The content type Confluent answers with (confluent-api.ts answers the same). */
const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

// --- Bodies -------------------------------------------------------------------------------------

const schemaType = z
  .enum(SCHEMA_FORMATS)
  .openapi({ description: "AVRO (the default when a request omits it), JSON or PROTOBUF." });
const reference = z
  .object({
    name: z.string().openapi({
      description: "How the schema refers to it: an Avro full name, a JSON Schema $ref URL, a .proto import path.",
      example: "com.acme.common.Money",
    }),
    subject: z.string().openapi({ example: "com.acme.common.Money" }),
    version: z.number().int().openapi({ example: 1 }),
  })
  .openapi("ConfluentSchemaReference");
const schemaRequest = z
  .object({
    schema: z.string().openapi({
      description: "The schema text.",
      example: '{"type":"record","name":"OrderPlaced","fields":[{"name":"id","type":"string"}]}',
    }),
    schemaType: schemaType.optional(),
    references: z.array(reference).optional(),
  })
  .openapi("ConfluentSchemaRequest");
const registered = z
  .object({
    id: z
      .number()
      .int()
      .openapi({ description: "The global schema id (the one in the wire format's header).", example: 1 }),
  })
  .openapi("ConfluentRegisteredId");
const subjectVersion = z
  .object({
    subject: z.string(),
    version: z.number().int(),
    id: z.number().int(),
    schemaType: schemaType.optional(),
    schema: z.string(),
    references: z.array(reference).optional(),
  })
  .openapi("ConfluentSubjectVersion");
const schemaById = z
  .object({ schema: z.string(), schemaType: schemaType.optional(), references: z.array(reference).optional() })
  .openapi("ConfluentSchema");
const subjectVersionPair = z
  .object({ subject: z.string(), version: z.number().int() })
  .openapi("ConfluentSubjectVersionPair");
const level = z.enum(COMPATIBILITY_LEVELS).openapi({ example: "BACKWARD" });
const configRead = z.object({ compatibilityLevel: level }).openapi("ConfluentConfig");
const configWrite = z.object({ compatibility: level }).openapi("ConfluentConfigUpdate");
const modeBody = z
  .object({ mode: z.enum(["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"]) })
  .openapi("ConfluentMode");
const compatibilityResult = z
  .object({
    is_compatible: z.boolean(),
    messages: z.array(z.string()).optional().openapi({ description: "With `?verbose=true`: why not." }),
  })
  .openapi("ConfluentCompatibility");
const errorBody = z
  .object({
    error_code: z.number().int().openapi({ example: 40401 }),
    message: z.string().openapi({ example: "Subject 'orders-value' not found." }),
  })
  .openapi("ConfluentError");

// --- Parameters ---------------------------------------------------------------------------------

const subject = z.string().openapi({
  param: { name: "subject", in: "path" },
  description: "A subject; `:.ctx:name` names one in context `ctx`.",
  example: "orders-value",
});
const version = z.string().openapi({
  param: { name: "version", in: "path" },
  description: "A version number, `latest` or `-1`.",
  example: "latest",
});
const id = z.string().openapi({ param: { name: "id", in: "path" }, description: "A global schema id.", example: "1" });
const flag = (description: string) => z.enum(["true", "false"]).optional().openapi({ description });
const deleted = flag("Include soft-deleted versions.");

// --- Responses ----------------------------------------------------------------------------------

/** What each error code means, for the responses' descriptions. */
const ERROR_MEANINGS: Record<number, string> = {
  [CONFLUENT_ERRORS.subjectNotFound]: "subject not found",
  [CONFLUENT_ERRORS.versionNotFound]: "version not found",
  [CONFLUENT_ERRORS.schemaNotFound]: "schema not found",
  [CONFLUENT_ERRORS.subjectSoftDeleted]: "subject already soft-deleted",
  [CONFLUENT_ERRORS.subjectNotSoftDeleted]: "permanent delete before a soft delete",
  [CONFLUENT_ERRORS.versionSoftDeleted]: "version already soft-deleted",
  [CONFLUENT_ERRORS.versionNotSoftDeleted]: "permanent delete of a version before its soft delete",
  [CONFLUENT_ERRORS.subjectConfigNotFound]: "no subject-level config",
  [CONFLUENT_ERRORS.incompatibleSchema]: "incompatible with the subject's versions",
  [CONFLUENT_ERRORS.invalidSchema]: "invalid schema",
  [CONFLUENT_ERRORS.invalidVersion]: "invalid version",
  [CONFLUENT_ERRORS.invalidCompatibilityLevel]: "invalid compatibility level",
  [CONFLUENT_ERRORS.invalidSubject]: "invalid subject name",
  [CONFLUENT_ERRORS.schemaTooLarge]: "schema too large",
  [CONFLUENT_ERRORS.subjectModeNotFound]: "no subject-level mode",
  [CONFLUENT_ERRORS.invalidMode]: "invalid mode",
  [CONFLUENT_ERRORS.operationNotPermitted]: "not permitted in the mode in force (READONLY, IMPORT)",
  [CONFLUENT_ERRORS.referenceExists]: "a live schema references this version",
  [CONFLUENT_ERRORS.invalidContext]: "invalid context name",
};

type Responses = RouteConfig["responses"];

/** A 200 answer in Confluent's content type. */
function ok(schema: z.ZodType, description: string): Responses {
  return { 200: { description, content: { [CONTENT_TYPE]: { schema } } } };
}

/** Error responses grouped by status (the code's first three digits), each code listed with its meaning. */
function errors(...codes: number[]): Responses {
  const byStatus = new Map<number, number[]>();
  for (const code of [...codes, CONFLUENT_ERRORS.storeError]) {
    const status = code < 1000 ? code : Math.trunc(code / 100);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      {
        description: list
          .map((code) => `${code}${ERROR_MEANINGS[code] === undefined ? "" : ` ${ERROR_MEANINGS[code]}`}`)
          .join("; "),
        content: { [CONTENT_TYPE]: { schema: errorBody } },
      },
    ]),
  );
}

const body = (schema: z.ZodType) => ({
  body: { content: { [CONTENT_TYPE]: { schema }, "application/json": { schema } }, required: true },
});
const {
  subjectNotFound,
  versionNotFound,
  schemaNotFound,
  invalidSchema,
  invalidVersion,
  invalidSubject,
  invalidCompatibilityLevel,
} = CONFLUENT_ERRORS;

// --- Operations ---------------------------------------------------------------------------------

/** One documented Confluent operation: `path` in OpenAPI form, relative to the tenant's root. */
export type ConfluentOperation = Omit<RouteConfig, "tags"> & { tags: [ConfluentTag] };
type ConfluentTag =
  | "Confluent: subjects"
  | "Confluent: schemas"
  | "Confluent: config"
  | "Confluent: compatibility"
  | "Confluent: mode"
  | "Confluent: contexts";

/** Every route of confluent-api.ts, in the order a reader meets them. */
const CONFLUENT_OPERATIONS: ConfluentOperation[] = [
  {
    method: "get",
    path: "/subjects",
    tags: ["Confluent: subjects"],
    summary: "List subjects with a live version",
    request: { query: z.object({ deleted }) },
    responses: {
      ...ok(
        z.array(z.string()),
        "Subject names of the default context (under /contexts/{context}: that context's, plain); " +
          "`subjectPrefix=:*:` lists every context's, qualified `:.ctx:name`.",
      ),
      ...errors(),
    },
  },
  {
    method: "post",
    path: "/subjects/{subject}/versions",
    tags: ["Confluent: subjects"],
    summary: "Register a schema under a subject (idempotent: the same schema answers its id)",
    request: { params: z.object({ subject }), ...body(schemaRequest) },
    responses: {
      ...ok(registered, "The global id."),
      ...errors(CONFLUENT_ERRORS.incompatibleSchema, invalidSchema, invalidSubject, CONFLUENT_ERRORS.schemaTooLarge),
    },
  },
  {
    method: "post",
    path: "/subjects/{subject}",
    tags: ["Confluent: subjects"],
    summary: "Look up a schema in a subject",
    request: { params: z.object({ subject }), query: z.object({ deleted }), ...body(schemaRequest) },
    responses: {
      ...ok(subjectVersion, "The version holding that schema."),
      ...errors(subjectNotFound, schemaNotFound, invalidSchema, invalidSubject),
    },
  },
  {
    method: "get",
    path: "/subjects/{subject}/versions",
    tags: ["Confluent: subjects"],
    summary: "List a subject's versions",
    request: { params: z.object({ subject }), query: z.object({ deleted }) },
    responses: {
      ...ok(z.array(z.number().int()), "Version numbers, oldest first."),
      ...errors(subjectNotFound, invalidSubject),
    },
  },
  {
    method: "get",
    path: "/subjects/{subject}/versions/{version}",
    tags: ["Confluent: subjects"],
    summary: "Get one version of a subject",
    request: { params: z.object({ subject, version }), query: z.object({ deleted }) },
    responses: {
      ...ok(subjectVersion, "The version."),
      ...errors(subjectNotFound, versionNotFound, invalidVersion, invalidSubject),
    },
  },
  {
    method: "get",
    path: "/subjects/{subject}/versions/{version}/schema",
    tags: ["Confluent: subjects"],
    summary: "Get one version's schema text, exactly as registered",
    request: { params: z.object({ subject, version }), query: z.object({ deleted }) },
    responses: {
      ...ok(z.string(), "The schema text itself."),
      ...errors(subjectNotFound, versionNotFound, invalidVersion, invalidSubject),
    },
  },
  {
    method: "delete",
    path: "/subjects/{subject}",
    tags: ["Confluent: subjects"],
    summary: "Delete a subject (soft; `?permanent=true` after a soft delete)",
    request: {
      params: z.object({ subject }),
      query: z.object({ permanent: flag("Hard delete (only after a soft delete).") }),
    },
    responses: {
      ...ok(z.array(z.number().int()), "The versions deleted."),
      ...errors(
        subjectNotFound,
        CONFLUENT_ERRORS.subjectSoftDeleted,
        CONFLUENT_ERRORS.subjectNotSoftDeleted,
        invalidSubject,
      ),
    },
  },
  {
    method: "delete",
    path: "/subjects/{subject}/versions/{version}",
    tags: ["Confluent: subjects"],
    summary: "Delete one version (soft; `?permanent=true` after a soft delete)",
    request: {
      params: z.object({ subject, version }),
      query: z.object({ permanent: flag("Hard delete (only after a soft delete).") }),
    },
    responses: {
      ...ok(z.number().int(), "The version deleted."),
      ...errors(
        subjectNotFound,
        versionNotFound,
        CONFLUENT_ERRORS.versionSoftDeleted,
        CONFLUENT_ERRORS.versionNotSoftDeleted,
        invalidVersion,
        invalidSubject,
      ),
    },
  },
  {
    method: "get",
    path: "/schemas/types",
    tags: ["Confluent: schemas"],
    summary: "The schema types this registry accepts",
    responses: { ...ok(z.array(z.string()), '["AVRO", "JSON", "PROTOBUF"]'), ...errors() },
  },
  {
    method: "get",
    path: "/schemas/ids/{id}",
    tags: ["Confluent: schemas"],
    summary: "Get a schema by its global id (what a deserializer does)",
    request: {
      params: z.object({ id }),
      query: z.object({
        subject: z.string().optional().openapi({ description: "Only if this subject's context uses the id." }),
        fetchMaxId: flag("Add `maxId`, the highest id."),
      }),
    },
    responses: { ...ok(schemaById, "The schema, with its type and references."), ...errors(schemaNotFound) },
  },
  {
    method: "get",
    path: "/schemas/ids/{id}/schema",
    tags: ["Confluent: schemas"],
    summary: "Get a schema's text by its global id",
    request: { params: z.object({ id }) },
    responses: { ...ok(z.string(), "The schema text itself."), ...errors(schemaNotFound) },
  },
  {
    method: "get",
    path: "/schemas/ids/{id}/subjects",
    tags: ["Confluent: schemas"],
    summary: "The subjects using a schema",
    request: { params: z.object({ id }), query: z.object({ deleted }) },
    responses: { ...ok(z.array(z.string()), "Subject names."), ...errors(schemaNotFound) },
  },
  {
    method: "get",
    path: "/schemas/ids/{id}/versions",
    tags: ["Confluent: schemas"],
    summary: "The subject versions using a schema",
    request: { params: z.object({ id }), query: z.object({ deleted }) },
    responses: { ...ok(z.array(subjectVersionPair), "Subject and version pairs."), ...errors(schemaNotFound) },
  },
  {
    method: "get",
    path: "/config",
    tags: ["Confluent: config"],
    summary: "The global compatibility level (BACKWARD unless set)",
    responses: { ...ok(configRead, "The level."), ...errors() },
  },
  {
    method: "put",
    path: "/config",
    tags: ["Confluent: config"],
    summary: "Set the global compatibility level",
    request: body(configWrite),
    responses: { ...ok(configWrite, "The level set."), ...errors(invalidCompatibilityLevel) },
  },
  {
    method: "get",
    path: "/config/{subject}",
    tags: ["Confluent: config"],
    summary: "A subject's compatibility level",
    request: {
      params: z.object({ subject }),
      query: z.object({ defaultToGlobal: flag("Answer the global level when the subject has none.") }),
    },
    responses: { ...ok(configRead, "The level."), ...errors(CONFLUENT_ERRORS.subjectConfigNotFound, invalidSubject) },
  },
  {
    method: "put",
    path: "/config/{subject}",
    tags: ["Confluent: config"],
    summary: "Set a subject's compatibility level",
    request: { params: z.object({ subject }), ...body(configWrite) },
    responses: { ...ok(configWrite, "The level set."), ...errors(invalidCompatibilityLevel, invalidSubject) },
  },
  {
    method: "delete",
    path: "/config/{subject}",
    tags: ["Confluent: config"],
    summary: "Remove a subject's level (the global one applies again)",
    request: { params: z.object({ subject }) },
    responses: { ...ok(configRead, "The level removed."), ...errors(subjectNotFound, invalidSubject) },
  },
  {
    method: "post",
    path: "/compatibility/subjects/{subject}/versions/{version}",
    tags: ["Confluent: compatibility"],
    summary: "Test a schema against one version (the level's direction, not its transitivity)",
    request: {
      params: z.object({ subject, version }),
      query: z.object({ verbose: flag("Add the reasons in `messages`.") }),
      ...body(schemaRequest),
    },
    responses: {
      ...ok(compatibilityResult, "Compatible or not."),
      ...errors(subjectNotFound, versionNotFound, invalidSchema, invalidVersion, invalidSubject),
    },
  },
  {
    method: "post",
    path: "/compatibility/subjects/{subject}/versions",
    tags: ["Confluent: compatibility"],
    summary: "Test a schema against the subject's live versions at its level",
    request: {
      params: z.object({ subject }),
      query: z.object({ verbose: flag("Add the reasons in `messages`.") }),
      ...body(schemaRequest),
    },
    responses: {
      ...ok(compatibilityResult, "Compatible or not (a subject with no versions accepts anything)."),
      ...errors(invalidSchema, invalidSubject),
    },
  },
  {
    method: "get",
    path: "/subjects/{subject}/versions/{version}/referencedby",
    tags: ["Confluent: subjects"],
    summary: "The ids of live schemas that reference this version",
    request: { params: z.object({ subject, version }) },
    responses: {
      ...ok(z.array(z.number().int()), "Schema ids."),
      ...errors(subjectNotFound, versionNotFound, invalidVersion, invalidSubject),
    },
  },
  {
    method: "get",
    path: "/subjects/{subject}/metadata",
    tags: ["Confluent: subjects"],
    summary: "The latest live version's metadata (`{}` when none)",
    request: { params: z.object({ subject }) },
    responses: {
      ...ok(z.record(z.string(), z.unknown()), "Metadata: properties, tags, sensitive."),
      ...errors(subjectNotFound, invalidSubject),
    },
  },
  {
    method: "get",
    path: "/schemas",
    tags: ["Confluent: schemas"],
    summary: "List subject versions with their schemas",
    request: {
      query: z.object({
        subjectPrefix: z
          .string()
          .optional()
          .openapi({
            description:
              "Only subjects starting with it; `:.ctx:` names a context, " +
              "`:*:` every context (default: the default context).",
          }),
        deleted,
        latestOnly: flag("Only each subject's latest version."),
        offset: z.string().optional(),
        limit: z.string().optional(),
      }),
    },
    responses: { ...ok(z.array(subjectVersion), "Versions, by subject then version."), ...errors() },
  },
  {
    method: "get",
    path: "/schemas/guids/{guid}",
    tags: ["Confluent: schemas"],
    summary: "Get a schema by its guid",
    request: { params: z.object({ guid: z.string().openapi({ param: { name: "guid", in: "path" } }) }) },
    responses: { ...ok(schemaById, "The schema."), ...errors(schemaNotFound) },
  },
  {
    method: "delete",
    path: "/config",
    tags: ["Confluent: config"],
    summary: "Remove the global config (BACKWARD applies again)",
    responses: { ...ok(configRead, "The config removed."), ...errors() },
  },
  {
    method: "get",
    path: "/mode",
    tags: ["Confluent: mode"],
    summary: "The global mode (READWRITE unless set)",
    responses: { ...ok(modeBody, "The mode."), ...errors() },
  },
  {
    method: "put",
    path: "/mode",
    tags: ["Confluent: mode"],
    summary: "Set the global mode (IMPORT over existing subjects needs `?force=true`)",
    request: { query: z.object({ force: flag("Switch to IMPORT although subjects exist.") }), ...body(modeBody) },
    responses: {
      ...ok(modeBody, "The mode set."),
      ...errors(CONFLUENT_ERRORS.invalidMode, CONFLUENT_ERRORS.operationNotPermitted),
    },
  },
  {
    method: "delete",
    path: "/mode",
    tags: ["Confluent: mode"],
    summary: "Remove the global mode (READWRITE applies again)",
    responses: { ...ok(modeBody, "The mode removed."), ...errors() },
  },
  {
    method: "get",
    path: "/mode/{subject}",
    tags: ["Confluent: mode"],
    summary: "A subject's mode (`:.ctx:` alone: that context's)",
    request: {
      params: z.object({ subject }),
      query: z.object({ defaultToGlobal: flag("Answer the mode in force when the subject has none.") }),
    },
    responses: { ...ok(modeBody, "The mode."), ...errors(CONFLUENT_ERRORS.subjectModeNotFound, invalidSubject) },
  },
  {
    method: "put",
    path: "/mode/{subject}",
    tags: ["Confluent: mode"],
    summary: "Set a subject's mode",
    request: {
      params: z.object({ subject }),
      query: z.object({ force: flag("Switch to IMPORT although the subject has versions.") }),
      ...body(modeBody),
    },
    responses: {
      ...ok(modeBody, "The mode set."),
      ...errors(CONFLUENT_ERRORS.invalidMode, CONFLUENT_ERRORS.operationNotPermitted, invalidSubject),
    },
  },
  {
    method: "delete",
    path: "/mode/{subject}",
    tags: ["Confluent: mode"],
    summary: "Remove a subject's mode",
    request: { params: z.object({ subject }) },
    responses: {
      ...ok(modeBody, "The mode removed."),
      ...errors(subjectNotFound, CONFLUENT_ERRORS.subjectModeNotFound, invalidSubject),
    },
  },
  {
    method: "get",
    path: "/contexts",
    tags: ["Confluent: contexts"],
    summary: "The contexts holding subjects (`.` is the default)",
    responses: { ...ok(z.array(z.string()), 'Context names, e.g. [".", ".payments"].'), ...errors() },
  },
  {
    method: "get",
    path: "/",
    tags: ["Confluent: contexts"],
    summary: "The registry answers (`{}`), as Confluent's root does",
    responses: { ...ok(z.object({}), "An empty object."), ...errors() },
  },
  {
    method: "get",
    path: "/v1/metadata/id",
    tags: ["Confluent: contexts"],
    summary: "The registry's cluster ids",
    responses: { ...ok(z.object({ scope: z.unknown() }), "Confluent's metadata id shape."), ...errors() },
  },
  {
    method: "get",
    path: "/v1/metadata/version",
    tags: ["Confluent: contexts"],
    summary: "The Confluent version this API follows",
    responses: { ...ok(z.object({ version: z.string(), commitId: z.string() }), "The version."), ...errors() },
  },
];

/** Routes served at the root only; every other route is also served under `/contexts/{context}`. */
const ROOT_ONLY = new Set(["/", "/contexts", "/v1/metadata/id", "/v1/metadata/version"]);
const contextParam = z.string().openapi({
  param: { name: "context", in: "path" },
  description: "A context: `.ctx` (or `:.ctx:`); `.` is the default.",
  example: ".payments",
});
CONFLUENT_OPERATIONS.push(
  ...CONFLUENT_OPERATIONS.filter((operation) => !ROOT_ONLY.has(operation.path)).map((operation) => ({
    ...operation,
    path: `/contexts/{context}${operation.path}`,
    operationId: undefined,
    request: {
      ...operation.request,
      params: operation.request?.params
        ? (operation.request.params as z.ZodObject).extend({ context: contextParam })
        : z.object({ context: contextParam }),
    },
  })),
);

/** The parts of an OpenAPI 3 document this module produces (paths and component schemas). */
export interface OpenApiFragment {
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown> };
  tags?: { name: string; description?: string }[];
}

const TAGS: { name: ConfluentTag; description: string }[] = [
  {
    name: "Confluent: subjects",
    description:
      "Confluent Schema Registry API at the tenant's root: subjects and their versions (docs/confluent-api.md).",
  },
  { name: "Confluent: schemas", description: "Schemas by global id." },
  { name: "Confluent: config", description: "Compatibility levels, global and per subject." },
  { name: "Confluent: compatibility", description: "Compatibility checks without registering." },
  { name: "Confluent: mode", description: "READWRITE, READONLY, READONLY_OVERRIDE or IMPORT, global and per subject." },
  {
    name: "Confluent: contexts",
    description:
      "Contexts (`:.ctx:subject`), and the server's own description. " +
      "Every route is also served under `/contexts/{context}`.",
  },
];

/**
 * The Confluent API's paths and component schemas, generated from CONFLUENT_OPERATIONS.
 *
 * @example
 *   const { paths } = confluentOpenApi(); // paths["/subjects/{subject}/versions"].post
 */
export function confluentOpenApi(): OpenApiFragment {
  // An OpenAPIHono with no handlers: only its registry and generator are used.
  const generator = new OpenAPIHono();
  for (const operation of CONFLUENT_OPERATIONS) generator.openAPIRegistry.registerPath(operation);
  const document = generator.getOpenAPIDocument({ openapi: "3.0.3", info: { title: "Confluent", version: "1" } });
  return {
    paths: (document.paths ?? {}) as OpenApiFragment["paths"],
    components: { schemas: (document.components?.schemas ?? {}) as Record<string, unknown> },
    tags: TAGS,
  };
}
