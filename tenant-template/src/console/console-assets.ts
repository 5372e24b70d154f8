/**
 * The files the console's page (/ui) loads, from the Worker's own bundle: its script (Preact and
 * jsdiff inside, MIT and BSD-3-Clause; their licenses are served beside it) and its style sheet,
 * gzipped and in base64 (generated/console-assets.js, written by scripts/generate-console-assets.ts
 * from tenant-template/console/). Bundled rather than uploaded as Workers static assets: one
 * upload per tenant Worker, atomic with its version (docs/console.md, "Why in the Worker").
 */
import { contentTypeOf, type StaticAsset, staticAssetResponse } from "../http/static-asset.ts";
import { CONSOLE_GZIP_BASE64 } from "./generated/console-assets.js";

const ASSETS: ReadonlyMap<string, StaticAsset> = new Map(
  Object.entries(CONSOLE_GZIP_BASE64).map(([name, gzipBase64]): [string, StaticAsset] => [
    name,
    { contentType: contentTypeOf(name), gzipBase64 },
  ]),
);

/** The names /ui/ serves. */
export const CONSOLE_ASSET_NAMES: readonly string[] = [...ASSETS.keys()];

/**
 * The response for `/ui/<name>`, or null when there is no such file.
 *
 * @example
 *   consoleAsset("console.js", request.headers.get("accept-encoding"))
 */
export function consoleAsset(name: string, acceptEncoding: string | null): Response | null {
  const asset = ASSETS.get(name);
  return asset === undefined ? null : staticAssetResponse(asset, acceptEncoding);
}
