/**
 * The documentation a tenant serves (tenant-template/src/docs, api-docs.ts), in real workerd from
 * the template as built: the OpenAPI document as JSON and YAML (the same document), and the
 * interactive page at /docs and /api/docs, whose every file comes from the tenant's own origin
 * under a strict Content-Security-Policy. Also: the Swagger UI files in the bundle are the
 * installed swagger-ui-dist's (scripts/generate-swagger-ui-assets.ts was run after its upgrade).
 */
import { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";
import { type IncomingHttpHeaders, request } from "node:http";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { installedSwaggerUi, SWAGGER_UI_FILES } from "../../../scripts/generate-swagger-ui-assets.ts";
import { bundleTenantTemplate } from "../../../scripts/lib/worker-bundles.ts";
import {
  SWAGGER_UI_GZIP_BASE64,
  SWAGGER_UI_VERSION,
} from "../../../tenant-template/src/docs/generated/swagger-ui-assets.js";
import { tenantRequestHeaders, tenantSecretBindings } from "../../support/tenant-credentials.ts";

let mf: Miniflare;
const ORIGIN = "http://registry.docs.test";

beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    script: await bundleTenantTemplate(),
    compatibilityDate: "2026-06-01",
    d1Databases: { DB: "wfp-tenant-docs" },
    kvNamespaces: { CACHE: "wfp-tenant-docs-cache" },
    bindings: { TENANT_ID: "docs", RESIDENCY: "eu", CACHE_MODE: "off", ...tenantSecretBindings() },
  });
});

afterAll(async () => {
  await mf?.dispose();
});

/** A GET over HTTP to the Worker, its body as the bytes sent. */
async function rawGet(
  path: string,
  acceptEncoding: string | undefined,
): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(path, await mf.ready);
  const headers = {
    ...tenantRequestHeaders(),
    ...(acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding }),
  };
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const get = (path: string, headers: Record<string, string> = {}, key: string | null | undefined = undefined) =>
  mf.dispatchFetch(`${ORIGIN}${path}`, { headers: { ...tenantRequestHeaders(key), ...headers } });

describe("the OpenAPI document", () => {
  test("/openapi.yaml is text/yaml and parses to the document /openapi.json and /api/openapi.json answer", async () => {
    const yaml = await get("/openapi.yaml");
    expect(yaml.status).toBe(200);
    expect(yaml.headers.get("content-type")).toBe("text/yaml; charset=utf-8");
    const text = await yaml.text();
    expect(text.startsWith("openapi: 3.0.3\n")).toBe(true);
    // Written out in full: no anchors or aliases, which not every OpenAPI reader follows.
    expect(text).not.toMatch(/^\s*[\w"'$/{}.-]+:\s+[&*]\w+/m);
    const json = await (await get("/openapi.json")).json();
    expect(parse(text)).toEqual(json);
    expect(await (await get("/api/openapi.json")).json()).toEqual(json);
  });

  test("needs a read key, like the JSON document: 401 without one, in Confluent's shape", async () => {
    for (const path of ["/openapi.yaml", "/openapi.json", "/docs", "/docs/swagger-ui.css"]) {
      const res = await get(path, {}, null);
      expect(res.status, path).toBe(401);
      expect(await res.json(), path).toMatchObject({ error_code: 40101 });
    }
    const api = await get("/api/docs", {}, null);
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: { code: "unauthorized" } });
  });
});

/** The `src` and `href` of the page's scripts and stylesheets (and links), as written. */
function references(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);
}

describe("the documentation page", () => {
  for (const [page, assets] of [
    ["/docs", "docs/"],
    ["/api/docs", "../docs/"],
  ] as const) {
    test(`${page}: Swagger UI, every file from the tenant's own origin, under a strict CSP`, async () => {
      const res = await get(page);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const csp = res.headers.get("content-security-policy") ?? "";
      for (const directive of [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
      ]) {
        expect(csp).toContain(directive);
      }
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const html = await res.text();
      expect(html).toContain('<div id="swagger-ui" data-openapi="openapi.json">');
      // No inline script or style: the CSP would refuse them.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|\bstyle="/);
      // Without scripts, the page still lists every operation.
      expect(html).toContain("<noscript>");
      expect(html).toContain("<code>/subjects/{subject}/versions</code>");
      const refs = references(html).filter((ref) => !ref.startsWith("data:"));
      expect(refs).toEqual([
        `${assets}swagger-ui.css`,
        `${assets}listing.css`,
        `${assets}swagger-ui-bundle.js`,
        `${assets}swagger-initializer.js`,
      ]);
      for (const ref of refs) {
        const url = new URL(ref, `${ORIGIN}${page}`);
        expect(url.origin, ref).toBe(ORIGIN);
        const file = await get(url.pathname);
        expect(file.status, ref).toBe(200);
        expect(file.headers.get("content-type"), ref).toMatch(ref.endsWith(".js") ? /^text\/javascript/ : /^text\/css/);
        expect(file.headers.get("x-content-type-options")).toBe("nosniff");
        expect((await file.text()).length, ref).toBeGreaterThan(100);
      }
    });
  }

  test("Swagger UI's files: the gzip bytes stored, or decompressed for a client that takes no gzip", async () => {
    const { dir } = installedSwaggerUi();
    // Over HTTP, read as sent (Miniflare's own fetch would decode the gzip for us).
    const gzipped = await rawGet("/docs/swagger-ui-bundle.js", "gzip, deflate, br");
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.headers.vary).toBe("accept-encoding");
    expect(gzipped.body.equals(Buffer.from(SWAGGER_UI_GZIP_BASE64["swagger-ui-bundle.js"]!, "base64"))).toBe(true);
    for (const acceptEncoding of ["identity", "gzip;q=0"]) {
      const plain = await rawGet("/docs/swagger-ui-bundle.js", acceptEncoding);
      expect(plain.headers["content-encoding"], acceptEncoding).toBeUndefined();
      expect(plain.body.equals(readFileSync(join(dir, "swagger-ui-bundle.js"))), acceptEncoding).toBe(true);
    }
    const license = await get("/docs/swagger-ui-bundle.js.LICENSE.txt");
    expect(license.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await license.text()).toBe(readFileSync(join(dir, "swagger-ui-bundle.js.LICENSE.txt"), "utf8"));
  });

  test("a file /docs/ does not have is Confluent's 404", async () => {
    const res = await get("/docs/petstore.json");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error_code: 404, message: "HTTP 404 Not Found" });
  });
});

describe("the Swagger UI files in the bundle", () => {
  test("are the installed swagger-ui-dist's (run scripts/generate-swagger-ui-assets.ts after upgrading it)", () => {
    const { dir, version } = installedSwaggerUi();
    expect(SWAGGER_UI_VERSION).toBe(version);
    expect(Object.keys(SWAGGER_UI_GZIP_BASE64)).toEqual([...SWAGGER_UI_FILES]);
    for (const name of SWAGGER_UI_FILES) {
      const stored = gunzipSync(Buffer.from(SWAGGER_UI_GZIP_BASE64[name]!, "base64"));
      expect(stored.equals(readFileSync(join(dir, name))), name).toBe(true);
    }
  });
});
