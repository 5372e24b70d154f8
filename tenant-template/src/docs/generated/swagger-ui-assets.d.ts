// Types for the generated Swagger UI files (see scripts/generate-swagger-ui-assets.ts).
export declare const SWAGGER_UI_VERSION: string;
/** File name -> its gzip bytes, in base64. */
export declare const SWAGGER_UI_GZIP_BASE64: Record<string, string>;
