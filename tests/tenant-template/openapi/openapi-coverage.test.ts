/**
 * The served OpenAPI document (tenant-template/src/api-docs.ts) must describe every route the
 * tenant app serves, and nothing it does not. Both APIs generate theirs from their route
 * declarations (/api with createRoute/app.openapi, the Confluent API with ConfluentResource.route
 * in confluent/routes/), so this holds by construction; the test keeps it so for any route added
 * outside them (a plain `app.get`). The app's own route table (`app.routes`) is the truth, read in
 * workerd from the template's code built as it is deployed (route-table.worker.ts).
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKER_BUILD_OPTIONS } from "../../../contracts/worker-build-options.ts";

const ENTRY = fileURLToPath(new URL("./route-table.worker.ts", import.meta.url));
const OPENAPI_DOCUMENT_PATH = "/api/openapi.json";

interface OpenApiDocument {
  servers: { url: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
  security: Record<string, string[]>[];
}

interface Operation {
  responses: Record<string, { $ref?: string; description?: string; content?: Record<string, { schema: unknown }> }>;
  security?: unknown[];
}

let routes: { method: string; path: string }[];
let document: OpenApiDocument;
let mf: Miniflare | undefined;

beforeAll(async () => {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [ENTRY] });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error("esbuild produced no route table bundle");
  mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-06-01" });
  ({ routes, document } = (await (await mf.dispatchFetch("http://table/")).json()) as {
    routes: typeof routes;
    document: OpenApiDocument;
  });
});
afterAll(async () => {
  await mf?.dispose();
});

/** Routes that serve the platform or the documentation itself, not an API operation. */
const NOT_OPERATIONS = new Set([
  "GET /health",
  "GET /health/live",
  "GET /health/ready",
  "GET /health/startup",
  "GET /openapi.json",
  "GET /openapi.yaml",
  `GET ${OPENAPI_DOCUMENT_PATH}`,
  "GET /docs",
  "GET /docs/{asset}",
  "GET /api/docs",
  // The console's page and its files (docs/console.md): a browser page, not an API operation.
  "GET /ui",
  "GET /ui/{asset}",
]);
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

/** Hono's `/subjects/:subject{.+}/versions` -> OpenAPI's `/subjects/{subject}/versions`. */
const openApiPath = (honoPath: string) => honoPath.replace(/:(\w+)(\{[^}]*\})?\??/g, "{$1}").replace(/\/$/, "") || "/";

/** Every `METHOD /path` the app answers with a handler (middleware is registered as ALL or on wildcards). */
function servedOperations(): string[] {
  const served = new Set<string>();
  for (const route of routes) {
    if (!METHODS.has(route.method) || route.path.includes("*")) continue;
    const operation = `${route.method} ${openApiPath(route.path)}`;
    if (!NOT_OPERATIONS.has(operation)) served.add(operation);
  }
  return [...served].sort();
}

function documentedOperations(): string[] {
  const documented: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of Object.keys(item))
      if (METHODS.has(method.toUpperCase())) documented.push(`${method.toUpperCase()} ${path}`);
  }
  return documented.sort();
}

const WHERE = (operation: string) =>
  operation.split(" ")[1]!.startsWith("/api/")
    ? "define it with createRoute/app.openapi (or registerPath) in tenant-template/src/registry"
    : "declare it with ConfluentResource.route in tenant-template/src/confluent/routes/";

describe("the OpenAPI document covers the app's routes", () => {
  it("documents every served route", () => {
    const documented = new Set(documentedOperations());
    const missing = servedOperations().filter((operation) => !documented.has(operation));
    expect(
      missing.map((operation) => `${operation} is served but not in the OpenAPI document: ${WHERE(operation)}`),
    ).toEqual([]);
  });

  it("documents no route the app does not serve", () => {
    const served = new Set(servedOperations());
    const extra = documentedOperations().filter((operation) => !served.has(operation));
    expect(extra.map((operation) => `${operation} is in the OpenAPI document but no route serves it`)).toEqual([]);
  });

  it("covers both APIs with absolute paths under one server", () => {
    const doc = document;
    expect(doc.servers).toEqual([{ url: "/" }]);
    const operations = documentedOperations();
    expect(operations).toContain("GET /api/products");
    expect(operations).toContain("POST /subjects/{subject}/versions");
    expect(operations).toContain("GET /schemas/ids/{id}");
    // Confluent answers are described in its content type, errors as {error_code, message}.
    const register = (
      doc.paths["/subjects/{subject}/versions"] as {
        post: { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
      }
    ).post;
    expect(Object.keys(register.responses)).toEqual(expect.arrayContaining(["200", "409", "422"]));
    expect(register.responses["409"]!.content!["application/vnd.schemaregistry.v1+json"]!.schema).toEqual({
      $ref: "#/components/schemas/ConfluentError",
    });
  });
});

/** Every operation of the document, as `[METHOD /path, operation]`. */
function operations(): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method.toUpperCase()))
      .map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation as Operation]),
  );
}

/** A response of the document, following a `$ref` into components.responses. */
function resolved(answer: Operation["responses"][string]): NonNullable<Operation["responses"][string]> {
  if (answer.$ref === undefined) return answer;
  const name = answer.$ref.replace("#/components/responses/", "");
  const target = document.components.responses?.[name] as Operation["responses"][string] | undefined;
  if (target === undefined) throw new Error(`${answer.$ref} is not in components.responses`);
  return target;
}

const CONFLUENT_TYPE = "application/vnd.schemaregistry.v1+json";

describe("what every operation shares, as client generators read it", () => {
  it("declares the two ways a key is accepted, and needs one of them on every operation", () => {
    expect(document.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: "http", scheme: "bearer" }),
      basicAuth: expect.objectContaining({ type: "http", scheme: "basic" }),
    });
    expect(document.security).toEqual([{ bearerAuth: [] }, { basicAuth: [] }]);
    // No operation is public (the public routes, /health and its probes, are not operations), so
    // none overrides the requirement.
    expect(operations().filter(([, operation]) => operation.security !== undefined)).toEqual([]);
  });

  it(`lists 401, 403 and 429 on every operation, and 413 on every one that takes a body, \
in the error shape of its API`, () => {
    const wrong: string[] = [];
    for (const [name, operation] of operations()) {
      const [method, path] = name.split(" ") as [string, string];
      const confluent = !path.startsWith("/api/");
      const wanted = ["401", "403", "429", ...(["POST", "PUT", "PATCH"].includes(method) ? ["413"] : [])];
      for (const status of wanted) {
        const answer = operation.responses[status];
        if (answer === undefined) {
          wrong.push(`${name}: no ${status}`);
          continue;
        }
        const content = resolved(answer).content ?? {};
        const schema = confluent ? content[CONFLUENT_TYPE]?.schema : content["application/json"]?.schema;
        const expected = { $ref: `#/components/schemas/${confluent ? "ErrorResponse" : "ApiError"}` };
        if (JSON.stringify(schema) !== JSON.stringify(expected))
          wrong.push(`${name}: ${status} is not ${expected.$ref}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(operations().length).toBeGreaterThan(100);
  });

  it("gives every error answer a schema, and the 401 and 429 their headers", () => {
    const without: string[] = [];
    for (const [name, operation] of operations()) {
      for (const [status, answer] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && resolved(answer).content === undefined) without.push(`${name} ${status}`);
      }
    }
    expect(without).toEqual([]);
    const responses = document.components.responses as Record<string, { headers?: Record<string, unknown> }>;
    for (const api of ["Confluent", "Api"]) {
      expect(Object.keys(responses[`${api}Unauthorized`]?.headers ?? {})).toEqual(["WWW-Authenticate"]);
      expect(Object.keys(responses[`${api}TooManyRequests`]?.headers ?? {})).toEqual([
        "Retry-After",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
      ]);
    }
  });

  it("names the two error shapes: ErrorResponse (error_code, message) and ApiError (error)", () => {
    const schemas = document.components.schemas as Record<string, { properties: Record<string, unknown> }>;
    expect(Object.keys(schemas.ErrorResponse!.properties)).toEqual(["error_code", "message"]);
    expect(Object.keys(schemas.ApiError!.properties)).toEqual(["error"]);
  });
});
