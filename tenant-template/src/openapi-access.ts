/**
 * What every operation of the tenant's OpenAPI document shares, added to the merged document
 * (api-docs.ts) whatever produced each part: how to authenticate (`bearerAuth`, `basicAuth`: the two
 * ways the tenant accepts an API key, auth/credentials.ts) and the answers any operation can get
 * besides its own: 401 and 403 from the access layer (auth/api-access.ts), 413 from the body limits
 * (http/request-input.ts, http/input-limits.ts) on operations that take a body, and 429 from the
 * dispatcher's rate limits. Each in the error shape of the API the path belongs to
 * (contracts/confluent-paths.ts): `ErrorResponse` (`{error_code, message}`) at the root, `ApiError`
 * under /api. Derived per operation, so a new route gets them without anyone writing them.
 */
import { matchRule } from "./auth/access-policy.ts";
import { CONFLUENT_CONTENT_TYPE, isConfluentPath } from "../../contracts/confluent-paths.ts";

/** The parts of an OpenAPI 3.0 document this step reads and writes. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  security?: Record<string, string[]>[];
}

interface Operation {
  responses?: Record<string, Response>;
  requestBody?: unknown;
  security?: Record<string, string[]>[];
}

interface Response {
  description: string;
  content?: Record<string, unknown>;
  $ref?: string;
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;
/** The methods whose bodies the tenant reads, and so may refuse as too large (request-input.ts). */
const BODY_METHODS = new Set(["post", "put", "patch"]);

export const SECURITY_SCHEMES = {
  bearerAuth: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "wfp_<keyId>_<secret>",
    description:
      "An API key of this tenant, whole: `Authorization: Bearer wfp_<keyId>_<secret>` " +
      "(`npm run tenant -- keys create`, or `POST /api/keys` with an admin key).",
  },
  basicAuth: {
    type: "http",
    scheme: "basic",
    description:
      "The same API key as HTTP Basic, what Confluent clients send (`basic.auth.user.info=<keyId>:<secret>`): " +
      "the key id as user name and the secret as password. The whole key as password is accepted too, " +
      "with its key id or an empty user name.",
  },
} as const;

/** Either scheme will do (OpenAPI: each entry of `security` is an alternative). */
const ANY_KEY: Record<string, string[]>[] = [{ bearerAuth: [] }, { basicAuth: [] }];

/** Confluent's error shape, what its clients parse; at every path outside /api. */
const ERROR_RESPONSE_SCHEMA = {
  type: "object",
  description:
    "Confluent's error shape. `error_code` carries the HTTP status in its first three digits " +
    "(40401: subject not found) or is the status itself (404 for an unknown path, 429).",
  properties: {
    error_code: { type: "integer", example: 40401 },
    message: { type: "string", example: "Subject 'orders-value' not found." },
  },
  required: ["error_code", "message"],
};

/** The /api error shape (api-error.ts), which the dispatcher's own errors share (without `details`). */
const API_ERROR_SCHEMA = {
  type: "object",
  description: "The error shape of /api (and of the platform's own answers, such as a 429).",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string", example: "not_found" },
        message: { type: "string" },
        requestId: { type: "string", description: "Also sent as the `x-request-id` header." },
        details: {
          type: "array",
          description: "One entry per part of the request that is wrong, when the request was at fault.",
          items: {
            type: "object",
            properties: {
              path: { type: "string", example: "body/name" },
              message: { type: "string" },
              line: { type: "integer" },
              column: { type: "integer" },
            },
            required: ["path", "message"],
          },
        },
      },
      required: ["code", "message", "requestId"],
    },
  },
  required: ["error"],
};

const RATE_LIMIT_HEADERS = {
  "Retry-After": { description: "Seconds until a request may succeed again.", schema: { type: "integer" } },
  "X-RateLimit-Limit": {
    description: "The requests per minute of the limit that decided.",
    schema: { type: "integer" },
  },
  "X-RateLimit-Remaining": { description: "What is left of it (0).", schema: { type: "integer" } },
  "X-RateLimit-Reset": { description: "Seconds until its window ends.", schema: { type: "integer" } },
};

/** The four standard answers, by status: what each means (the same in both shapes). */
const STANDARD = {
  "401": {
    description:
      "No API key, or one that is not accepted (unknown, revoked, expired or a wrong secret): one answer for all.",
    headers: {
      "WWW-Authenticate": {
        description: 'The schemes a key is accepted in: `Basic realm="schema-registry", Bearer`.',
        schema: { type: "string" },
      },
    },
  },
  "403": { description: "The key's role or scope does not allow this request." },
  "413": {
    description: "The request body is larger than the limit (1 MiB; 16 MiB for `POST /api/import`); it is not read.",
  },
  "429": {
    description:
      "Too many requests, answered by the platform before the registry: the tenant's or the key's requests " +
      "per minute, or too many failed authentications from this client.",
    headers: RATE_LIMIT_HEADERS,
  },
} as const;

type Status = keyof typeof STANDARD;
const NAMES: Record<Status, string> = {
  "401": "Unauthorized",
  "403": "Forbidden",
  "413": "PayloadTooLarge",
  "429": "TooManyRequests",
};
/** `ConfluentUnauthorized` at the root, `ApiUnauthorized` under /api. */
const responseName = (status: Status, confluent: boolean) => `${confluent ? "Confluent" : "Api"}${NAMES[status]}`;

/**
 * Adds the security schemes, the requirement of a key (none for a public route) and the standard
 * error answers to every operation, and a schema to every error answer that names none.
 * Answers an operation already describes for one of those statuses are kept.
 *
 * @example
 *   describeAccess(merged); // merged.paths["/subjects"].get.responses["401"] is now a $ref
 */
export function describeAccess<D extends OpenApiDocument>(doc: D): D {
  const components = doc.components ?? {};
  doc.components = components;
  const schemas = section(components, "schemas");
  addComponent(schemas, "ErrorResponse", ERROR_RESPONSE_SCHEMA, "error_code");
  addComponent(schemas, "ApiError", API_ERROR_SCHEMA, "error");
  const securitySchemes = section(components, "securitySchemes");
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) addComponent(securitySchemes, name, scheme, "scheme");
  const responses = section(components, "responses");
  for (const confluent of [true, false]) {
    for (const status of Object.keys(STANDARD) as Status[]) {
      addComponent(responses, responseName(status, confluent), {
        ...STANDARD[status],
        content: errorContent(confluent),
      });
    }
  }

  for (const [path, item] of Object.entries(doc.paths)) {
    const confluent = isConfluentPath(path);
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (operation === undefined) continue;
      const answers: Record<string, Response> = operation.responses ?? {};
      for (const [status, answer] of Object.entries(answers)) {
        if (Number(status) >= 400 && answer.content === undefined && answer.$ref === undefined)
          answer.content = errorContent(confluent);
      }
      const isPublic = matchRule(method.toUpperCase(), samplePath(path))?.rule.role === "public";
      if (isPublic) operation.security = [];
      const standard: Status[] = isPublic ? ["429"] : ["401", "403", "429"];
      if (BODY_METHODS.has(method) || operation.requestBody !== undefined) standard.push("413");
      for (const status of standard) {
        answers[status] ??= { $ref: `#/components/responses/${responseName(status, confluent)}` } as Response;
      }
      operation.responses = sortedByStatus(answers);
    }
  }
  doc.security = ANY_KEY;
  return doc;
}

/** `components[name]`, made empty first when the document has none. */
function section(components: Record<string, Record<string, unknown>>, name: string): Record<string, unknown> {
  const existing = components[name];
  if (existing !== undefined) return existing;
  const made: Record<string, unknown> = {};
  components[name] = made;
  return made;
}

function errorContent(confluent: boolean): Record<string, unknown> {
  return confluent
    ? { [CONFLUENT_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/ErrorResponse" } } }
    : { "application/json": { schema: { $ref: "#/components/schemas/ApiError" } } };
}

/**
 * Adds a component, or keeps one already there by that name if it is the same kind of thing (it
 * has `mark` among its properties, or as a key): a part of the document may define it itself.
 */
function addComponent(into: Record<string, unknown>, name: string, value: object, mark?: string): void {
  const existing = into[name] as { properties?: Record<string, unknown> } | undefined;
  if (existing === undefined) {
    into[name] = value;
    return;
  }
  if (mark === undefined || !(mark in existing || mark in (existing.properties ?? {})))
    throw new Error(`OpenAPI component ${name} is defined twice, differently`);
}

/** `/subjects/{subject}/versions` -> `/subjects/x/versions`: a path the access policy can match. */
const samplePath = (path: string) => path.replace(/\{[^}]+\}/g, "x");

/** Responses in status order (2xx first), as readers and generators list them. */
function sortedByStatus(answers: Record<string, Response>): Record<string, Response> {
  return Object.fromEntries(Object.entries(answers).sort(([a], [b]) => a.localeCompare(b)));
}
