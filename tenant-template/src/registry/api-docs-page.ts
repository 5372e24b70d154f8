const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** The parts of an OpenAPI document the docs page reads. */
export interface OpenApiSummary {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Partial<Record<(typeof METHODS)[number], { summary?: string }>> | undefined>;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * A small self-contained HTML page listing every operation of the API's OpenAPI document (no
 * scripts, no CDN: it works offline and under any CSP), with a link to the document itself.
 *
 * @example
 *   c.html(apiDocsPage(api.getOpenAPIDocument(config), "/api"));
 */
export function apiDocsPage(doc: OpenApiSummary, base: string): string {
  const rows: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = operations?.[method];
      if (operation === undefined) continue;
      rows.push(
        `<tr><td class="m ${method}">${method.toUpperCase()}</td><td><code>${escapeHtml(base + path)}</code></td><td>${escapeHtml(operation.summary ?? "")}</td></tr>`,
      );
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem}table{border-collapse:collapse;width:100%}td{border-bottom:1px solid #ddd;padding:.3rem .6rem;vertical-align:top}.m{font-weight:600;font-family:monospace}.get{color:#0a6}.post{color:#06c}.patch{color:#a60}.delete{color:#c22}</style>
</head><body>
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? "")}</p>
<p>The full description: <a href="${escapeHtml(base)}/openapi.json">${escapeHtml(base)}/openapi.json</a> (OpenAPI 3).</p>
<table><tbody>
${rows.join("\n")}
</tbody></table>
</body></html>
`;
}
