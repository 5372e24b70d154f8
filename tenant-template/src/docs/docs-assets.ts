/**
 * The files the documentation page (/docs) loads, served by the tenant Worker itself from its own
 * bundle: Swagger UI (swagger-ui-dist, Apache-2.0; its licenses are served beside it) and two small
 * files of our own. No CDN: the page works with no internet (the local platform) and under a CSP
 * that allows nothing but the tenant's own origin.
 *
 * Swagger UI is in the bundle gzipped, in base64 (generated/swagger-ui-assets.js, written by
 * scripts/generate-swagger-ui-assets.ts): a third of the bytes V8 scans at each start of an
 * isolate compared with the files as text, and answered as those gzip bytes with
 * `Content-Encoding: gzip`, so serving it costs no compression (figures: docs/registry-api.md,
 * "Documentation").
 */
import { contentTypeOf, CSS, JS, type StaticAsset, staticAssetResponse } from "../http/static-asset.ts";
import { SWAGGER_UI_GZIP_BASE64 } from "./generated/swagger-ui-assets.js";

/**
 * Starts Swagger UI on the page's `#swagger-ui`, with the document its `data-openapi` names (a
 * script file, not inline, so the page's CSP needs no 'unsafe-inline'). No validator badge: it
 * would send the document to validator.swagger.io. "Try it out" requests go to the same origin,
 * with the credentials the browser already holds (the Basic login the page asked for) or those
 * given to "Authorize".
 */
const INITIALIZER = `"use strict";
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
`;

/** The no-script listing's style (docs-page.ts), a file too: the CSP allows no inline style. */
const LISTING_CSS =
  "body{font:15px/1.5 system-ui,sans-serif;margin:0}" +
  ".listing{margin:2rem auto;max-width:64rem;padding:0 1rem}" +
  ".listing table{border-collapse:collapse;width:100%}" +
  ".listing td{border-bottom:1px solid #ddd;padding:.3rem .6rem;vertical-align:top}" +
  ".listing .m{font-weight:600;font-family:monospace}" +
  ".get{color:#0a6}.post{color:#06c}.put{color:#608}.patch{color:#a60}.delete{color:#c22}";

const ASSETS: ReadonlyMap<string, StaticAsset> = new Map<string, StaticAsset>([
  ["swagger-initializer.js", { contentType: JS, text: INITIALIZER }],
  ["listing.css", { contentType: CSS, text: LISTING_CSS }],
  ...Object.entries(SWAGGER_UI_GZIP_BASE64).map(([name, gzipBase64]): [string, StaticAsset] => [
    name,
    { contentType: contentTypeOf(name), gzipBase64 },
  ]),
]);

/** The names /docs/ serves. */
export const DOCS_ASSET_NAMES: readonly string[] = [...ASSETS.keys()];

/**
 * The response for `/docs/<name>`, or null when there is no such file (served as
 * http/static-asset.ts serves every bundled file: gzip bytes as they are to a client that takes them).
 *
 * @example
 *   docsAsset("swagger-ui.css", request.headers.get("accept-encoding"))
 */
export function docsAsset(name: string, acceptEncoding: string | null): Response | null {
  const asset = ASSETS.get(name);
  return asset === undefined ? null : staticAssetResponse(asset, acceptEncoding);
}
