/**
 * The OpenAPI document the tenant serves is derived from the route definitions: it lists every
 * route of the hierarchy (and each one answers), and /api/docs shows it without any CDN. The same
 * document describes the Confluent API at the root (tests/tenant-template/openapi), so its paths
 * are absolute under the server `/`.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRegistryHarness, type RegistryHarness } from "./registry-harness.ts";

let api: RegistryHarness;
beforeAll(async () => {
  api = await startRegistryHarness(["openapi"]);
});
afterAll(async () => {
  await api?.dispose();
});

const EXPECTED: Record<string, string[]> = {
  "/products": ["get", "post"],
  "/products/{productId}": ["get", "patch", "delete"],
  "/products/{productId}/domains": ["get", "post"],
  "/domains/{domainId}": ["get", "patch", "delete"],
  "/domains/{domainId}/contexts": ["get", "post"],
  "/contexts/{contextId}": ["get", "patch", "delete"],
  "/contexts/{contextId}/schemas": ["get", "post"],
  "/schemas/{schemaId}": ["get", "patch", "delete"],
  "/schemas/{schemaId}/versions": ["get", "post"],
  "/schemas/{schemaId}/versions/{versionId}": ["get", "patch", "delete"],
  "/stats": ["get"],
  "/export": ["get"],
  "/import": ["post"],
  "/keys": ["get", "post"],
  "/keys/{keyId}": ["get", "delete"],
  "/audit": ["get"],
  "/usage": ["get"],
  "/whoami": ["get"],
  "/impact": ["post"],
  "/settings": ["get", "put"],
  "/webhooks": ["get", "post"],
  "/webhooks/{webhookId}": ["get", "delete"],
  "/webhooks/{webhookId}/rotate-secret": ["post"],
  "/webhooks/{webhookId}/test": ["post"],
  "/webhooks/{webhookId}/deliveries": ["get"],
};

interface OpenApi {
  openapi: string;
  servers: { url: string }[];
  paths: Record<
    string,
    Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>
  >;
}

it("lists every route of the registry API, with its parameters and error responses", async () => {
  const res = await api.call<OpenApi>("openapi", "GET", "/api/openapi.json");
  expect(res.status).toBe(200);
  expect(res.json.openapi).toMatch(/^3\./);
  expect(res.json.servers).toEqual([{ url: "/" }]);
  const listed = Object.fromEntries(
    Object.entries(res.json.paths)
      .filter(([path]) => path.startsWith("/api/"))
      .map(([path, operations]) => [path.slice("/api".length), Object.keys(operations).sort()]),
  );
  expect(listed).toEqual(
    Object.fromEntries(Object.entries(EXPECTED).map(([path, methods]) => [path, [...methods].sort()])),
  );
  expect(res.json.paths["/subjects/{subject}/versions"]).toHaveProperty("post");
  // Also where tools pointed at the Confluent API's root look.
  expect((await api.call<OpenApi>("openapi", "GET", "/openapi.json")).json).toEqual(res.json);

  const patch = res.json.paths["/api/schemas/{schemaId}/versions/{versionId}"]!.patch!;
  expect(patch.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual([
    "header:if-match",
    "path:schemaId",
    "path:versionId",
  ]);
  // Its own answers, and those every operation has (401, 403, 429, and 413 with a body: tests/tenant-template/openapi).
  expect(Object.keys(patch.responses).sort()).toEqual([
    "200",
    "400",
    "401",
    "403",
    "404",
    "409",
    "412",
    "413",
    "422",
    "429",
  ]);
  const list = res.json.paths["/api/contexts/{contextId}/schemas"]!.get!;
  expect(list.parameters?.map((p) => p.name).sort()).toEqual([
    "contextId",
    "cursor",
    "limit",
    "name",
    "schemaTypeCategory",
    "scope",
  ]);
});

it("every documented route answers (no 404 for a route the document promises)", async () => {
  const doc = (await api.call<OpenApi>("openapi", "GET", "/api/openapi.json")).json;
  const ids: Record<string, string> = {
    productId: "00000000-0000-7000-8000-000000000001",
    domainId: "00000000-0000-7000-8000-000000000002",
    contextId: "00000000-0000-7000-8000-000000000003",
  };
  const schema = await api.call<{ id: string }>("openapi", "POST", `/api/contexts/${ids.contextId}/schemas`, {
    name: "S",
    schemaTypeCategory: "Data",
    scope: "Public",
  });
  ids.schemaId = schema.json.id;
  ids.versionId = (
    await api.call<{ id: string }>("openapi", "POST", `/api/schemas/${ids.schemaId}/versions`, {
      semanticVersion: "1.0.0",
      format: "JSON",
      specification: "{}",
    })
  ).json.id;
  ids.keyId = (await api.call<{ id: string }>("openapi", "POST", "/api/keys", { role: "read" })).json.id;
  ids.webhookId = (
    await api.call<{ id: string }>("openapi", "POST", "/api/webhooks", { url: "https://hooks.example.com/openapi" })
  ).json.id;
  for (const [path, operations] of Object.entries(doc.paths)) {
    if (!("get" in operations) || !path.startsWith("/api/")) continue;
    const url = `${path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name]!)}`;
    const res = await api.call("openapi", "GET", url);
    expect(res.status, url).toBe(200);
  }
});

it("/api/docs: the documentation page, nothing from another origin, listing endpoints without scripts", async () => {
  const res = await api.call("openapi", "GET", "/api/docs");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/text\/html/);
  expect(res.text).toContain('id="swagger-ui"');
  for (const path of Object.keys(EXPECTED)) expect(res.text).toContain(`<code>/api${path}</code>`);
  expect(res.text).toContain("<code>/schemas/ids/{id}</code>");
  // Its files come from the tenant itself (tests/tenant-template/docs); no CDN.
  expect(res.text).not.toMatch(/https?:\/\/|\/\/cdn|src="\/\//);
});
