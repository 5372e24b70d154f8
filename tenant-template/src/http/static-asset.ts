/**
 * A file the tenant Worker serves from its own bundle (the documentation page's, /docs/, and the
 * console's, /ui/): its text, or its gzip bytes in base64 as a generator script wrote them. A
 * gzipped file costs V8 a third of the bytes to scan at each start of an isolate; it is decoded
 * only when first asked for and goes out as those gzip bytes (`Content-Encoding: gzip`), so
 * serving it costs no compression (figures: docs/registry-api.md, "Documentation", docs/console.md).
 */

/** A served file: its text, or its gzip bytes in base64. */
export type StaticAsset = { contentType: string } & ({ text: string } | { gzipBase64: string });

export const JS = "text/javascript; charset=utf-8";
export const CSS = "text/css; charset=utf-8";
export const TEXT = "text/plain; charset=utf-8";

/** The content type of a generated file, by its name. */
export function contentTypeOf(name: string): string {
  return name.endsWith(".js") ? JS : name.endsWith(".css") ? CSS : TEXT;
}

/** Decoded on first use, then kept for the isolate's life. */
const decoded = new Map<string, Uint8Array<ArrayBuffer>>();

/** `Uint8Array.fromBase64` (ES2026, in workerd), which the compiler's libraries do not know yet. */
const fromBase64 = (Uint8Array as { fromBase64?: (text: string) => Uint8Array<ArrayBuffer> }).fromBase64;

function gzipBytes(base64: string): Uint8Array<ArrayBuffer> {
  let bytes = decoded.get(base64);
  if (bytes === undefined) {
    if (fromBase64 !== undefined) bytes = fromBase64(base64);
    else {
      const binary = atob(base64);
      bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    }
    decoded.set(base64, bytes);
  }
  return bytes;
}

/**
 * The response for a file. A gzipped file goes out as its gzip bytes (`encodeBody: "manual"`: the
 * runtime sends them as they are) to a client that accepts gzip, as every browser does; any other
 * gets it decompressed.
 *
 * @example
 *   staticAssetResponse({ contentType: CSS, text: "body{}" }, request.headers.get("accept-encoding"))
 */
export function staticAssetResponse(asset: StaticAsset, acceptEncoding: string | null): Response {
  const headers = new Headers({
    "content-type": asset.contentType,
    // Part of the Worker's code: the same until the tenant's next template version.
    "cache-control": "private, max-age=3600",
    "x-content-type-options": "nosniff",
    vary: "accept-encoding",
  });
  if ("text" in asset) return new Response(asset.text, { headers });
  const gzip = gzipBytes(asset.gzipBase64);
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
