/**
 * How a route of the Confluent-compatible API is declared (docs/confluent-api.md): one declaration
 * per operation gives its path, its zod schemas for path parameters, query and body, its documented
 * answers, and its access rule (role, scope, audit action). From that one declaration the route is
 *
 * - served at the root and under `/contexts/{context}` (unless `rootOnly`), in its resource's
 *   sub-app (routes/*.ts);
 * - validated: path parameters, then query, then body, each by its zod schema; the first problem
 *   is answered as Confluent's `{"error_code", "message"}` (`confluentHook`);
 * - documented: the route goes into the sub-app's OpenAPI registry, from which the served document
 *   is generated (confluent-api.ts `confluentOpenApi`);
 * - access-ruled: `accessRules` lists one rule per served method and path, which
 *   auth/access-policy.ts makes the access table of (a route cannot be declared without one).
 */
import { createRoute, OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ZodError } from "zod";
import type { Role } from "../../../contracts/api-key.ts";
import { auditedByDefault, type AccessRule, type HttpMethod, type ScopeRule } from "../auth/access-rule.ts";
import type { Principal } from "../auth/key-store.ts";
import { MAX_BODY_BYTES, readBodyText } from "../http/input-limits.ts";
import type { RegistryEnv } from "../registry/level-routes.ts";
import { CONFLUENT_ERRORS, ConfluentError } from "./confluent-error.ts";
import { contextOfUrl } from "./confluent-store.ts";

/** What Confluent answers with; its clients also accept application/vnd.schemaregistry+json and application/json. */
export const CONFLUENT_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
const ACCEPTED_BODY = /^application\/(?:vnd\.schemaregistry(?:\.v1)?\+json|json|octet-stream)\b/i;

/** The registry's bindings and variables, and the key the request acts as (set by auth/api-access.ts). */
export type ConfluentEnv = {
  Bindings: RegistryEnv["Bindings"];
  Variables: RegistryEnv["Variables"] & { principal?: Principal };
};
export type Ctx = Context<ConfluentEnv>;

/** A 200 answer in Confluent's content type. */
export function reply(c: Ctx, body: unknown): Response {
  return c.body(JSON.stringify(body), 200, { "content-type": CONFLUENT_CONTENT_TYPE });
}

/** Answers Confluent's error `code` (the status is its first three digits). */
export function fail(code: number, message: string): never {
  throw new ConfluentError(code, message);
}

// ---- validation ----------------------------------------------------------------------------------

/** The Confluent error code a schema's problems are answered with, where its issues carry none. */
const ERROR_CODES = z.registry<{ errorCode: number }>();

/**
 * Declares the Confluent error code for every problem zod finds in `schema` (or below it) that
 * names none itself; a check names its own with `params: { errorCode }`.
 *
 * @example
 *   const compatibility = answeredAs(42203, z.string({ error: "Invalid compatibility level." }));
 */
export function answeredAs<T extends z.ZodType>(errorCode: number, schema: T): T {
  ERROR_CODES.add(schema, { errorCode });
  return schema;
}

type Walked = { type: string; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType } & {
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
};
const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "nonoptional", "catch"]);

/** The code declared nearest to the schema an issue at `path` came from (answeredAs). */
function declaredCode(root: z.ZodType, path: readonly PropertyKey[]): number | undefined {
  let code: number | undefined;
  let current: z.ZodType | undefined = root;
  let depth = 0;
  while (current !== undefined) {
    code = ERROR_CODES.get(current)?.errorCode ?? code;
    const def = current._zod.def as unknown as Walked;
    if (WRAPPERS.has(def.type)) current = def.innerType;
    // A pipe's input schema; a preprocess's (a transform piped into a schema) is its output.
    else if (def.type === "pipe") current = def.in?._zod.def.type === "transform" ? def.out : def.in;
    else if (depth >= path.length) break;
    else {
      const key = path[depth++]!;
      current =
        def.type === "object"
          ? def.shape?.[String(key)]
          : def.type === "array"
            ? def.element
            : def.type === "record"
              ? def.valueType
              : undefined;
    }
  }
  return code;
}

/**
 * The hook for a zod failure on a Confluent request: its first problem, answered with the code the
 * check gave (`params.errorCode`), else the one declared on the schema it came from (answeredAs),
 * else 400.
 */
export function confluentHook(schema: z.ZodType) {
  return (result: { success: true } | { success: false; error: ZodError }): void => {
    if (result.success) return;
    const issue = result.error.issues[0]!;
    const own = issue.code === "custom" ? (issue.params as { errorCode?: unknown } | undefined)?.errorCode : undefined;
    const code = typeof own === "number" ? own : (declaredCode(schema, issue.path) ?? 400);
    throw new ConfluentError(code, issue.message);
  };
}

/** `value` as `schema` reads it, or the hook's Confluent error. */
function validated<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) confluentHook(schema)(result);
  return result.data as z.output<T>;
}

/**
 * The JSON body of a request; Confluent clients send their own content types (and some none).
 * 415 for another type, 413 over MAX_BODY_BYTES (never held in memory), 400 if not JSON, 422 if
 * not an object.
 */
async function jsonBody(c: Ctx): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type");
  if (type !== undefined && !ACCEPTED_BODY.test(type)) fail(415, `Unsupported content type ${type}.`);
  const text = await readBodyText(c.req.raw, MAX_BODY_BYTES);
  if (text === null) fail(413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(400, "The request body is not JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    fail(422, "The request body must be a JSON object.");
  return parsed as Record<string, unknown>;
}

// ---- declarations --------------------------------------------------------------------------------

/** Who may call a route, how a scoped key's scope applies, and what the audit log calls it. */
export interface RouteAccess {
  /** The weakest role allowed. */
  role: Role;
  scope: ScopeRule;
  /** The audit log's `action`, e.g. `subject.register`. */
  action: string;
  /** Recorded when it succeeds (default: a change, i.e. neither a GET nor a read-role route). */
  audited?: boolean;
  /** The handler reads the audit log's states itself (`AccessRule.auditStatesByHandler`). */
  auditStatesByHandler?: boolean;
}

/** The path parameters a route reads, all as sent (percent-decoded); which ones depends on the route. */
export type PathParams = Partial<Record<"context" | "subject" | "version" | "id" | "guid", string>>;

/**
 * A route's path parameters as a zod object, built for where the route is served: under
 * `/contexts/{context}` it also has `context`. A ZodObject (not a pipe), as OpenAPI parameters must be.
 */
export type ParamsSchema = (inContext: boolean) => z.ZodObject | undefined;

export type ConfluentTag =
  | "Confluent: subjects"
  | "Confluent: versions"
  | "Confluent: schemas"
  | "Confluent: config"
  | "Confluent: mode"
  | "Confluent: compatibility"
  | "Confluent: contexts"
  | "Confluent: metadata"
  | "Confluent: import"
  | "Confluent: impact";

type RouteMethod = "get" | "post" | "put" | "delete";

export interface ConfluentRouteSpec<Q extends z.ZodObject | undefined, B extends z.ZodType | undefined> {
  method: RouteMethod;
  /** OpenAPI form (`{subject}`), relative to the root (and to `/contexts/{context}`). */
  path: string;
  summary: string;
  description?: string;
  access: RouteAccess;
  /** Served at the root only, not under `/contexts/{context}`. */
  rootOnly?: boolean;
  params?: ParamsSchema;
  query?: Q;
  body?: B;
  /** Beside the body's JSON schema in the document (e.g. the lookup's 40403 for an empty schema). */
  responses: RouteConfig["responses"];
}

export interface RouteInput<Q extends z.ZodObject | undefined, B extends z.ZodType | undefined> {
  params: PathParams;
  query: Q extends z.ZodObject ? z.output<Q> : Record<string, never>;
  body: B extends z.ZodType ? z.output<B> : undefined;
}

/** Where a resource's routes are served: the root, and `/contexts/{context}` (Confluent's context URLs). */
const MOUNTS = [
  { prefix: "", inContext: false },
  { prefix: "/contexts/{context}", inContext: true },
] as const;

/** `/subjects/{subject}` -> `/subjects/:subject` (Hono's form, as `app.routes` and the access table spell it). */
export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}

/**
 * One resource of the Confluent API (subjects, versions, schemas, config, ...): a sub-app whose
 * routes are each declared once with `route()`, and the access rules they were declared with.
 *
 * @example
 *   const mode = new ConfluentResource("Confluent: mode");
 *   mode.route({ method: "get", path: "/mode", summary: "...", access: { role: "read", scope: NONE,
 *     action: "mode.read" }, responses: ok(modeBody, "The mode.") }, async (c, { params }) => reply(c, ...));
 *   confluentApi.route("/", mode.app);
 */
export class ConfluentResource {
  readonly app = new OpenAPIHono<ConfluentEnv>();
  readonly accessRules: AccessRule[] = [];

  constructor(readonly tag: ConfluentTag) {}

  route<Q extends z.ZodObject | undefined = undefined, B extends z.ZodType | undefined = undefined>(
    spec: ConfluentRouteSpec<Q, B>,
    handler: (c: Ctx, input: RouteInput<Q, B>) => Response | Promise<Response>,
  ): this {
    const method = spec.method.toUpperCase() as HttpMethod;
    for (const mount of spec.rootOnly ? MOUNTS.slice(0, 1) : MOUNTS) {
      const path = mount.prefix + spec.path;
      const params = spec.params?.(mount.inContext) ?? (mount.inContext ? contextOnlyParams : undefined);
      const body =
        spec.body === undefined
          ? undefined
          : {
              required: true,
              content: { [CONFLUENT_CONTENT_TYPE]: { schema: spec.body }, "application/json": { schema: spec.body } },
            };
      this.app.openAPIRegistry.registerPath(
        createRoute({
          method: spec.method,
          path,
          tags: [this.tag],
          summary: spec.summary,
          ...(spec.description === undefined ? {} : { description: spec.description }),
          request: {
            ...(params === undefined ? {} : { params }),
            ...(spec.query === undefined ? {} : { query: spec.query }),
            ...(body === undefined ? {} : { body }),
          },
          responses: spec.responses,
        }),
      );
      // Path parameters first, then the query, then the body: the first problem is the one answered.
      this.app.on(method, honoPath(path), async (c) =>
        handler(c, {
          params: params === undefined ? {} : (validated(params, c.req.param()) as PathParams),
          query: (spec.query === undefined ? {} : validated(spec.query, c.req.query())) as RouteInput<Q, B>["query"],
          body: (spec.body === undefined ? undefined : validated(spec.body, await jsonBody(c))) as RouteInput<
            Q,
            B
          >["body"],
        }),
      );
      const { role, scope, action } = spec.access;
      this.accessRules.push({
        method,
        path: honoPath(path),
        role,
        scope,
        action,
        audited: spec.access.audited ?? auditedByDefault(method, role),
        ...(spec.access.auditStatesByHandler ? { auditStatesByHandler: true } : {}),
      });
    }
    return this;
  }
}

// ---- the context of a `/contexts/{context}/...` URL ------------------------------------------------

// A context name: letters, digits, '.', '_', '-' (Confluent's rule), after the leading dot.
export const CONTEXT_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

export const contextParam = z.string().openapi({
  param: { name: "context", in: "path" },
  description: "A context: `.ctx` (or `:.ctx:`); `.` is the default.",
  example: ".payments",
});

/** Why the context `raw` names (`name`, as contextOfUrl reads it) is not a valid one, or null. */
export function contextProblem(raw: string, name: string): string | null {
  return name === "." || CONTEXT_NAME.test(name)
    ? null
    : `Invalid context name '${raw}': use letters, digits, '.', '_' and '-'.`;
}

/** An issue answered as Confluent's `errorCode`. */
export function confluentIssue(errorCode: number, message: string, path: string[]) {
  return { code: "custom" as const, message, params: { errorCode }, path };
}

// The parameters of a route that names nothing but its context (`/contexts/{context}/config`).
const contextOnlyParams = z.object({ context: contextParam }).superRefine((params, ctx) => {
  const problem = contextProblem(params.context, contextOfUrl(params.context));
  if (problem !== null) ctx.addIssue(confluentIssue(CONFLUENT_ERRORS.invalidContext, problem, ["context"]));
});

// ---- documented answers ------------------------------------------------------------------------

const errorBody = z
  .object({
    error_code: z.number().int().openapi({ example: 40401 }),
    message: z.string().openapi({ example: "Subject 'orders-value' not found." }),
  })
  .openapi("ConfluentError");

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
  [CONFLUENT_ERRORS.subjectModeNotFound]: "no subject-level mode",
  [CONFLUENT_ERRORS.incompatibleSchema]: "incompatible with the subject's versions",
  [CONFLUENT_ERRORS.invalidSchema]: "invalid schema",
  [CONFLUENT_ERRORS.invalidVersion]: "invalid version",
  [CONFLUENT_ERRORS.invalidCompatibilityLevel]: "invalid compatibility level",
  [CONFLUENT_ERRORS.invalidMode]: "invalid mode",
  [CONFLUENT_ERRORS.operationNotPermitted]: "not permitted in the mode in force (READONLY, IMPORT)",
  [CONFLUENT_ERRORS.referenceExists]: "a live schema references this version",
  [CONFLUENT_ERRORS.invalidSubject]: "invalid subject name",
  [CONFLUENT_ERRORS.schemaTooLarge]: "schema too large",
  [CONFLUENT_ERRORS.invalidContext]: "invalid context name",
  [CONFLUENT_ERRORS.storeError]: "error in the backend data store",
};

type Responses = RouteConfig["responses"];

/** A 200 answer in Confluent's content type. */
export function ok(schema: z.ZodType, description: string): Responses {
  return { 200: { description, content: { [CONFLUENT_CONTENT_TYPE]: { schema } } } };
}

/** Error responses grouped by status (the code's first three digits), each code listed with its meaning. */
export function errors(...codes: number[]): Responses {
  const byStatus = new Map<number, number[]>();
  for (const code of [...codes, CONFLUENT_ERRORS.storeError]) {
    const status = code < 1000 ? code : Math.trunc(code / 100);
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      {
        description: list
          .map((code) => `${code}${ERROR_MEANINGS[code] === undefined ? "" : ` ${ERROR_MEANINGS[code]}`}`)
          .join("; "),
        content: { [CONFLUENT_CONTENT_TYPE]: { schema: errorBody } },
      },
    ]),
  );
}
