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

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const TEXT = "text/plain; charset=utf-8";

/** A file under /docs/: its text, or its gzip bytes in base64. */
type Asset = { contentType: string } & ({ text: string } | { gzipBase64: string });

const ASSETS: ReadonlyMap<string, Asset> = new Map<string, Asset>([
  ["swagger-initializer.js", { contentType: JS, text: INITIALIZER }],
  ["listing.css", { contentType: CSS, text: LISTING_CSS }],
  ...Object.entries(SWAGGER_UI_GZIP_BASE64).map(([name, gzipBase64]): [string, Asset] => [
    name,
    { contentType: name.endsWith(".js") ? JS : name.endsWith(".css") ? CSS : TEXT, gzipBase64 },
  ]),
]);

/** The names /docs/ serves. */
export const DOCS_ASSET_NAMES: readonly string[] = [...ASSETS.keys()];

/** Decoded on first use, then kept for the isolate's life (0.5 MB for all of them). */
const decoded = new Map<string, Uint8Array<ArrayBuffer>>();

/** `Uint8Array.fromBase64` (ES2026, in workerd), which the compiler's libraries do not know yet. */
const fromBase64 = (Uint8Array as { fromBase64?: (text: string) => Uint8Array<ArrayBuffer> }).fromBase64;

function gzipBytes(name: string, base64: string): Uint8Array<ArrayBuffer> {
  let bytes = decoded.get(name);
  if (bytes === undefined) {
    if (fromBase64 !== undefined) bytes = fromBase64(base64);
    else {
      const binary = atob(base64);
      bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    }
    decoded.set(name, bytes);
  }
  return bytes;
}

/**
 * The response for `/docs/<name>`, or null when there is no such file. A gzipped file goes out as
 * its gzip bytes (`encodeBody: "manual"`: the runtime sends them as they are) to a client that
 * accepts gzip, as every browser does; any other gets it decompressed.
 *
 * @example
 *   docsAsset("swagger-ui.css", request.headers.get("accept-encoding"))
 */
export function docsAsset(name: string, acceptEncoding: string | null): Response | null {
  const asset = ASSETS.get(name);
  if (asset === undefined) return null;
  const headers = new Headers({
    "content-type": asset.contentType,
    // Part of the Worker's code: the same until the tenant's next template version.
    "cache-control": "private, max-age=3600",
    "x-content-type-options": "nosniff",
    vary: "accept-encoding",
  });
  if ("text" in asset) return new Response(asset.text, { headers });
  const gzip = gzipBytes(name, asset.gzipBase64);
  if (acceptsGzip(acceptEncoding)) {
    headers.set("content-encoding", "gzip");
    return new Response(gzip, { headers, encodeBody: "manual" });
  }
  return new Response(new Blob([gzip]).stream().pipeThrough(new DecompressionStream("gzip")), { headers });
}

/** Whether `Accept-Encoding` allows gzip (`gzip` or `*`, without `;q=0`). */
function acceptsGzip(header: string | null): boolean {
  if (header === null) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    const refused = params.some((param) => /^\s*q\s*=\s*0(?:\.0*)?\s*$/.test(param));
    return (coding === "gzip" || coding === "x-gzip" || coding === "*") && !refused;
  });
}
