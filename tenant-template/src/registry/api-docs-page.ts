const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** The parts of an OpenAPI document the docs page reads. */
export interface OpenApiSummary {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Partial<Record<(typeof METHODS)[number], { summary?: string; tags?: string[] }>> | undefined>;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Which API a path belongs to, for the page's sections. */
const sectionOf = (path: string) =>
  path.startsWith("/api/") ? "The registry API (/api)" : "The Confluent Schema Registry API (at the root)";

/**
 * A small self-contained HTML page listing every operation of an OpenAPI document with absolute
 * paths (no scripts, no CDN: it works offline and under any CSP), one section per API, with a
 * link to the document itself.
 *
 * @example
 *   c.html(apiDocsPage(tenantOpenApiDocument(), "/api/openapi.json"));
 */
/** The page's stylesheet, inline so the page loads nothing else. */
const STYLE =
  "body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem}" +
  "table{border-collapse:collapse;width:100%}" +
  "td{border-bottom:1px solid #ddd;padding:.3rem .6rem;vertical-align:top}" +
  ".m{font-weight:600;font-family:monospace}" +
  ".get{color:#0a6}.post{color:#06c}.put{color:#608}.patch{color:#a60}.delete{color:#c22}";

export function apiDocsPage(doc: OpenApiSummary, documentUrl: string): string {
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
  const tables = [...sections].map(
    ([title, rows]) => `<h2>${escapeHtml(title)}</h2>\n<table><tbody>\n${rows.join("\n")}\n</tbody></table>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<style>${STYLE}</style>
</head><body>
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? "")}</p>
<p>The full description: <a href="${escapeHtml(documentUrl)}">${escapeHtml(documentUrl)}</a> (OpenAPI 3).</p>
${tables.join("\n")}
</body></html>
`;
}
