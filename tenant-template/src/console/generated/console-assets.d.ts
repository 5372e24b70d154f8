// Types for the generated console files (see scripts/generate-console-assets.ts).
/** File name -> its gzip bytes, in base64. */
export declare const CONSOLE_GZIP_BASE64: Record<string, string>;
