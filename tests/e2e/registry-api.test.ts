/**
 * The registry API end to end: a tenant provisioned on the local platform by the CLI (so its
 * database got every migration, the default hierarchy included), reached only through the
 * dispatcher by its own hostname, walked from product to schema version and back down by a
 * cascade delete. Bookmarks are carried from each response to the next request, as a client should.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

const HOST = "registry.walker.localhost";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

describe("the registry API through the dispatcher", () => {
  let stateDir: string;
  let platform: LocalPlatform;
  let bookmark: string | undefined;
  /** The tenant's admin key (from `create --json`): /api refuses requests without a key. */
  let auth: Record<string, string> = {};

  /** One request on the traffic port with the tenant's Host, carrying the last bookmark. */
  const call = async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const reply = await requestTenant(platform.trafficUrl, HOST, method, path, {
      body,
      headers: { ...auth, ...(bookmark === undefined ? {} : { "x-d1-bookmark": bookmark }) },
    });
    const next = reply.headers["x-d1-bookmark"];
    if (typeof next === "string") bookmark = next;
    return { status: reply.status, headers: reply.headers, json: reply.json() };
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "wfp-registry-e2e-"));
    platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
    const { code, stdout, stderr } = await runTenant(platform.apiUrl, [
      "create",
      "walker",
      "--domain",
      HOST,
      "--residency",
      "global",
      "--json",
    ]);
    expect(code, stderr).toBe(EXIT.ok);
    auth = { authorization: `Bearer ${(JSON.parse(stdout) as { adminKey: string }).adminKey}` };
  });
  afterAll(async () => {
    await platform?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("serves the console (/ui) through the dispatcher without a key, under its CSP (docs/console.md)", async () => {
    const page = await requestTenant(platform.trafficUrl, HOST, "GET", "/ui");
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'; script-src 'self'");
    expect(page.body).toContain('src="ui/console.js"');
    expect((await requestTenant(platform.trafficUrl, HOST, "GET", "/ui/console.js")).status).toBe(200);
    // The page signs in with the key: whoami tells it what the key may do.
    expect((await call("GET", "/api/whoami")).json).toEqual({
      keyId: "admin",
      role: "admin",
      productId: null,
      subjectPrefix: null,
    });
  });

  it("starts with the default hierarchy, walks down to a version, and cascades back up", async () => {
    const productsPage = await call("GET", "/api/products");
    expect(productsPage.status).toBe(200);
    expect(productsPage.headers["x-d1-bookmark"]).toBeTruthy();
    expect(productsPage.json.items).toMatchObject([{ name: "My Product" }]);
    const [{ id: defaultProduct }] = productsPage.json.items as { id: string }[] as [{ id: string }];
    const [{ id: defaultDomain }] = (await call("GET", `/api/products/${defaultProduct}/domains`)).json.items as [
      { id: string },
    ];
    expect((await call("GET", `/api/domains/${defaultDomain}/contexts`)).json.items).toMatchObject([
      { name: "My Context" },
    ]);

    const product = await call("POST", "/api/products", { name: "Shop" });
    expect(product.status).toBe(201);
    const productPath = product.headers.location as string;
    const domain = await call("POST", `${productPath}/domains`, { name: "Orders" });
    const context = await call("POST", `${domain.headers.location as string}/contexts`, { name: "Checkout" });
    const schema = await call("POST", `${context.headers.location as string}/schemas`, {
      name: "OrderPlaced",
      schemaTypeCategory: "Events",
      scope: "Public",
    });
    expect([domain.status, context.status, schema.status]).toEqual([201, 201, 201]);

    const spec = '{"type":"record","name":"OrderPlaced","fields":[{"name":"id","type":"string"}]}';
    const version = await call("POST", `${schema.headers.location as string}/versions`, {
      semanticVersion: "1.0.0",
      format: "AVRO",
      specification: spec,
    });
    expect(version.status).toBe(201);
    const published = await call("PATCH", version.headers.location as string, { status: "Published" });
    expect(published.status).toBe(200);
    expect(published.headers.etag).toBe('"2"');
    expect(
      (await call("PATCH", version.headers.location as string, { specification: spec.replace("string", "long") }))
        .status,
    ).toBe(409);
    const invalid = await call("POST", `${schema.headers.location as string}/versions`, {
      semanticVersion: "1.1.0",
      format: "AVRO",
      specification: spec.replace("string", "strng"),
    });
    expect(invalid.status).toBe(422);
    expect(invalid.json).toMatchObject({
      error: { code: "invalid_specification", details: [{ path: "body/specification/fields/0/type" }] },
    });

    expect((await call("GET", "/api/stats")).json).toMatchObject({
      counts: { products: 2, domains: 2, contexts: 2, schemas: 1, versions: 1 },
    });
    const removed = await call("DELETE", productPath);
    expect(removed.json).toEqual({ removed: { products: 1, domains: 1, contexts: 1, schemas: 1, versions: 1 } });
    expect((await call("GET", schema.headers.location as string)).status).toBe(404);
    expect((await call("GET", "/api/stats")).json).toMatchObject({
      counts: { products: 1, domains: 1, contexts: 1, schemas: 0, versions: 0 },
    });
    expect((await call("GET", "/api/openapi.json")).json).toMatchObject({ openapi: expect.stringMatching(/^3\./) });
    expect((await call("GET", "/health")).json).toMatchObject({
      status: "ok",
      migrations: expect.arrayContaining(["0003_default_hierarchy.sql"]),
    });
  });
});
