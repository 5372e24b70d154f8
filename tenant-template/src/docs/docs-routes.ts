/**
 * Where the documentation is served (each needs a read key, like the document always has;
 * auth/access-policy.ts):
 * - `GET /openapi.json`, `GET /api/openapi.json`: the OpenAPI document (api-docs.ts);
 * - `GET /openapi.yaml`: the same document as YAML;
 * - `GET /docs`, `GET /api/docs`: the interactive page (Swagger UI, docs-page.ts);
 * - `GET /docs/<file>`: its files (docs-assets.ts), from the Worker's own bundle.
 *
 * @example
 *   app.route("/", documentation);
 */
import { Hono } from "hono";
import { serveOpenApiDocument, serveOpenApiYaml, tenantOpenApiDocument } from "../api-docs.ts";
import { docsAsset } from "./docs-assets.ts";
import { DOCS_PAGE_HEADERS, docsPage } from "./docs-page.ts";

export const documentation = new Hono();
documentation.get("/openapi.json", serveOpenApiDocument);
documentation.get("/api/openapi.json", serveOpenApiDocument);
documentation.get("/openapi.yaml", serveOpenApiYaml);
// Links relative to the page, so both pages (and the local platform's path form) find the same files.
documentation.get("/docs", (c) =>
  c.html(docsPage(tenantOpenApiDocument(), { assets: "docs/", documentUrl: "openapi.json" }), 200, DOCS_PAGE_HEADERS),
);
documentation.get("/api/docs", (c) =>
  c.html(
    docsPage(tenantOpenApiDocument(), { assets: "../docs/", documentUrl: "openapi.json" }),
    200,
    DOCS_PAGE_HEADERS,
  ),
);
documentation.get(
  "/docs/:asset",
  (c) => docsAsset(c.req.param("asset"), c.req.header("accept-encoding") ?? null) ?? c.notFound(),
);
