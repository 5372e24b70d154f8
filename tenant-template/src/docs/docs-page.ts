/**
 * The documentation page: Swagger UI over the tenant's OpenAPI document, every file from the
 * tenant's own origin (docs-assets.ts), with a strict Content-Security-Policy; and, for a browser
 * without scripts, a plain listing of every operation inside `<noscript>`.
 */
const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** The parts of an OpenAPI document the page reads. */
export interface OpenApiSummary {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Partial<Record<(typeof METHODS)[number], { summary?: string; tags?: string[] }>> | undefined>;
}

/**
 * Nothing but the tenant's own origin: scripts and styles only from files (no inline code, no
 * eval), the document and "Try it out" requests to the same origin, images from there or inline
 * `data:` (Swagger UI's icons), no frames, forms or plugins, and the page may not be framed.
 */
export const DOCS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The headers the page is served with. */
export const DOCS_PAGE_HEADERS = {
  "content-security-policy": DOCS_PAGE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "private, no-cache",
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Which API a path belongs to, for the listing's sections. */
const sectionOf = (path: string) =>
  path.startsWith("/api/") ? "The registry API (/api)" : "The Confluent Schema Registry API (at the root)";

/**
 * The page. Links are relative, so the page works wherever it is served from: `assets` is where
 * the files of /docs/ are from the page (`docs/` from /docs, `../docs/` from /api/docs), and
 * `documentUrl` the OpenAPI document (`openapi.json`).
 *
 * @example
 *   docsPage(tenantOpenApiDocument(), { assets: "docs/", documentUrl: "openapi.json" }); // the page at /docs
 */
export function docsPage(doc: OpenApiSummary, where: { assets: string; documentUrl: string }): string {
  const assets = escapeHtml(where.assets);
  const documentUrl = escapeHtml(where.documentUrl);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets}swagger-ui.css">
<link rel="stylesheet" href="${assets}listing.css">
</head><body>
<div id="swagger-ui" data-openapi="${documentUrl}"></div>
<noscript><div class="listing">
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? "")}</p>
<p>The full description: <a href="${documentUrl}">${documentUrl}</a> (OpenAPI 3).</p>
${operationTables(doc)}
</div></noscript>
<script src="${assets}swagger-ui-bundle.js"></script>
<script src="${assets}swagger-initializer.js"></script>
</body></html>
`;
}

/** Every operation, one table per API: method, path, summary. */
function operationTables(doc: OpenApiSummary): string {
  const sections = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = operations?.[method];
      if (operation === undefined) continue;
      const rows = sections.get(sectionOf(path)) ?? [];
      rows.push(
        `<tr><td class="m ${method}">${method.toUpperCase()}</td>` +
          `<td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(operation.summary ?? "")}</td></tr>`,
      );
      sections.set(sectionOf(path), rows);
    }
  }
  return [...sections]
    .map(([title, rows]) => `<h2>${escapeHtml(title)}</h2>\n<table><tbody>\n${rows.join("\n")}\n</tbody></table>`)
    .join("\n");
}
